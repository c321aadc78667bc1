// The evaluation stage of `npm run demo`: a model folder evaluated on the package's own CMMLU-format sample
// (data/demo-cmmlu: generated arithmetic + hand-written common-knowledge questions, no third-party data), with the
// results JSON, the Markdown table and the HTML report written to a folder.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Summary } from './aggregate.js';
import { EvalDataError } from './errors.js';
import { loadBenchmark } from './loaders.js';
import { type EvalModel, type ModelFolderKind, openModelFolder } from './model-folder.js';
import { renderHtml, renderMarkdown } from './report.js';
import { type EvalMode, type EvalResults, writeResults } from './results.js';
import { runEvaluation } from './runner.js';

/** The shipped demo sample (CMMLU layout: dev/ and test/ with elementary_mathematics and elementary_commonsense). */
export const DEMO_CMMLU_DIR: string = fileURLToPath(new URL('../data/demo-cmmlu', import.meta.url));

export interface EvalDemoOptions {
  /** A Steel checkpoint folder (or an ONNX causal-LM folder), as for openModelFolder. */
  modelDir: string;
  /** Where `eval-demo-cmmlu.{json,md,html}` are written (created if missing). */
  outDir: string;
  /** Default `logits` (answer-letter log-probs). `gen` = Steel's zero-shot chat prompt + greedy generation. */
  mode?: EvalMode;
  /** Few-shot examples in logits mode (default 5, the sample's whole dev set). */
  shots?: number;
  /** At most this many questions per subject (default: all 45 of the sample). */
  limit?: number;
  /** gen mode: new tokens per answer (default 32). */
  maxNewTokens?: number;
  threads?: number;
  /** Another CMMLU-layout folder instead of the shipped sample. */
  dataDir?: string;
  /** An already opened model (then modelDir only labels the results, and the caller releases it). */
  model?: EvalModel;
  onProgress?: (done: number, total: number) => void;
}

export interface EvalDemoResult {
  summary: Summary;
  /** Compact figures for a log line: questions, correct, accuracies (micro = overall, macro = mean of subjects). */
  overall: { questions: number; correct: number; micro: number; macro: number; unparseable: number };
  files: { json: string; markdown: string; html: string };
  modelKind: ModelFolderKind;
  seconds: number;
  results: EvalResults;
}

/**
 * Evaluates `modelDir` on the demo CMMLU sample and writes the reports. With a random or barely trained model
 * expect about 25 % (chance); a model that has learnt arithmetic does better on elementary_mathematics.
 */
export async function evalDemo(opts: EvalDemoOptions): Promise<EvalDemoResult> {
  const started = performance.now();
  const mode = opts.mode ?? 'logits';
  if (mode !== 'logits' && mode !== 'gen') throw new EvalDataError(`evalDemo: mode must be logits or gen, got ${mode}`);
  const dataDir = opts.dataDir ?? DEMO_CMMLU_DIR;
  const data = loadBenchmark('cmmlu', dataDir);
  const model = opts.model ?? (await openModelFolder(opts.modelDir, opts.threads ? { threads: opts.threads } : {}));
  let results: EvalResults;
  try {
    results = await runEvaluation(data, {
      mode,
      scorer: model,
      generator: model,
      model: path.resolve(opts.modelDir),
      ...(mode === 'logits' ? { shots: opts.shots ?? 5 } : { promptStyle: 'chat' as const }),
      ...(mode === 'gen' ? { maxNewTokens: opts.maxNewTokens ?? 32 } : {}),
      ...(model.chatFormatter ? { chatFormatter: model.chatFormatter } : {}),
      ...(opts.limit ? { limit: opts.limit } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
  } finally {
    if (!opts.model) await model.release();
  }
  fs.mkdirSync(opts.outDir, { recursive: true });
  const base = path.join(path.resolve(opts.outDir), 'eval-demo-cmmlu');
  const files = { json: `${base}.json`, markdown: `${base}.md`, html: `${base}.html` };
  writeResults(files.json, results);
  fs.writeFileSync(files.markdown, renderMarkdown(results));
  fs.writeFileSync(files.html, renderHtml(results));
  const o = results.summary.overall;
  return {
    summary: results.summary,
    overall: { questions: o.questions, correct: o.correct, micro: o.micro, macro: o.macro, unparseable: o.unparseable },
    files,
    modelKind: model.kind,
    seconds: (performance.now() - started) / 1000,
    results,
  };
}
