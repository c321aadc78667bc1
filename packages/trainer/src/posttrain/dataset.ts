// SFT conversations and DPO preference pairs read from files (jsonl / json / parquet / csv / Arrow through
// @steel/dataset), normalized, encoded with the chat format and cut to the row length, kept as flat typed arrays.
// Bad records are rejected with file, record number and reason (a jsonl report), never fatal.
import { type ErrorReport, listDatasetFiles, readDataset, recordsFromBatch } from '@steel/dataset';
import { sha256File, sha256Text } from '../data/sha256.js';
import { type ChatFormat, type ChatTokenizer, encodeChatSamples, encodePreferenceSamples } from './encode.js';
import { type Parsed, parseChatRecord, parsePreferenceRecord } from './records.js';

export interface ChatSourceSpec {
  /** A file or a folder of files. */
  path: string;
  /** Share of this source in an epoch (see Mixture); all sources need one, or none. */
  weight?: number;
  /** For logs (default: the path). */
  name?: string;
}

export interface LoadChatOptions {
  tokenizer: ChatTokenizer;
  format: ChatFormat;
  /** Tokens per row: a sample longer than this is truncated (or dropped). */
  cutoff: number;
  /** 'tail' (default): keep the first `cutoff` tokens; 'drop': reject the sample. */
  truncation?: 'tail' | 'drop';
  /** Rejected records as jsonl (file, line = record number, reason, message). */
  errors?: ErrorReport;
  /** Called after each encoded chunk with the records read so far. */
  onProgress?: (records: number) => void;
  /** Identifies the tokenizer in the data hash. */
  tokenizerId?: string;
}

export interface LoadStats {
  records: number;
  samples: number;
  rejected: number;
  byReason: Record<string, number>;
  /** Samples (pairs) cut to the row length. */
  truncated: number;
  tokens: number;
  /** Tokens that are labels (SFT: answers; DPO: both answers). */
  trainedTokens: number;
  layouts: Record<string, number>;
}

class IntBuilder {
  buf = new Int32Array(1 << 16);
  length = 0;
  push(xs: ArrayLike<number>): void {
    if (this.length + xs.length > this.buf.length) {
      let n = this.buf.length;
      while (n < this.length + xs.length) n *= 2;
      const b = new Int32Array(n);
      b.set(this.buf.subarray(0, this.length));
      this.buf = b;
    }
    for (let i = 0; i < xs.length; i++) this.buf[this.length + i] = xs[i]!;
    this.length += xs.length;
  }
  done(): Int32Array {
    return this.buf.slice(0, this.length);
  }
}

/** Encoded SFT samples: sample i is tokens[offsets[i] .. offsets[i+1]), trained[t] = 1 where token t is a label. */
export interface SftSet {
  tokens: Int32Array;
  trained: Uint8Array;
  offsets: Int32Array;
  /** Samples per source, in source order (global index = source start + local index). */
  sizes: number[];
  names: string[];
  stats: LoadStats;
  /** sha256 over the source files' contents and the encoding options. */
  hash: string;
}

/** Encoded preference pairs: pair i's prompt, chosen and rejected ids (already cut so prompt + answer <= cutoff). */
export interface PreferenceSet {
  prompt: Int32Array[];
  chosen: Int32Array[];
  rejected: Int32Array[];
  sizes: number[];
  names: string[];
  stats: LoadStats;
  hash: string;
}

const CHUNK = 512;

async function forEachRecordChunk(
  spec: ChatSourceSpec,
  onChunk: (records: { value: unknown; file: string; line: number }[]) => Promise<void>,
): Promise<string[]> {
  const files = await listDatasetFiles(spec.path);
  if (!files.length) throw new Error(`data source ${spec.path}: no dataset files (jsonl, json, parquet, csv, arrow)`);
  for (const file of files) {
    let line = 0;
    let chunk: { value: unknown; file: string; line: number }[] = [];
    for await (const batch of readDataset(file)) {
      for (const value of recordsFromBatch(batch)) {
        chunk.push({ value, file, line: ++line });
        if (chunk.length === CHUNK) {
          await onChunk(chunk);
          chunk = [];
        }
      }
    }
    if (chunk.length) await onChunk(chunk);
  }
  return files;
}

