// `steel eval ceval|cmmlu|mmlu`: evaluate a model folder on a benchmark folder in its official layout; writes the
// results JSON (every prediction, resumable), a Markdown table and an HTML report beside it.
// `steel eval exam-data <benchmark>`: SFT conversations and DPO pairs (jsonl) from a benchmark's answered questions.
// Thin shells over @steel/eval.
import fs from 'node:fs';
import path from 'node:path';
import {
  type BenchmarkName,
  dpoToAlpaca,
  EvalDataError,
  type EvalMode,
  EvalModelError,
  type EvalResults,
  examPostTrainingData,
  loadBenchmark,
  openModelFolder,
  readResults,
  renderHtml,
  renderMarkdown,
  runEvaluation,
  sftToAlpaca,
  writeJsonl,
  writeResults,
} from '@steel/eval';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { createProgress } from '../progress.js';

interface EvalOptions {
  model: string;
  data: string;
  split?: string;
  shots?: string;
  mode: string;
  prompt?: string;
  cot?: boolean;
  subjects?: string;
  limit?: string;
  out?: string;
  fresh?: boolean;
  maxNewTokens?: string;
  maxContext?: string;
  batch?: string;
  threads?: string;
  skipMalformed?: boolean;
  json?: boolean;
  quiet?: boolean;
}

function intOption(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new CliError(`--${name} must be an integer >= ${min}, got '${value}'`);
  return n;
}

function subjectList(value: string | undefined): string[] | undefined {
  const list = value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list?.length ? list : undefined;
}

/** Library errors about the user's files become one-line CLI errors. */
async function asCliErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof EvalDataError || err instanceof EvalModelError) throw new CliError(err.message);
    throw err;
  }
}

export async function runEvalCommand(benchmark: BenchmarkName, opts: EvalOptions) {
  if (opts.mode !== 'logits' && opts.mode !== 'gen') {
    throw new CliError(`--mode must be logits or gen, got '${opts.mode}'`);
  }
  const mode: EvalMode = opts.mode;
  const style = opts.prompt ?? (mode === 'gen' ? 'chat' : 'completion');
  if (style !== 'completion' && style !== 'chat') {
    throw new CliError(`--prompt must be completion or chat, got '${style}'`);
  }
  if (style === 'chat' && mode === 'logits') throw new CliError('--prompt chat needs --mode gen');
  if (opts.cot && mode === 'logits') throw new CliError('--cot needs --mode gen');
  const shots = intOption('shots', opts.shots, 0) ?? (style === 'chat' ? 0 : 5);
  if (style === 'chat' && shots > 0)
    throw new CliError('chat prompts are zero-shot: drop --shots or use --prompt completion');
  const limit = intOption('limit', opts.limit, 1);
  const maxNewTokens = intOption('max-new-tokens', opts.maxNewTokens, 1);
  const maxContext = intOption('max-context', opts.maxContext, 8);
  const batchSize = intOption('batch', opts.batch, 1);
  const threads = intOption('threads', opts.threads, 1);

  const started = performance.now();
  const data = await asCliErrors(async () =>
    loadBenchmark(benchmark, opts.data, {
      ...(opts.split ? { split: opts.split } : {}),
      ...(subjectList(opts.subjects) ? { subjects: subjectList(opts.subjects) } : {}),
      onMalformed: opts.skipMalformed ? 'skip' : 'error',
    }),
  );
  const out = path.resolve(opts.out ?? `eval-${benchmark}-${data.split}-${mode}.json`);
  if (!out.endsWith('.json')) throw new CliError(`--out must end in .json, got '${opts.out}'`);
  let previous: EvalResults | undefined;
  if (!opts.fresh && fs.existsSync(out)) {
    try {
      previous = readResults(out);
    } catch (err) {
      throw new CliError(`${(err as Error).message}; pass --fresh to overwrite it or choose another --out`);
    }
  }
  const model = await asCliErrors(() =>
    openModelFolder(opts.model, {
      ...(maxContext ? { maxContext } : {}),
      ...(threads ? { threads } : {}),
    }),
  );
  const loadSeconds = (performance.now() - started) / 1000;
  const total = data.subjects.reduce((a, s) => a + Math.min(s.eval.length, limit ?? Number.POSITIVE_INFINITY), 0);
  const progress = createProgress({
    label: `eval ${benchmark}`,
    unit: 'questions',
    total,
    quiet: opts.quiet ?? false,
  });
  let results: EvalResults;
  let lastDone = 0;
  try {
    results = await asCliErrors(() =>
      runEvaluation(data, {
        mode,
        scorer: model,
        generator: model,
        shots,
        promptStyle: style,
        cot: opts.cot ?? false,
        ...(model.chatFormatter ? { chatFormatter: model.chatFormatter } : {}),
        model: path.resolve(opts.model),
        ...(limit ? { limit } : {}),
        ...(maxNewTokens ? { maxNewTokens } : {}),
        ...(batchSize ? { batchSize } : {}),
        ...(previous ? { previous } : {}),
        onProgress: (done) => {
          progress.tick(done - lastDone); // the runner reports a running total; the bar wants increments
          lastDone = done;
        },
        onSubjectDone: (snapshot) => writeResults(out, snapshot),
      }),
    );
  } catch (err) {
    if (err instanceof Error && /cannot resume/.test(err.message)) {
      throw new CliError(`${out}: ${err.message}; pass --fresh to overwrite it or choose another --out`);
    }
    throw err;
  } finally {
    progress.done();
    await model.release();
  }
  writeResults(out, results);
  const base = out.slice(0, -'.json'.length);
  fs.writeFileSync(`${base}.md`, renderMarkdown(results));
  fs.writeFileSync(`${base}.html`, renderHtml(results));
  return {
    benchmark,
    split: results.split,
    mode,
    promptStyle: style,
    shots,
    overall: results.summary.overall,
    categories: results.summary.categories,
    skippedRows: results.skippedRows.length,
    files: { results: out, markdown: `${base}.md`, html: `${base}.html` },
    timings: { loadSeconds, ...results.timings, forwards: model.stats.forwards, modelTokens: model.stats.tokens },
    results,
  };
}

