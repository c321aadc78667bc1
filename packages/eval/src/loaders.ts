// Loaders for the official file layouts:
//   C-Eval: {dir}/{dev,val,test}/{subject}_{split}.csv, header id,question,A,B,C,D,answer,explanation (test: no answer)
//   CMMLU:  {dir}/{dev,test}/{subject}.csv, header ,Question,A,B,C,D,Answer (first column a row index)
//   MMLU:   {dir}/{dev,val,test}/{subject}_{split}.csv, no header: question,A,B,C,D,answer
// A malformed row is either a thrown EvalDataError naming file:line, or skipped and listed (onMalformed: 'skip').
import fs from 'node:fs';
import path from 'node:path';
import { parseCsv } from './csv.js';
import { EvalDataError } from './errors.js';
import { benchmarkSubjects } from './subjects.js';
import type { BenchmarkName, ChoiceLetter, Question, SubjectInfo, SubjectSet } from './types.js';

export interface LoadOptions {
  /** Split to evaluate. Default: `val` for C-Eval (its test answers are not public), `test` otherwise. */
  split?: string;
  /** Subject ids to load (default: every known subject that has a file). */
  subjects?: string[];
  /** What to do with a malformed row: throw (default) or skip it and list it in `skipped`. */
  onMalformed?: 'error' | 'skip';
}

export interface MalformedRow {
  file: string;
  line: number;
  reason: string;
}

export interface LoadedBenchmark {
  benchmark: BenchmarkName;
  dir: string;
  split: string;
  subjects: SubjectSet[];
  skipped: MalformedRow[];
  /** Known subjects with no dev file (few-shot prompts for them fall back to zero-shot). */
  missingDev: string[];
  /** CSV files in the split folder that are not a known subject (ignored). */
  unknownFiles: string[];
}

export function defaultSplit(benchmark: BenchmarkName): string {
  return benchmark === 'ceval' ? 'val' : 'test';
}

export function subjectFile(benchmark: BenchmarkName, dir: string, split: string, subject: string): string {
  const name = benchmark === 'cmmlu' ? `${subject}.csv` : `${subject}_${split}.csv`;
  return path.join(dir, split, name);
}

function subjectOfFile(benchmark: BenchmarkName, split: string, file: string): string | undefined {
  if (!file.endsWith('.csv')) return undefined;
  const base = file.slice(0, -4);
  if (benchmark === 'cmmlu') return base;
  const suffix = `_${split}`;
  return base.endsWith(suffix) ? base.slice(0, -suffix.length) : undefined;
}

interface Columns {
  id?: number;
  question: number;
  choices: [number, number, number, number];
  answer?: number;
  explanation?: number;
  width: number;
}

const MMLU_COLUMNS: Columns = { question: 0, choices: [1, 2, 3, 4], answer: 5, width: 6 };

function headerColumns(header: string[], file: string): Columns {
  const lower = header.map((h) => h.trim().toLowerCase());
  const find = (name: string) => {
    const i = lower.indexOf(name);
    return i < 0 ? undefined : i;
  };
  const need = (name: string) => {
    const i = find(name);
    if (i === undefined) {
      throw new EvalDataError(`${file}:1: header has no '${name}' column (header: ${header.join(',')})`);
    }
    return i;
  };
  // CMMLU's index column has an empty name; C-Eval's is `id`.
  const id = find('id') ?? (lower[0] === '' ? 0 : undefined);
  const answer = find('answer');
  const explanation = find('explanation');
  return {
    ...(id !== undefined ? { id } : {}),
    question: need('question'),
    choices: [need('a'), need('b'), need('c'), need('d')],
    ...(answer !== undefined ? { answer } : {}),
    ...(explanation !== undefined ? { explanation } : {}),
    width: header.length,
  };
}