function newStats(): LoadStats {
  return { records: 0, samples: 0, rejected: 0, byReason: {}, truncated: 0, tokens: 0, trainedTokens: 0, layouts: {} };
}

function reject(
  stats: LoadStats,
  errors: ErrorReport | undefined,
  file: string,
  line: number,
  reason: string,
  message?: string,
) {
  stats.rejected++;
  stats.byReason[reason] = (stats.byReason[reason] ?? 0) + 1;
  errors?.record({ file, line, reason, ...(message ? { message } : {}) });
}

/** Normalizes a chunk of records; the ones that fit no layout are rejected (counted, reported). */
function parseChunk<T>(
  chunk: { value: unknown; file: string; line: number }[],
  parse: (record: unknown) => Parsed<T>,
  stats: LoadStats,
  errors: ErrorReport | undefined,
): { s: T; file: string; line: number }[] {
  const ok: { s: T; file: string; line: number }[] = [];
  for (const r of chunk) {
    stats.records++;
    const p = parse(r.value);
    if (!p.ok) reject(stats, errors, r.file, r.line, 'bad-record', p.reason);
    else {
      stats.layouts[p.layout] = (stats.layouts[p.layout] ?? 0) + 1;
      ok.push({ s: p.value, file: r.file, line: r.line });
    }
  }
  return ok;
}

/**
 * Reads every source chunk by chunk, normalizes its records (`parse`) and hands the usable ones to `accept`, which
 * returns how many it kept; a source that keeps none is an error naming the rejection reasons.
 */
async function readSources<T>(
  specs: ChatSourceSpec[],
  parse: (record: unknown) => Parsed<T>,
  stats: LoadStats,
  opts: LoadChatOptions,
  what: 'sample' | 'pair',
  accept: (ok: { s: T; file: string; line: number }[]) => Promise<number>,
): Promise<{ sizes: number[]; files: string[][] }> {
  const sizes: number[] = [];
  const files: string[][] = [];
  for (const spec of specs) {
    let n = 0;
    files.push(
      await forEachRecordChunk(spec, async (chunk) => {
        n += await accept(parseChunk(chunk, parse, stats, opts.errors));
        opts.onProgress?.(stats.records);
      }),
    );
    if (n === 0) throw new Error(`data source ${spec.name ?? spec.path}: no usable ${what} (${rejectedText(stats)})`);
    sizes.push(n);
  }
  return { sizes, files };
}

function rejectedText(stats: LoadStats): string {
  const why = Object.entries(stats.byReason)
    .map(([r, n]) => `${r}: ${n}`)
    .join(', ');
  return `${stats.rejected} rejected${why ? ` — ${why}` : ''}; the rejected-records report has each one`;
}

async function dataHash(files: string[][], opts: LoadChatOptions, kind: string): Promise<string> {
  const parts = [
    kind,
    `cutoff=${opts.cutoff}`,
    `truncation=${opts.truncation ?? 'tail'}`,
    `system=${opts.format.defaultSystem}`,
    `tokenizer=${opts.tokenizerId ?? ''}`,
  ];
  for (const list of files) for (const f of list) parts.push(`${f} ${await sha256File(f)}`);
  return sha256Text(parts.join('\n'));
}

function checkSources(specs: ChatSourceSpec[]): string[] {
  if (!specs.length) throw new RangeError('data.sources: at least one source is needed');
  const weighted = specs.filter((s) => s.weight !== undefined).length;
  if (weighted !== 0 && weighted !== specs.length)
    throw new RangeError('data.sources: give every source a weight, or none (each sample once per epoch)');
  specs.forEach((s, i) => {
    if (s.weight !== undefined && !(s.weight > 0 && Number.isFinite(s.weight)))
      throw new RangeError(`data.sources[${i}].weight must be > 0, got ${s.weight}`);
  });
  const names = specs.map((s) => s.name ?? s.path);
  if (new Set(names).size !== names.length)
    throw new RangeError(`data.sources: names must differ (${names.join(', ')})`);
  return names;
}

