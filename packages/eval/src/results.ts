// The results file: every prediction (question id, prompt hash, scores, chosen, gold) plus the summary, as one JSON
// document. Written atomically (temp file + rename) so a crash never leaves half a file; read back to resume a run.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Summary } from './aggregate.js';
import type { MalformedRow } from './loaders.js';
import type { BenchmarkName, ChoiceLetter } from './types.js';

export const RESULTS_FORMAT = 'steel-eval-results/1';

export type EvalMode = 'logits' | 'gen';

export interface Prediction {
  id: string;
  subject: string;
  /** sha256 (first 16 hex digits) of the exact prompt text the model saw. */
  promptHash: string;
  gold?: ChoiceLetter;
  chosen: ChoiceLetter | null;
  correct: boolean;
  /** logits mode: log-prob of A, B, C, D as the next token. */
  scores?: number[];
  /** gen mode: the generated text and the extraction rule that matched. */
  response?: string;
  rule?: string;
  shots: number;
  promptTokens: number;
  /** False when even the zero-shot prompt was longer than the model's context. */
  fits: boolean;
}

export interface RunTimings {
  /** Seconds building prompts (including token counting for trimming). */
  promptSeconds: number;
  /** Seconds inside the model (scoreChoices / generate). */
  forwardSeconds: number;
  /** Seconds choosing/extracting answers and bookkeeping. */
  scoringSeconds: number;
  totalSeconds: number;
  /** Questions the model answered in this run, and those taken from a previous results file. */
  answered: number;
  resumed: number;
}

export interface EvalResults {
  format: typeof RESULTS_FORMAT;
  benchmark: BenchmarkName;
  split: string;
  mode: EvalMode;
  promptStyle: 'completion' | 'chat';
  shots: number;
  cot: boolean;
  model: string;
  data: string;
  limit?: number;
  startedAt: string;
  finishedAt?: string;
  /** False while a run is still going (a snapshot written for resume). */
  complete: boolean;
  summary: Summary;
  timings: RunTimings;
  skippedRows: MalformedRow[];
  predictions: Prediction[];
}

export function promptHash(prompt: string): string {
  return createHash('sha256').update(prompt).digest('hex').slice(0, 16);
}

// NaN accuracies (nothing graded) are written as null; JSON has no NaN.
function replacer(_key: string, value: unknown) {
  return typeof value === 'number' && Number.isNaN(value) ? null : value;
}

export function writeResults(file: string, results: EvalResults): void {
  const target = path.resolve(file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(results, replacer, 1)}\n`);
  fs.renameSync(tmp, target);
}

export function readResults(file: string): EvalResults {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not a readable results file (${(err as Error).message})`);
  }
  const r = parsed as Partial<EvalResults>;
  if (r.format !== RESULTS_FORMAT || !Array.isArray(r.predictions)) {
    throw new Error(`${file}: not a ${RESULTS_FORMAT} file (format: ${JSON.stringify(r.format)})`);
  }
  return r as EvalResults;
}