function readSubjectFile(
  benchmark: BenchmarkName,
  file: string,
  subject: string,
  split: string,
  requireAnswer: boolean,
  onBad: (row: MalformedRow) => void,
): Question[] {
  let records: ReturnType<typeof parseCsv>;
  try {
    records = parseCsv(fs.readFileSync(file, 'utf8'), file);
  } catch (err) {
    if (err instanceof EvalDataError) throw err; // broken quoting: nothing after it can be trusted
    throw new EvalDataError(`${file}: cannot read (${(err as Error).message})`);
  }
  let cols = MMLU_COLUMNS;
  if (benchmark !== 'mmlu') {
    const header = records.shift();
    if (!header) throw new EvalDataError(`${file}:1: empty file (expected a header row)`);
    cols = headerColumns(header.fields, file);
  }
  if (requireAnswer && cols.answer === undefined) {
    throw new EvalDataError(`${file}:1: the ${split} split needs an answer column for this use`);
  }
  const out: Question[] = [];
  for (const [index, rec] of records.entries()) {
    const bad = (reason: string) => onBad({ file, line: rec.line, reason });
    const f = rec.fields;
    if (f.length !== cols.width) {
      bad(`expected ${cols.width} fields, found ${f.length}`);
      continue;
    }
    const question = f[cols.question]!.trim();
    if (!question) {
      bad('empty question');
      continue;
    }
    const choices = cols.choices.map((c) => f[c]!.trim()) as Question['choices'];
    let answer: ChoiceLetter | undefined;
    if (cols.answer !== undefined) {
      const a = f[cols.answer]!.trim().toUpperCase();
      if (a === 'A' || a === 'B' || a === 'C' || a === 'D') answer = a;
      else if (a !== '' || requireAnswer) {
        bad(`answer must be one of A, B, C, D, found '${f[cols.answer]}'`);
        continue;
      }
    }
    const rowId = cols.id !== undefined && f[cols.id]!.trim() !== '' ? f[cols.id]!.trim() : String(index);
    const explanation = cols.explanation !== undefined ? f[cols.explanation]!.trim() : '';
    out.push({
      id: `${subject}/${split}/${rowId}`,
      subject,
      split,
      question,
      choices,
      ...(answer ? { answer } : {}),
      ...(explanation ? { explanation } : {}),
      source: `${file}:${rec.line}`,
    });
  }
  return out;
}

/** Loads a benchmark folder in its official layout (see the module comment). */
export function loadBenchmark(benchmark: BenchmarkName, dir: string, opts: LoadOptions = {}): LoadedBenchmark {
  const split = opts.split ?? defaultSplit(benchmark);
  const root = path.resolve(dir);
  const splitDir = path.join(root, split);
  if (!fs.existsSync(splitDir) || !fs.statSync(splitDir).isDirectory()) {
    throw new EvalDataError(
      `${splitDir}: no such folder; a ${benchmark} data folder holds ${benchmark === 'cmmlu' ? 'dev/ and test/' : 'dev/, val/ and test/'} (pass --data <that folder>)`,
    );
  }
  const known = new Map<string, SubjectInfo>(benchmarkSubjects(benchmark).map((s) => [s.id, s]));
  const present = new Set<string>();
  const unknownFiles: string[] = [];
  for (const f of fs.readdirSync(splitDir).sort()) {
    const s = subjectOfFile(benchmark, split, f);
    if (s === undefined) continue;
    if (known.has(s)) present.add(s);
    else unknownFiles.push(path.join(splitDir, f));
  }
  let wanted: string[];
  if (opts.subjects?.length) {
    for (const s of opts.subjects) {
      if (!known.has(s)) {
        throw new EvalDataError(`unknown ${benchmark} subject '${s}' (known: ${[...known.keys()].join(', ')})`);
      }
      if (!present.has(s)) throw new EvalDataError(`${subjectFile(benchmark, root, split, s)}: no such file`);
    }
    wanted = [...new Set(opts.subjects)];
  } else {
    wanted = [...known.keys()].filter((s) => present.has(s));
    if (wanted.length === 0) {
      throw new EvalDataError(
        `${splitDir}: no ${benchmark} subject files (expected names like ${path.basename(subjectFile(benchmark, root, split, [...known.keys()][0]!))})`,
      );
    }
  }
  const skipped: MalformedRow[] = [];
  const onBad = (row: MalformedRow) => {
    if (opts.onMalformed === 'skip') skipped.push(row);
    else throw new EvalDataError(`${row.file}:${row.line}: ${row.reason}`);
  };
  const missingDev: string[] = [];
  const subjects = wanted.map((id): SubjectSet => {
    const info = known.get(id)!;
    const evalQs = readSubjectFile(benchmark, subjectFile(benchmark, root, split, id), id, split, false, onBad);
    const devFile = subjectFile(benchmark, root, 'dev', id);
    let dev: Question[] = [];
    if (split === 'dev') dev = evalQs;
    else if (fs.existsSync(devFile)) dev = readSubjectFile(benchmark, devFile, id, 'dev', true, onBad);
    else missingDev.push(id);
    return { info, dev, eval: evalQs };
  });
  return { benchmark, dir: root, split, subjects, skipped, missingDev, unknownFiles };
}