interface ExamDataOptions {
  data: string;
  split: string;
  subjects?: string;
  sft?: string;
  dpo?: string;
  format: string;
  language?: string;
  skipMalformed?: boolean;
  json?: boolean;
}

function runExamData(benchmark: BenchmarkName, opts: ExamDataOptions) {
  if (opts.format !== 'messages' && opts.format !== 'alpaca') {
    throw new CliError(`--format must be messages or alpaca, got '${opts.format}'`);
  }
  if (!opts.sft && !opts.dpo) throw new CliError('pass --sft <file.jsonl> and/or --dpo <file.jsonl>');
  const language = (opts.language ?? (benchmark === 'mmlu' ? 'en' : 'zh')) as 'zh' | 'en';
  if (language !== 'zh' && language !== 'en') throw new CliError(`--language must be zh or en, got '${language}'`);
  let data: ReturnType<typeof loadBenchmark>;
  try {
    data = loadBenchmark(benchmark, opts.data, {
      split: opts.split,
      ...(subjectList(opts.subjects) ? { subjects: subjectList(opts.subjects) } : {}),
      onMalformed: opts.skipMalformed ? 'skip' : 'error',
    });
  } catch (err) {
    if (err instanceof EvalDataError) throw new CliError(err.message);
    throw err;
  }
  const set = examPostTrainingData(
    data.subjects.flatMap((s) => s.eval),
    { language },
  );
  const alpaca = opts.format === 'alpaca';
  const written: Record<string, number> = {};
  if (opts.sft) written.sft = writeJsonl(opts.sft, alpaca ? set.sft.map(sftToAlpaca) : set.sft);
  if (opts.dpo) written.dpo = writeJsonl(opts.dpo, alpaca ? set.dpo.map(dpoToAlpaca) : set.dpo);
  return { benchmark, split: data.split, written, unanswered: set.skipped.length, skippedRows: data.skipped.length };
}

