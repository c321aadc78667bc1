// `steel demo`: the main job on the embedded corpus: build the corpus, convert it between formats, clean it with a
// Data-Juicer recipe, tokenize + pack it, pre-train steel-tiny on the shards, evaluate the checkpoint on the shipped
// CMMLU-format sample. Every stage is a library call; this file only wires them and prints their counts.
import fs from 'node:fs';
import path from 'node:path';
import { type CleanDemoOpCount, cleanDemoCorpus } from '@steel/data-juicer-ts';
import { batchFromRecords, datasetStats, readDataset, writeDataset } from '@steel/dataset';
import { evalDemo } from '@steel/eval';
import { loadTokenizer } from '@steel/tokenizer';
import {
  MODEL_DIR,
  parsePostTrainConfig,
  parseTrainConfig,
  runPostTraining,
  runTraining,
  scoreSyntheticAnswers,
} from '@steel/trainer';
import type { Command } from 'commander';
import { DEMO_CHAT_TASKS, writeDemoChatSet } from '../demo/chat-set.js';
import { type CorpusOptions, type CorpusRecord, DEFAULT_CORPUS, demoCorpus } from '../demo/corpus.js';
import { CliError } from '../errors.js';
import { createProgress } from '../progress.js';
import { runTokenize, type TokenizeSummary } from './tokenize.js';

interface DemoOptions {
  out: string;
  tangFiles: string;
  songFiles: string;
  brownSamples: string;
  trainSteps: string;
  sftSteps: string;
  json?: boolean;
  quiet?: boolean;
}

function intOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new CliError(`--${name} must be an integer in [${min}, ${max}], got '${value}'`);
  }
  return n;
}

async function* corpusBatches(opts: CorpusOptions, onRows: (n: number) => void) {
  let rows: CorpusRecord[] = [];
  for (const rec of demoCorpus(opts)) {
    rows.push(rec);
    if (rows.length === 4096) {
      onRows(rows.length);
      yield batchFromRecords(rows as unknown as Record<string, unknown>[]);
      rows = [];
    }
  }
  if (rows.length) {
    onRows(rows.length);
    yield batchFromRecords(rows as unknown as Record<string, unknown>[]);
  }
}

export interface DemoSummary {
  out: string;
  corpus: {
    documents: number;
    characters: number;
    bySource: Record<string, { documents: number; characters: number }>;
  };
  formats: { format: string; path: string; bytes: number; rows: number; writeSeconds: number }[];
  fields: { name: string; type: string }[];
  clean: { read: number; written: number; ops: CleanDemoOpCount[]; output: string; seconds: number };
  tokenize: Pick<TokenizeSummary, 'documents' | 'tokens' | 'shards' | 'manifest' | 'seconds'> & {
    blockSize: number;
    windows: number;
  };
  train: {
    model: string;
    steps: number;
    batch: number;
    seq: number;
    tokens: number;
    /** Mean loss of the first and of the last 10 steps (or fewer). */
    lossFirst: number;
    lossLast: number;
    metrics: string;
    plot: string;
    checkpoint: string;
    seconds: number;
  } | null;
  eval: {
    model: string;
    questions: number;
    correct: number;
    accuracy: number;
    byCategory: Record<string, number>;
    unparseable: number;
    report: string;
    seconds: number;
  } | null;
  sft: {
    tasks: string[];
    records: number;
    cleaning: { op: string; changed?: number; dropped?: number }[];
    steps: number;
    lossFirst: number;
    lossLast: number;
    heldout: { questions: number; accuracy: number; byTask: Record<string, number> };
    /** The first held-out question of each task and the model's reply (a chat turn each). */
    chat: { user: string; reply: string }[];
    checkpoint: string;
    seconds: number;
  } | null;
  seconds: number;
}

