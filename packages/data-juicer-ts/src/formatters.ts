// Steel-LLM's step 1 (`step1_data_process.py`): every raw source becomes `{"text": ...}` lines. Each named formatter
// reproduces Steel's output by default (including its quirks); `fixBugs: true` repairs the documented bugs.

import {
  closeSync,
  createReadStream,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { readDataset, recordsFromBatch } from '@steel/dataset';
import { pyLen } from './pystr.js';

export interface FormatOptions {
  /**
   * Repair Steel's documented bugs: the character-set `rstrip("<|im_end|>\n")` of multi-turn dialogs (eats trailing
   * letters d/e/n/m/i of the last answer), Zhihu's dropped "赞同 1.5 万" (10k+) upvote counts, and Baidu Baike's
   * pieces glued without a separator / entries without a summary dropped. Default false (Steel's exact output).
   */
  fixBugs?: boolean;
}

type Row = Record<string, unknown>;

export interface SourceFormatter {
  name: string;
  /** Steel's handler class and a one-line rule. */
  description: string;
  /** Which files of a folder it reads: Steel takes names containing `.json` (so `.jsonl` too) or `.parquet`. */
  files: 'json' | 'parquet';
  /** The text for one raw record, or null when Steel skips it. May throw: the record is then counted and skipped. */
  format(row: Row, opts?: FormatOptions): string | null;
}

/** Steel's `zh_process`: None → "", Unicode NFKC, every `\r` removed. */
export function zhProcess(s: unknown): string {
  if (s === null || s === undefined) return '';
  if (typeof s !== 'string') throw new TypeError(`expected a string, got ${typeof s}`);
  return s.normalize('NFKC').replaceAll('\r', '');
}

/** Steel's `quality_assurance`: keep iff at least 20 characters (code points). */
export function qualityAssurance(t: string): boolean {
  return pyLen(t) >= 20;
}

const SYSTEM = '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n';

/** Steel's `qa2txt` (mode "qwen"): ChatML with a system header, no `<|im_end|>` after the answer. */
export function qa2txt(q: string, a: string): string {
  return `${SYSTEM}<|im_start|>user\n${q}<|im_end|>\n<|im_start|>assistant\n${a}`;
}

const RSTRIP_SET = new Set('<|im_end|>\n');

/**
 * Steel's `multi_qa2txt`: the system header, then one user/assistant exchange per pair, then
 * `rstrip("<|im_end|>\n")` — a character-set strip (Steel's bug). With `fixBugs`, only the final `<|im_end|>\n` goes.
 */
export function multiQa2txt(qs: string[], as: string[], opts: FormatOptions = {}): string {
  let s = SYSTEM;
  const n = Math.min(qs.length, as.length);
  for (let i = 0; i < n; i++) s += `<|im_start|>user\n${qs[i]}<|im_end|>\n<|im_start|>assistant\n${as[i]}<|im_end|>\n`;
  if (opts.fixBugs) return s.endsWith('<|im_end|>\n') ? s.slice(0, -'<|im_end|>\n'.length) : s;
  let end = s.length;
  while (end > 0 && RSTRIP_SET.has(s[end - 1]!)) end--;
  return s.slice(0, end);
}

/** Python `int(str)` for the usual cases: optional sign, digits with single underscores, surrounding whitespace. */
function pyInt(s: string): number | null {
  const m = /^\s*([+-]?\d+(?:_\d+)*)\s*$/.exec(s);
  return m ? Number(m[1]!.replaceAll('_', '')) : null;
}

/** Zhihu's `METADATA.upvotes` as Steel parses it ("赞同 N" → N; anything else → 0), or with `fixBugs` also "赞同 1.5 万". */
export function zhihuUpvotes(metadata: unknown, opts: FormatOptions = {}): number {
  try {
    const meta = typeof metadata === 'string' ? JSON.parse(metadata) : metadata;
    const raw = String((meta as Row).upvotes).replace('赞同 ', '');
    const n = pyInt(raw);
    if (n !== null) return n;
    if (opts.fixBugs) {
      const m = /^\s*(\d+(?:\.\d+)?)\s*万\s*$/.exec(raw);
      if (m) return Math.round(Number(m[1]) * 10000);
    }
    return 0;
  } catch {
    return 0;
  }
}

function str(row: Row, key: string): string {
  const v = row[key];
  if (typeof v !== 'string')
    throw new TypeError(`field "${key}": expected a string, got ${v === null ? 'null' : typeof v}`);
  return v;
}

function list(row: Row, key: string): Row[] {
  const v = row[key];
  if (!Array.isArray(v)) throw new TypeError(`field "${key}": expected a list, got ${v === null ? 'null' : typeof v}`);
  return v as Row[];
}

const isEmpty = (v: unknown) => v === null || v === undefined || v === '';

/** WanJuan's text as Steel's step 3 reads it: `content`, else an exam record's plain concatenation. */
export function wanjuanText(row: Row): string {
  if ('content' in row) return str(row, 'content');
  const keys = ['q_main', 'option_a', 'option_b', 'option_c', 'option_d', 'option_e'];
  return `${keys.map((k) => str(row, k)).join('')}标准答案：${str(row, 'std_ans')}解析：${str(row, 'answer_detail')}`;
}

export const SOURCE_FORMATTERS: Readonly<Record<string, SourceFormatter>> = {
  baidu_baike: {
    name: 'baidu_baike',
    description:
      'BaiduBaikeFormatHandler: title：summary then section.title：section.content, no separator; ≥ 20 chars',
    files: 'json',
    format(row, opts = {}) {
      const sections = Array.isArray(row.sections) ? (row.sections as Row[]) : [];
      if (isEmpty(row.title)) return null;
      if (isEmpty(row.summary) && !(opts.fixBugs && sections.length > 0)) return null;
      const pieces = [
        isEmpty(row.summary) ? zhProcess(row.title) : `${zhProcess(row.title)}：${zhProcess(row.summary)}`,
      ];
      for (const sec of sections) pieces.push(`${zhProcess(sec.title)}：${zhProcess(sec.content)}`);
      const t = pieces.join(opts.fixBugs ? '\n' : '');
      return qualityAssurance(t) ? t : null;
    },
  },
  baidu_qa: {
    name: 'baidu_qa',
    description: 'BaiduQAFormatHandler: qa2txt(title, answer); desc and category dropped',
    files: 'json',
    format: (row) => qa2txt(zhProcess(str(row, 'title')), zhProcess(str(row, 'answer'))),
  },
  belle: {
    name: 'belle',
    description: 'BELLEFormatHandler (BELLE 2M): instruction + "\\n" + output; lines without "instruction" skipped',
    files: 'json',
    format(row) {
      if (!('instruction' in row)) return null;
      return `${zhProcess(str(row, 'instruction'))}\n${zhProcess(str(row, 'output'))}`;
    },
  },
  belle_conversations: {
    name: 'belle_conversations',
    description:
      'BELLEConversationsFormatHandler (BELLE 3.5M): human turns at even k, assistant at odd k; multi_qa2txt',
    files: 'json',
    format(row, opts) {
      if (!('conversations' in row)) return null;
      const qs: string[] = [];
      const as: string[] = [];
      list(row, 'conversations').forEach((turn, k) => {
        if (k % 2 === 0 && turn.from === 'human') qs.push(zhProcess(turn.value));
        else if (k % 2 === 1 && turn.from === 'assistant') as.push(zhProcess(turn.value));
      });
      return multiQa2txt(qs, as, opts);
    },
  },
  firefly: {
    name: 'firefly',
    description: 'FireflyFormatHandler: qa2txt(input, target); kind ignored',
    files: 'json',
    format: (row) => qa2txt(zhProcess(str(row, 'input')), zhProcess(str(row, 'target'))),
  },
  moss: {
    name: 'moss',
    description: 'MossFormatHandler: conversation [{human, assistant}] → multi_qa2txt',
    files: 'json',
    format(row, opts) {
      const turns = list(row, 'conversation');
      return multiQa2txt(
        turns.map((t) => zhProcess(t.human)),
        turns.map((t) => zhProcess(t.assistant)),
        opts,
      );
    },
  },
  zhihu: {
    name: 'zhihu',
    description:
      'ZhihuFormatHandler (parquet): upvotes ≥ 100 from METADATA ("赞同 N"), qa2txt(INSTRUCTION, RESPONSE); ≥ 20 chars',
    files: 'parquet',
    format(row, opts) {
      if (zhihuUpvotes(row.METADATA, opts) < 100) return null;
      const t = qa2txt(zhProcess(str(row, 'INSTRUCTION')), zhProcess(str(row, 'RESPONSE')));
      return qualityAssurance(t) ? t : null;
    },
  },
  wiki_cn: {
    name: 'wiki_cn',
    description: 'WikiCNFormatHandler: one JSON array; zh_process(completion); ≥ 20 chars',
    files: 'json',
    format(row) {
      const t = zhProcess(str(row, 'completion'));
      return qualityAssurance(t) ? t : null;
    },
  },
  starcode: {
    name: 'starcode',
    description: 'StarcodeFormatHandler (parquet): content verbatim (no NFKC, no length filter)',
    files: 'parquet',
    format: (row) => str(row, 'content'),
  },
  wanjuan: {
    name: 'wanjuan',
    description:
      'WanJuan (Steel step 3): content, else exam q_main+options a–e+"标准答案："+std_ans+"解析："+answer_detail',
    files: 'json',
    format: (row) => wanjuanText(row),
  },
  skypile: {
    name: 'skypile',
    description: 'SkyPile (used raw): text verbatim',
    files: 'json',
    format: (row) => str(row, 'text'),
  },
};

/** The formatter named `name`, or an error listing the valid names. */
export function getSourceFormatter(name: string): SourceFormatter {
  const f = SOURCE_FORMATTERS[name];
  if (!f) throw new Error(`unknown source "${name}": use one of ${Object.keys(SOURCE_FORMATTERS).join(', ')}`);
  return f;
}

/** Step 1 on in-memory records: the texts Steel writes, plus how many records were skipped or failed. */
export function formatRecords(
  name: string,
  rows: Iterable<Row>,
  opts: FormatOptions = {},
): { texts: string[]; skipped: number; failed: number; errorSamples: string[] } {
  const f = getSourceFormatter(name);
  const texts: string[] = [];
  let skipped = 0;
  let failed = 0;
  const errorSamples: string[] = [];
  for (const row of rows) {
    try {
      const t = f.format(row, opts);
      if (t === null) skipped++;
      else texts.push(t);
    } catch (e) {
      failed++;
      if (errorSamples.length < 5) errorSamples.push(e instanceof Error ? e.message : String(e));
    }
  }
  return { texts, skipped, failed, errorSamples };
}

/** Steel's output line: `json.dumps({"text": t}, ensure_ascii=False)`. */
export function steelJsonLine(text: string): string {
  return `{"text": ${JSON.stringify(text)}}`;
}

async function inputFiles(input: string, kind: 'json' | 'parquet'): Promise<string[]> {
  if (!statSync(input).isDirectory()) return [input];
  const names = (await readdir(input, { recursive: true })) as string[];
  const want = kind === 'json' ? '.json' : '.parquet';
  return names
    .filter((n) => basename(n).includes(want))
    .sort()
    .map((n) => join(input, n))
    .filter((p) => statSync(p).isFile());
}

/** JSON records of a file: one JSON array, or JSON lines (malformed lines counted, not fatal). */
async function* jsonRecords(path: string, bad: { count: number; samples: string[] }): AsyncGenerator<Row> {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(4096);
  const n = readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  const first = buf.subarray(0, n).toString('utf8');
  if (first.trimStart().startsWith('[')) {
    const arr = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (!Array.isArray(arr)) throw new Error(`${path}: expected a JSON array`);
    for (const r of arr) yield r as Row;
    return;
  }
  const rl = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as unknown;
      if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new Error('not a JSON object');
      yield r as Row;
    } catch (e) {
      bad.count++;
      if (bad.samples.length < 5) bad.samples.push(`${path}:${lineNo}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

export interface FormatSourceSummary {
  source: string;
  inputs: string[];
  output: string;
  read: number;
  written: number;
  /** Records Steel's rule skips (missing key, quality filter, upvotes < 100, empty summary...). */
  skipped: number;
  /** Records the rule raised on (wrong field types) or malformed lines: counted, skipped, never fatal. */
  failed: number;
  errorSamples: string[];
}

/**
 * Step 1 for one source: read `input` (a file or a folder, Steel's file selection), write `{"text": ...}` lines to
 * `output` (written to a temporary file and renamed, so no half-written result is left).
 */
export async function formatSource(
  name: string,
  input: string,
  output: string,
  opts: FormatOptions = {},
): Promise<FormatSourceSummary> {
  const f = getSourceFormatter(name);
  const files = await inputFiles(input, f.files);
  if (files.length === 0) throw new Error(`${input}: no ${f.files === 'json' ? '*.json*' : '*.parquet'} file to read`);
  const lines: string[] = [];
  const bad = { count: 0, samples: [] as string[] };
  let read = 0;
  let skipped = 0;
  let failed = 0;
  const take = (row: Row) => {
    read++;
    try {
      const t = f.format(row, opts);
      if (t === null) skipped++;
      else lines.push(steelJsonLine(t));
    } catch (e) {
      failed++;
      if (bad.samples.length < 5) bad.samples.push(`record ${read}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  for (const file of files) {
    if (f.files === 'parquet') {
      for await (const batch of readDataset(file)) for (const r of recordsFromBatch(batch)) take(r as Row);
    } else {
      for await (const r of jsonRecords(file, bad)) take(r);
    }
  }
  mkdirSync(dirname(output), { recursive: true });
  const tmp = join(dirname(output), `.${basename(output)}.tmp-${process.pid}`);
  try {
    writeFileSync(tmp, lines.length ? `${lines.join('\n')}\n` : '');
    renameSync(tmp, output);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return {
    source: name,
    inputs: files,
    output,
    read: read + bad.count,
    written: lines.length,
    skipped,
    failed: failed + bad.count,
    errorSamples: bad.samples,
  };
}