export function registerEval(program: Command): void {
  const group = program
    .command('eval')
    .description('Evaluate a model on C-Eval, CMMLU or MMLU (official CSV layouts); build SFT/DPO data from exams');
  for (const benchmark of ['ceval', 'cmmlu', 'mmlu'] as const) {
    group
      .command(benchmark)
      .description(`${benchmark.toUpperCase()} accuracy per subject, per category and overall`)
      .requiredOption(
        '--model <dir>',
        'model folder: a Steel checkpoint (config.json + model.safetensors [+ tokenizer.json, else the bundled Qwen1.5 tokenizer]) or an ONNX causal LM export (model.onnx + tokenizer.json)',
      )
      .requiredOption('--data <dir>', `${benchmark} folder in the official layout`)
      .option('--split <name>', `split to evaluate (default ${benchmark === 'ceval' ? 'val' : 'test'})`)
      .option('--shots <n>', 'few-shot examples from the dev split (default 5; 0 for chat prompts)')
      .option('--mode <mode>', 'logits (answer-letter log-probs) or gen (generate, extract the letter)', 'logits')
      .option('--prompt <style>', "completion (the benchmark's prompt) or chat (Steel-LLM's zero-shot chat prompt)")
      .option('--cot', 'chain-of-thought prompts (gen mode)')
      .option('--subjects <list>', 'comma-separated subject ids (default: all present)')
      .option('--limit <n>', 'at most n questions per subject')
      .option('--out <file.json>', 'results file; .md and .html reports are written beside it')
      .option('--fresh', 'ignore an existing results file instead of resuming from it')
      .option('--max-new-tokens <n>', 'gen mode: tokens to generate (default 64, 512 with --cot)')
      .option('--max-context <n>', "model context in tokens (default: config.json's max_position_embeddings or 4096)")
      .option('--batch <n>', 'questions per scoring call (default 8)')
      .option('--threads <n>', 'onnxruntime intra-op threads')
      .option('--skip-malformed', 'skip malformed CSV rows (listed in the results) instead of stopping')
      .option('--json', 'print the summary as JSON on stdout')
      .option('--quiet', 'no progress output')
      .action(async (opts: EvalOptions) => {
        const r = await runEvalCommand(benchmark, opts);
        if (opts.json) {
          const { results: _full, ...summary } = r;
          process.stdout.write(`${JSON.stringify({ ...summary, subjects: r.results.summary.subjects })}\n`);
        } else {
          process.stdout.write(renderMarkdown(r.results));
          process.stdout.write(`\nwrote ${r.files.results}, ${r.files.markdown}, ${r.files.html}\n`);
        }
      });
  }
  group
    .command('exam-data')
    .description('SFT conversations and DPO pairs (jsonl) from the answered questions of a benchmark split')
    .argument('<benchmark>', 'ceval, cmmlu or mmlu')
    .requiredOption('--data <dir>', 'benchmark folder in the official layout')
    .requiredOption('--split <name>', 'split with answers (e.g. dev, val, test)')
    .option('--subjects <list>', 'comma-separated subject ids')
    .option('--sft <file.jsonl>', 'write SFT records here')
    .option('--dpo <file.jsonl>', 'write DPO pairs here')
    .option('--format <kind>', 'messages (chat messages) or alpaca (LLaMA-Factory instruction/output)', 'messages')
    .option('--language <zh|en>', 'prompt language (default zh; en for mmlu)')
    .option('--skip-malformed', 'skip malformed CSV rows instead of stopping')
    .option('--json', 'print the counts as JSON')
    .action((benchmark: string, opts: ExamDataOptions) => {
      if (benchmark !== 'ceval' && benchmark !== 'cmmlu' && benchmark !== 'mmlu') {
        throw new CliError(`benchmark must be ceval, cmmlu or mmlu, got '${benchmark}'`);
      }
      const r = runExamData(benchmark, opts);
      process.stdout.write(opts.json ? `${JSON.stringify(r)}\n` : `${JSON.stringify(r, null, 2)}\n`);
    });
}
