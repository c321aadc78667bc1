// `steel bench train`: tokens/s of full training steps (forward + backward + AdamW) on random tokens.
import { loadConfig } from '@steel/steel-model';
import { benchTrain, type ModelDefinition, steelModel, tinyLm } from '@steel/trainer';
import type { Command } from 'commander';
import { CliError } from '../errors.js';

interface BenchTrainOptions {
  config: string;
  batch: string;
  seq: string;
  steps: string;
  warmup: string;
  accumulation: string;
  threads?: string;
  lossChunks?: string;
  vocabShare?: boolean;
  optimizerThreads?: string;
  json?: boolean;
}

function posInt(flag: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`${flag} must be an integer >= ${min}, got '${v}'`);
  return n;
}

/** `tiny-lm:VOCAB,HIDDEN[,INNER]` or a Steel preset / config.json / model folder. */
async function modelFor(spec: string): Promise<{ model: ModelDefinition; hidden: number; vocab: number }> {
  const m = /^tiny-lm:(\d+),(\d+)(?:,(\d+))?$/.exec(spec);
  if (m) {
    const vocab = Number(m[1]);
    const hidden = Number(m[2]);
    return { model: tinyLm({ vocab, hidden, ...(m[3] ? { inner: Number(m[3]) } : {}) }), hidden, vocab };
  }
  const config = await loadConfig(spec);
  return { model: steelModel(config), hidden: config.hidden_size, vocab: config.vocab_size };
}

export async function runBenchTrain(opts: BenchTrainOptions): Promise<void> {
  const { model, hidden, vocab } = await modelFor(opts.config);
  const r = await benchTrain(model, {
    batch: posInt('--batch', opts.batch),
    seq: posInt('--seq', opts.seq),
    steps: posInt('--steps', opts.steps),
    warmup: posInt('--warmup', opts.warmup, 0),
    accumulation: posInt('--accumulation', opts.accumulation),
    ...(opts.threads ? { threads: posInt('--threads', opts.threads) } : {}),
    ...(opts.lossChunks ? { lossChunks: posInt('--loss-chunks', opts.lossChunks) } : {}),
    ...(opts.vocabShare ? { vocab: { hidden, vocab } } : {}),
    ...(opts.optimizerThreads ? { optimizerThreads: posInt('--optimizer-threads', opts.optimizerThreads) } : {}),
  });
  if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else
    process.stdout.write(
      `${Math.round(r.tokens_per_s)} tokens/s, ${r.step_ms.toFixed(0)} ms/step (ORT ${r.ort_ms.toFixed(0)}, optimizer ${r.optimizer_ms.toFixed(0)} on ${r.optimizer_threads} ${r.optimizer_kernels} thread(s)), ` +
        `MFU ${(r.mfu * 100).toFixed(1)}% of ${(r.matmul_peak_flops / 1e9).toFixed(0)} GFLOP/s, peak RSS ${r.peak_rss_mb.toFixed(0)} MB` +
        `${r.vocab_share !== undefined ? `, vocab part ${(r.vocab_share * 100).toFixed(0)}%` : ''}\n`,
    );
}

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks');
  bench
    .command('train')
    .description('full training steps (forward + backward + AdamW) on random tokens')
    .requiredOption('--config <model>', 'Steel preset, config.json or model folder; or tiny-lm:VOCAB,HIDDEN[,INNER]')
    .option('--batch <n>', 'sequences per micro-batch', '4')
    .option('--seq <n>', 'tokens per sequence', '256')
    .option('--steps <n>', 'timed optimizer steps', '3')
    .option('--warmup <n>', 'untimed steps first', '1')
    .option('--accumulation <n>', 'micro-batches per step', '1')
    .option('--threads <n>', 'ONNX Runtime intra-op threads')
    .option('--loss-chunks <n>', 'vocabulary chunks of the loss (default 8)')
    .option('--vocab-share', 'also time the LM head + cross-entropy alone')
    .option(
      '--optimizer-threads <n>',
      'threads of the gradient norm and AdamW (C++ kernels; default --threads, else every core)',
    )
    .option('--json', 'print one JSON object')
    .action(runBenchTrain);
}
