// `steel train --config train.yaml [--stage pretrain|sft|dpo]`: pre-training, SFT or DPO with checkpoints, resume and
// metrics.jsonl. A thin shell over @steel/trainer's runTraining / runPostTraining; progress (step, loss, lr, tokens/s,
// ETA, DPO reward accuracy) on stderr.
import {
  loadAnyTrainConfig,
  type MetricsRecord,
  measureMatmulPeak,
  runPostTraining,
  runTraining,
} from '@steel/trainer';
import type { Command } from 'commander';
import { CliError } from '../errors.js';

interface TrainOptions {
  config: string;
  stage?: string;
  resume?: string;
  maxSteps?: string;
  appendData?: boolean;
  allowDataChange?: boolean;
  threads?: string;
  json?: boolean;
  quiet?: boolean;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export async function runTrain(opts: TrainOptions): Promise<void> {
  if (opts.stage !== undefined && !['pretrain', 'sft', 'dpo'].includes(opts.stage))
    throw new CliError(`--stage must be pretrain, sft or dpo, got '${opts.stage}'`);
  const loaded = await loadAnyTrainConfig(opts.config, opts.stage as 'pretrain' | 'sft' | 'dpo' | undefined);
  const cfg = loaded.config;
  if (opts.resume) cfg.resume = opts.resume;
  if (opts.maxSteps !== undefined) {
    const n = Number(opts.maxSteps);
    if (!Number.isInteger(n) || n < 1)
      throw new CliError(`--max-steps must be a positive integer, got '${opts.maxSteps}'`);
    cfg.train.maxSteps = n;
  }
  if (opts.threads !== undefined) {
    const n = Number(opts.threads);
    if (!Number.isInteger(n) || n < 1)
      throw new CliError(`--threads must be a positive integer, got '${opts.threads}'`);
    cfg.runtime = { ...cfg.runtime, threads: n };
  }
  if (opts.appendData) {
    if (loaded.stage !== 'pretrain') throw new CliError('--append-data is for pre-training (packed shards)');
    loaded.config.data.appendNewData = true;
  }
  if (opts.allowDataChange) cfg.data.allowDataChange = true;
  const tty = process.stderr.isTTY;
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write(
      '\nsteel train: stopping after this step (checkpoint will be written); Ctrl-C again to abort\n',
    );
  };
  process.on('SIGINT', onSigint);
  const started = Date.now();
  let firstStep: number | null = null;
  let lastLine = 0;
  const onStep = (m: MetricsRecord, max: number) => {
    if (opts.quiet) return;
    firstStep ??= m.step;
    const done = m.step - firstStep + 1;
    const elapsed = (Date.now() - started) / 1000;
    const eta = (elapsed / done) * (max - m.step);
    const acc = typeof m.reward_accuracy === 'number' ? ` acc ${m.reward_accuracy.toFixed(2)}` : '';
    const line =
      `step ${m.step}/${max} loss ${m.loss.toFixed(4)}${acc} lr ${m.lr.toExponential(2)} gnorm ${m.grad_norm.toFixed(3)} ` +
      `${Math.round(m.tokens_per_s)} tok/s ETA ${fmtTime(eta)}`;
    if (tty) process.stderr.write(`\r${line}\x1b[K`);
    else if (Date.now() - lastLine > 2000 || m.step === max) {
      lastLine = Date.now();
      process.stderr.write(`${line}\n`);
    }
  };
  // MFU in metrics.jsonl is measured against this machine's fp32 MatMul peak (1024^3, same threads)
  const peakFlops = await measureMatmulPeak(cfg.runtime?.threads);
  try {
    const runOpts = {
      peakFlops,
      onStep,
      onEvent: (msg: string) => {
        if (!opts.quiet) process.stderr.write(`${tty ? '\n' : ''}steel train: ${msg}\n`);
      },
      shouldStop: () => stop,
    };
    const summary =
      loaded.stage === 'pretrain'
        ? await runTraining(loaded.config, runOpts)
        : await runPostTraining(loaded.config, runOpts);
    if (tty && !opts.quiet) process.stderr.write('\n');
    if (opts.json) {
      const { losses, ...rest } = summary;
      process.stdout.write(`${JSON.stringify({ ...rest, final_loss: losses[losses.length - 1] ?? null })}\n`);
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'pre-train (packed shards), SFT or DPO (chat data) a model; resumable; checkpoints are HF-style folders',
    )
    .requiredOption('--config <file>', 'train.yaml (see the @steel/trainer README for the keys)')
    .option('--stage <stage>', "pretrain (default), sft or dpo (or the config's stage key)")
    .option(
      '--resume <auto|never|dir>',
      'continue from the newest checkpoint (auto, default), start over (never) or a folder',
    )
    .option('--max-steps <n>', 'override train.max_steps')
    .option('--append-data', 'mix shards added to a source since the checkpoint into the untrained data')
    .option('--allow-data-change', 'train even if shards differ from their manifest / the checkpoint (sha256)')
    .option('--threads <n>', 'ONNX Runtime intra-op threads (override runtime.threads)')
    .option('--json', 'print a JSON summary on stdout at the end')
    .option('--quiet', 'no progress on stderr')
    .action(runTrain);
}