/** Small blocks: the demo trains a tiny model on CPU. */
const DEMO_BLOCK_SIZE = 256;
const DEMO_CHUNK_BLOCKS = 256;
const DEMO_TRAIN_BATCH = 4;
export const DEMO_TRAIN_STEPS = 80;
export const DEMO_SFT_STEPS = 500;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const t0 = performance.now();
  const corpus: CorpusOptions = {
    tangFiles: intOption('tang-files', opts.tangFiles, 0, 58),
    songFiles: intOption('song-files', opts.songFiles, 0, 21),
    brownSamples: intOption('brown-samples', opts.brownSamples, 0, 500),
  };
  const trainSteps = intOption('train-steps', opts.trainSteps, 0, 100000);
  const sftSteps = intOption('sft-steps', opts.sftSteps, 0, 100000);
  const out = path.resolve(opts.out);
  fs.mkdirSync(path.join(out, 'corpus'), { recursive: true });

  // 1. The raw corpus as jsonl, the format every stage reads.
  const progress = createProgress({ label: 'demo: corpus', unit: 'docs', quiet: opts.quiet ?? false });
  const formats: DemoSummary['formats'] = [];
  let t = performance.now();
  const jsonl = await writeDataset(
    corpusBatches(corpus, (n) => progress.tick(n)),
    path.join(out, 'corpus', 'corpus.jsonl'),
    { overwrite: true },
  );
  progress.done();
  formats.push({ format: 'jsonl', path: jsonl.path, bytes: jsonl.bytes, rows: jsonl.rows, writeSeconds: secs(t) });

  // 2. The same data as parquet and Arrow IPC, read back from the jsonl (what `steel data convert` does).
  for (const [format, file] of [
    ['parquet', 'corpus.parquet'],
    ['arrow', 'corpus.arrow'],
  ] as const) {
    t = performance.now();
    const w = await writeDataset(readDataset(jsonl.path), path.join(out, 'corpus', file), { format, overwrite: true });
    formats.push({ format, path: w.path, bytes: w.bytes, rows: w.rows, writeSeconds: secs(t) });
  }

  // 3. Summaries: per-source counts from the data itself, schema from the parquet file.
  const bySource: DemoSummary['corpus']['bySource'] = {};
  let documents = 0;
  let characters = 0;
  for await (const batch of readDataset(path.join(out, 'corpus', 'corpus.parquet'), { fields: ['source', 'text'] })) {
    const src = batch.getChild('source')!;
    const text = batch.getChild('text')!;
    for (let i = 0; i < batch.numRows; i++) {
      const s = String(src.get(i));
      const n = [...String(text.get(i) ?? '')].length;
      const entry = bySource[s] ?? { documents: 0, characters: 0 };
      bySource[s] = entry;
      entry.documents++;
      entry.characters += n;
      documents++;
      characters += n;
    }
  }
  const stats = await datasetStats(path.join(out, 'corpus', 'corpus.parquet'));

  // 4. Clean with Data-Juicer ops (t2s for the Traditional-Chinese poems, Steel's text filters, exact dedup).
  const cleanProgress = createProgress({ label: 'demo: clean', unit: 'docs', quiet: opts.quiet ?? false });
  let cleanRead = 0;
  const clean = await cleanDemoCorpus({
    input: jsonl.path,
    outDir: path.join(out, 'clean'),
    onProgress: (read) => {
      cleanProgress.tick(read - cleanRead);
      cleanRead = read;
    },
  });
  cleanProgress.done();

  // 5. Tokenize with the Qwen tokenizer (Steel's ids) and pack into lit-gpt shards.
  const tok = await runTokenize({
    input: clean.exportPath,
    out: path.join(out, 'packed'),
    textKey: 'text',
    variant: 'qwen1.5',
    blockSize: String(DEMO_BLOCK_SIZE),
    chunkBlocks: String(DEMO_CHUNK_BLOCKS),
    overwrite: true,
    quiet: opts.quiet ?? false,
  });

  // 6. Pre-train steel-tiny (Qwen vocabulary, 19.6 M parameters) on the packed shards: Steel's recipe at toy scale
  // (AdamW, warmup + cosine, clip 1.0, the pad id left out of the loss).
  let train: DemoSummary['train'] = null;
  let evalResult: DemoSummary['eval'] = null;
  if (trainSteps > 0) {
    t = performance.now();
    const cfg = parseTrainConfig({
      out_dir: path.join(out, 'train'),
      model: { config: 'steel-tiny', seed: 3407 },
      data: { sources: [{ dir: path.join(out, 'packed') }], seed: 3407, ignore_token_id: 151643 },
      train: { batch: DEMO_TRAIN_BATCH, seq: DEMO_BLOCK_SIZE, max_steps: trainSteps, clip_norm: 1.0 },
      optimizer: { betas: [0.9, 0.95], eps: 1e-8, weight_decay: 0.05 },
      schedule: {
        kind: 'cosine',
        peak_lr: 5e-3,
        min_lr: 5e-4,
        warmup_steps: Math.min(10, trainSteps),
        decay_steps: trainSteps,
      },
      checkpoint: { every: 0, keep_last: 1 },
      resume: 'never',
      runtime: { threads: 2 },
    });
    const trainProgress = createProgress({
      label: 'demo: train',
      unit: 'steps',
      total: trainSteps,
      quiet: opts.quiet ?? false,
    });
    const run = await runTraining(cfg, { onStep: () => trainProgress.tick(1) });
    trainProgress.done();
    const k = Math.min(10, run.losses.length);
    train = {
      model: 'steel-tiny',
      steps: run.lastStep,
      batch: DEMO_TRAIN_BATCH,
      seq: DEMO_BLOCK_SIZE,
      tokens: run.tokens,
      lossFirst: mean(run.losses.slice(0, k)),
      lossLast: mean(run.losses.slice(-k)),
      metrics: path.join(cfg.outDir, 'metrics.jsonl'),
      plot: path.join(cfg.outDir, 'loss.svg'),
      checkpoint: run.lastCheckpoint!,
      seconds: secs(t),
    };

    // 7. Evaluate the checkpoint on the shipped CMMLU-format sample (5-shot, answer-letter log-probs).
    t = performance.now();
    const evalProgress = createProgress({ label: 'demo: eval', unit: 'questions', quiet: opts.quiet ?? false });
    let answered = 0;
    const modelDir = path.join(train.checkpoint, MODEL_DIR);
    const ev = await evalDemo({
      modelDir,
      outDir: path.join(out, 'eval'),
      threads: 2,
      onProgress: (done, total) => {
        evalProgress.setTotal(total);
        evalProgress.tick(done - answered);
        answered = done;
      },
    });
    evalProgress.done();
    evalResult = {
      model: modelDir,
      questions: ev.overall.questions,
      correct: ev.overall.correct,
      accuracy: ev.overall.micro,
      byCategory: Object.fromEntries(ev.summary.categories.map((c) => [c.name, c.micro])),
      unparseable: ev.overall.unparseable,
      report: ev.files.html,
      seconds: secs(t),
    };
  }

  // 8. SFT of that checkpoint on a small synthetic chat set (cleaned with Data-Juicer ops), its exact-match accuracy
  // on held-out questions, and one chat turn.
  let sft: DemoSummary['sft'] = null;
  if (train && sftSteps > 0) {
    t = performance.now();
    const chat = writeDemoChatSet(path.join(out, 'chat-data'), { train: 3000, heldout: 60 });
    const cfg = parsePostTrainConfig({
      stage: 'sft',
      out_dir: path.join(out, 'sft'),
      model: { init_from: path.join(train.checkpoint, MODEL_DIR) },
      data: { sources: [{ path: chat.train }], packing: true, max_segments: 8 },
      train: { batch: 8, seq: 128, accumulation: 1, max_steps: sftSteps },
      optimizer: { weight_decay: 0 },
      schedule: { kind: 'cosine', peak_lr: 5e-3, min_lr: 5e-4, warmup_steps: Math.ceil(sftSteps / 20) },
      checkpoint: { every: 0, keep_last: 1 },
      resume: 'never',
      runtime: { threads: 2 },
    });
    const tokenizer = await loadTokenizer();
    const sftProgress = createProgress({
      label: 'demo: sft',
      unit: 'steps',
      total: sftSteps,
      quiet: opts.quiet ?? false,
    });
    const run = await runPostTraining(cfg, { tokenizer, onStep: () => sftProgress.tick(1) });
    sftProgress.done();
    const modelDir = path.join(run.lastCheckpoint!, MODEL_DIR);
    const score = await scoreSyntheticAnswers(modelDir, tokenizer, chat.heldoutExamples, { threads: 2, samples: 2 });
    const k = Math.min(10, run.losses.length);
    sft = {
      tasks: DEMO_CHAT_TASKS,
      records: chat.records,
      cleaning: chat.ops,
      steps: run.lastStep,
      lossFirst: mean(run.losses.slice(0, k)),
      lossLast: mean(run.losses.slice(-k)),
      heldout: { questions: chat.heldoutExamples.length, accuracy: score.accuracy, byTask: score.byTask },
      chat: score.samples.map((x) => ({ user: x.question, reply: x.reply })),
      checkpoint: run.lastCheckpoint!,
      seconds: secs(t),
    };
  }

  const summary: DemoSummary = {
    out,
    corpus: { documents, characters, bySource },
    formats,
    fields: stats.fields.map((f) => ({ name: f.name, type: f.type })),
    clean: {
      read: clean.read,
      written: clean.written,
      ops: clean.ops,
      output: clean.exportPath,
      seconds: clean.seconds,
    },
    tokenize: {
      documents: tok.documents,
      tokens: tok.tokens,
      shards: tok.shards,
      manifest: tok.manifest,
      seconds: tok.seconds,
      blockSize: DEMO_BLOCK_SIZE,
      windows: Math.floor(tok.tokens / (DEMO_BLOCK_SIZE + 1)),
    },
    train,
    eval: evalResult,
    sft,
    seconds: secs(t0),
  };
  fs.writeFileSync(path.join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

function secs(since: number): number {
  return Math.round(performance.now() - since) / 1000;
}

function printSummary(s: DemoSummary): void {
  const lines = [
    `Steel-TS demo: embedded corpus -> ${s.out}`,
    '',
    'source        documents   characters',
    ...Object.entries(s.corpus.bySource).map(
      ([src, v]) => `${src.padEnd(12)} ${String(v.documents).padStart(10)} ${String(v.characters).padStart(12)}`,
    ),
    `${'total'.padEnd(12)} ${String(s.corpus.documents).padStart(10)} ${String(s.corpus.characters).padStart(12)}`,
    '',
    'format      rows        bytes   write s',
    ...s.formats.map(
      (f) =>
        `${f.format.padEnd(8)} ${String(f.rows).padStart(7)} ${String(f.bytes).padStart(12)} ${f.writeSeconds.toFixed(2).padStart(9)}`,
    ),
    '',
    `fields: ${s.fields.map((f) => `${f.name}: ${f.type}`).join(', ')}`,
    '',
    `clean (${path.relative(process.cwd(), s.clean.output) || s.clean.output}): ${s.clean.read} -> ${s.clean.written} docs in ${s.clean.seconds.toFixed(1)} s`,
    ...s.clean.ops.map(
      (o) =>
        `  ${o.op.padEnd(36)} ${o.kind === 'mapper' ? `changed ${o.changed}` : `kept ${o.kept}, dropped ${o.dropped}`}${o.errors ? `, errors ${o.errors}` : ''}`,
    ),
    '',
    `tokenize (Qwen1.5 ids, <|im_end|> after each document): ${s.tokenize.documents} docs -> ${s.tokenize.tokens} tokens`,
    `  ${s.tokenize.shards} LITPKDS shard(s), ${s.tokenize.windows} windows of ${s.tokenize.blockSize + 1} tokens, ${s.tokenize.seconds.toFixed(1)} s; manifest ${s.tokenize.manifest}`,
    ...(s.train
      ? [
          '',
          `train (${s.train.model}, batch ${s.train.batch} x seq ${s.train.seq}): ${s.train.steps} steps, ${s.train.tokens} tokens in ${s.train.seconds.toFixed(1)} s`,
          `  loss ${s.train.lossFirst.toFixed(3)} (first steps) -> ${s.train.lossLast.toFixed(3)} (last steps); curve ${s.train.plot}`,
          `  checkpoint ${s.train.checkpoint}`,
        ]
      : ['', 'train: skipped (--train-steps 0)']),
    ...(s.eval
      ? [
          '',
          `eval (demo CMMLU sample, 5-shot, answer-letter log-probs): ${s.eval.correct}/${s.eval.questions} = ${(100 * s.eval.accuracy).toFixed(1)}% (chance 25%), unparseable ${s.eval.unparseable}`,
          ...Object.entries(s.eval.byCategory).map(([c, a]) => `  ${c.padEnd(20)} ${(100 * a).toFixed(1)}%`),
          `  report ${s.eval.report}`,
        ]
      : []),
    ...(s.sft
      ? [
          '',
          `sft (${s.sft.records} synthetic chats: ${s.sft.tasks.join(', ')}; Data-Juicer cleaning: ${s.sft.cleaning.map((c) => `${c.op} ${c.dropped !== undefined ? `dropped ${c.dropped}` : `changed ${c.changed ?? 0}`}`).join(', ')})`,
          `  ${s.sft.steps} steps, loss ${s.sft.lossFirst.toFixed(3)} -> ${s.sft.lossLast.toFixed(3)} in ${s.sft.seconds.toFixed(1)} s`,
          `  held-out exact match: ${(100 * s.sft.heldout.accuracy).toFixed(1)}% of ${s.sft.heldout.questions} (${Object.entries(
            s.sft.heldout.byTask,
          )
            .map(([k, v]) => `${k} ${(100 * v).toFixed(0)}%`)
            .join(', ')})`,
          ...s.sft.chat.flatMap((c) => [`  chat> ${c.user}`, `  ${c.reply}`]),
          `  checkpoint ${s.sft.checkpoint} (npx steel chat --model ${path.join(s.sft.checkpoint, 'model')})`,
        ]
      : []),
    '',
    `done in ${s.seconds.toFixed(1)} s; summary in ${path.join(s.out, 'summary.json')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the main job on the embedded corpus (Tang/Song poetry, the Analects, the Brown Corpus)')
    .option('--out <dir>', 'output folder', 'demo-output')
    .option('--tang-files <n>', 'files of 1000 Tang poems to include (0-58)', String(DEFAULT_CORPUS.tangFiles))
    .option('--song-files <n>', 'files of 1000 Song ci to include (0-21)', String(DEFAULT_CORPUS.songFiles))
    .option('--brown-samples <n>', 'Brown Corpus samples to include (0-500)', String(DEFAULT_CORPUS.brownSamples))
    .option(
      '--train-steps <n>',
      'optimizer steps of the steel-tiny pre-training stage (0 skips train and eval)',
      String(DEMO_TRAIN_STEPS),
    )
    .option(
      '--sft-steps <n>',
      'optimizer steps of the SFT stage on the synthetic chat set (0 skips it)',
      String(DEMO_SFT_STEPS),
    )
    .option('--json', 'print the summary as JSON on stdout')
    .option('--quiet', 'no progress on stderr')
    .action(async (opts: DemoOptions) => {
      const summary = await runDemo(opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else printSummary(summary);
    });
}
