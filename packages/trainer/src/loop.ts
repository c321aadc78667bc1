// The optimizer-step loop every stage shares (pre-training, SFT, DPO): draw a step's micro-batches, take the step,
// log metrics.jsonl, evaluate every N steps, checkpoint every N steps and at the end (or on a stop request), keep the
// loss plot next to the metrics. What differs per stage comes in as `StageData` and `extraMetrics`.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { peakRssBytes } from '@steel/graph';
import { gitCommit, type RetentionPolicy, saveCheckpoint, type TrainerState } from './checkpoint.js';
import type { ModelDefinition } from './model.js';
import { writeLossPlot } from './plot.js';
import type { TrainStep } from './step.js';
import type { StepResult, Trainer } from './trainer.js';

export const METRICS_FILE = 'metrics.jsonl';
export const LOSS_PLOT_FILE = 'loss.svg';

export interface MetricsRecord {
  step: number;
  loss: number;
  lr: number;
  grad_norm: number;
  /** Training tokens so far (inputs; post-training: non-pad tokens). */
  tokens: number;
  tokens_per_s: number;
  step_ms: number;
  ort_ms: number;
  optimizer_ms: number;
  /** Model FLOPs utilisation against `peakFlops` when given. */
  mfu: number | null;
  rss_mb: number;
  peak_rss_mb: number;
  /** Held-out loss, on the steps it was measured. */
  eval_loss?: number;
  /** Stage-specific figures (DPO rewards, SFT label counts, held-out reward accuracy...). */
  [extra: string]: number | null | undefined;
}

export interface RunOptions {
  /** Called after every optimizer step (progress display). */
  onStep?: (m: MetricsRecord, maxSteps: number) => void;
  /** Human-readable events: resumed, checkpoint written... */
  onEvent?: (message: string) => void;
  /** Stop (after finishing the current step and saving a checkpoint) when this returns true. */
  shouldStop?: () => boolean;
  /** FLOP/s the MFU is computed against (e.g. the measured matmul peak). */
  peakFlops?: number;
}

/** The data side of a stage. */
export interface StageData {
  /** The micro-batch fillers of the next optimizer step and the tokens they hold (for tokens/s). */
  next(): Promise<{ micro: ((step: TrainStep) => void)[]; tokens: number }>;
  /** The data position saved in checkpoints (`trainer_state.json` loader). */
  state(): TrainerState['loader'];
  dataHash(): string | null;
}

export interface LoopInput {
  outDir: string;
  model: ModelDefinition;
  trainer: Trainer;
  data: StageData;
  maxSteps: number;
  /** Tokens consumed before this run (resume). */
  tokens: number;
  /** Whether this run continues a checkpoint (metrics.jsonl is then kept up to its step). */
  resumedAt: number | null;
  /** Saved in every checkpoint beside the step, tokens, loader, data hash and git commit. */
  state: Pick<TrainerState, 'rng' | 'config' | 'runtime'>;
  checkpoint?: RetentionPolicy & { every?: number };
  logEvery?: number;
  /** Held-out figures every `every` steps (e.g. {eval_loss}). */
  evaluate?: { every: number; run: () => Promise<Record<string, number>> };
  /** Stage figures of a step (e.g. DPO rewards). */
  extraMetrics?: (r: StepResult) => Record<string, number>;
  /** Tokens per step: matmul FLOPs per token for MFU. */
  flopsPerToken: number;
}

export interface LoopResult {
  losses: number[];
  lastCheckpoint: string | null;
  tokens: number;
  firstStep: number;
  lastStep: number;
}

/** Keeps metrics lines of steps <= `step` (a resumed run rewrites what came after its checkpoint). */
function truncateMetrics(file: string, step: number): void {
  if (!existsSync(file)) return;
  const keep = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => {
      if (!l.trim()) return false;
      try {
        return (JSON.parse(l) as { step: number }).step <= step;
      } catch {
        return false; // a line cut by a kill
      }
    });
  writeFileSync(file, keep.length ? `${keep.join('\n')}\n` : '');
}

export async function trainingLoop(input: LoopInput, opts: RunOptions = {}): Promise<LoopResult> {
  const say = opts.onEvent ?? (() => {});
  const { trainer, data, maxSteps } = input;
  const metricsPath = path.join(input.outDir, METRICS_FILE);
  if (input.resumedAt !== null) truncateMetrics(metricsPath, input.resumedAt);
  else writeFileSync(metricsPath, '');
  const plotPath = path.join(input.outDir, LOSS_PLOT_FILE);
  const commit = gitCommit();
  const every = input.checkpoint?.every ?? 0;
  const logEvery = input.logEvery ?? 1;
  let tokens = input.tokens;
  const firstStep = trainer.stepCount + 1;
  const losses: number[] = [];
  let lastCheckpoint: string | null = null;

  const save = async (step: number) => {
    lastCheckpoint = await saveCheckpoint({
      outDir: input.outDir,
      model: input.model,
      params: trainer.params,
      optimizer: trainer.optimizer.state,
      state: {
        step,
        tokens,
        loader: data.state(),
        model: input.model.describe(),
        gitCommit: commit,
        dataHash: data.dataHash(),
        ...input.state,
      },
      retention: input.checkpoint ?? {},
    });
    writeLossPlot(metricsPath, plotPath);
    say(`checkpoint ${lastCheckpoint}`);
  };

  for (let step = firstStep; step <= maxSteps; step++) {
    const { micro, tokens: stepTokens } = await data.next();
    const r = await trainer.trainStepWith(micro);
    tokens += stepTokens;
    losses.push(r.loss);
    const tps = (stepTokens * 1000) / r.stepMs;
    const m: MetricsRecord = {
      step: r.step,
      loss: r.loss,
      lr: r.lr,
      grad_norm: r.gradNorm,
      tokens,
      tokens_per_s: tps,
      step_ms: r.stepMs,
      ort_ms: r.ortMs,
      optimizer_ms: r.optimizerMs,
      mfu: opts.peakFlops ? (tps * input.flopsPerToken) / opts.peakFlops : null,
      rss_mb: process.memoryUsage().rss / 2 ** 20,
      peak_rss_mb: peakRssBytes() / 2 ** 20,
      ...(input.extraMetrics ? input.extraMetrics(r) : {}),
    };
    if (input.evaluate && r.step % input.evaluate.every === 0) Object.assign(m, await input.evaluate.run());
    if (r.step % logEvery === 0 || r.step === maxSteps) appendFileSync(metricsPath, `${JSON.stringify(m)}\n`);
    opts.onStep?.(m, maxSteps);
    const stop = opts.shouldStop?.() ?? false;
    if ((every > 0 && r.step % every === 0) || r.step === maxSteps || stop) await save(r.step);
    if (stop) break;
  }
  return { losses, lastCheckpoint, tokens, firstStep, lastStep: trainer.stepCount };
}