/** Reads, encodes and cuts every SFT source. */
export async function loadSftSet(specs: ChatSourceSpec[], opts: LoadChatOptions): Promise<SftSet> {
  const names = checkSources(specs);
  const stats = newStats();
  const tokens = new IntBuilder();
  const trained: number[] = [];
  const offsets = new IntBuilder();
  offsets.push([0]);
  const { sizes, files } = await readSources(specs, parseChatRecord, stats, opts, 'sample', async (ok) => {
    let accepted = 0;
    const enc = await encodeChatSamples(
      opts.tokenizer,
      opts.format,
      ok.map((o) => o.s),
    );
    enc.forEach((e, i) => {
      let { ids, trained: tr } = e;
      if (ids.length > opts.cutoff) {
        if (opts.truncation === 'drop') {
          reject(
            stats,
            opts.errors,
            ok[i]!.file,
            ok[i]!.line,
            'too-long',
            `${ids.length} tokens > cutoff ${opts.cutoff}`,
          );
          return;
        }
        ids = ids.slice(0, opts.cutoff);
        tr = tr.slice(0, opts.cutoff);
        stats.truncated++;
      }
      // labels are tokens 1.. (token 0 has nothing before it)
      const labels = tr.reduce((a, t, k) => a + (t && k > 0 ? 1 : 0), 0);
      if (labels === 0) {
        reject(
          stats,
          opts.errors,
          ok[i]!.file,
          ok[i]!.line,
          'no-trained-tokens',
          `no answer token within cutoff ${opts.cutoff}`,
        );
        return;
      }
      tokens.push(ids);
      for (const t of tr) trained.push(t ? 1 : 0);
      offsets.push([tokens.length]);
      stats.samples++;
      stats.tokens += ids.length;
      stats.trainedTokens += labels;
      accepted++;
    });
    return accepted;
  });
  return {
    tokens: tokens.done(),
    trained: Uint8Array.from(trained),
    offsets: offsets.done(),
    sizes,
    names,
    stats,
    hash: await dataHash(files, opts, 'sft'),
  };
}

/** Reads, encodes and cuts every preference source. */
export async function loadPreferenceSet(specs: ChatSourceSpec[], opts: LoadChatOptions): Promise<PreferenceSet> {
  const names = checkSources(specs);
  const stats = newStats();
  const out: PreferenceSet = { prompt: [], chosen: [], rejected: [], sizes: [], names, stats, hash: '' };
  const { sizes, files } = await readSources(specs, parsePreferenceRecord, stats, opts, 'pair', async (ok) => {
    let accepted = 0;
    const enc = await encodePreferenceSamples(
      opts.tokenizer,
      opts.format,
      ok.map((o) => o.s),
    );
    enc.forEach((e, i) => {
      const room = opts.cutoff - e.prompt.length;
      if (room < 2) {
        // an answer needs at least one token after the prompt's last
        reject(
          stats,
          opts.errors,
          ok[i]!.file,
          ok[i]!.line,
          'prompt-too-long',
          `prompt of ${e.prompt.length} tokens leaves no room in cutoff ${opts.cutoff}`,
        );
        return;
      }
      let { chosen, rejected } = e;
      if (chosen.length > room || rejected.length > room) {
        if (opts.truncation === 'drop') {
          reject(stats, opts.errors, ok[i]!.file, ok[i]!.line, 'too-long', `prompt + answer > cutoff ${opts.cutoff}`);
          return;
        }
        chosen = chosen.slice(0, room);
        rejected = rejected.slice(0, room);
        stats.truncated++;
      }
      out.prompt.push(Int32Array.from(e.prompt));
      out.chosen.push(Int32Array.from(chosen));
      out.rejected.push(Int32Array.from(rejected));
      stats.samples++;
      stats.tokens += 2 * e.prompt.length + chosen.length + rejected.length;
      stats.trainedTokens += chosen.length + rejected.length;
      accepted++;
    });
    return accepted;
  });
  out.sizes = sizes;
  out.hash = await dataHash(files, opts, 'dpo');
  return out;
}
