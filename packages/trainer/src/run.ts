// The pre-training loop behind `steel train`: model + data + trainer + checkpoints + metrics.jsonl, resumable.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { peakRssBytes } from '@steel/graph';
import { loadConfig, loadModelFolder, SafetensorsFile } from '@steel/steel-model';
import { gitCommit, latestCheckpoint, loadCheckpoint, saveCheckpoint, type TrainerState } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { DataLoader } from './data/loader.js';
import { type ModelDefinition, steelModel, tinyLm } from './model.js';
import { writeLossPlot } from './plot.js';
import { Trainer } from './trainer.js';

export const METRICS_FILE = 'metrics.jsonl';
export const LOSS_PLOT_FILE = 'loss.svg';

export interface MetricsRecord {
  step: number;
  loss: number;
  lr: number;
  grad_norm: number;
  /** Training tokens so far (inputs). */
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

export interface RunSummary {
  outDir: string;
  resumedFrom: string | null;
  firstStep: number;
  lastStep: number;
  losses: number[];
  lastCheckpoint: string | null;
  tokens: number;
}

/** The model definition a config asks for. */
export async function modelForConfig(cfg: TrainConfig): Promise<ModelDefinition> {
  if (cfg.model.tinyLm) return tinyLm(cfg.model.tinyLm);
  return steelModel(await loadConfig(cfg.model.config!));
}

async function initialWeights(model: ModelDefinition, cfg: TrainConfig): Promise<Map<string, Float32Array>> {
  const from = cfg.model.initFrom;
  if (!from) return model.init(cfg.model.seed ?? 3407);
  if (model.steelConfig) return (await loadModelFolder(from)).weights;
  const f = await SafetensorsFile.open(path.join(from, 'model.safetensors'));
  try {
    const out = new Map<string, Float32Array>();
    for (const p of model.params) out.set(p.name, await f.readFloat32(p.name));
    return out;
  } finally {
    await f.close();
  }
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

export async function runTraining(cfg: TrainConfig, opts: RunOptions = {}): Promise<RunSummary> {
  const say = opts.onEvent ?? (() => {});
  await mkdir(cfg.outDir, { recursive: true });
  const model = await modelForConfig(cfg);
  const resumeDir =
    cfg.resume === 'never'
      ? null
      : !cfg.resume || cfg.resume === 'auto'
        ? await latestCheckpoint(cfg.outDir)
        : cfg.resume;
  const ckpt = resumeDir ? await loadCheckpoint(resumeDir, model) : null;
  if (ckpt) say(`resuming from ${resumeDir} (step ${ckpt.state.step}, ${ckpt.state.tokens} tokens)`);
  const params = ckpt ? ckpt.params : await initialWeights(model, cfg);
  const dataSeed = cfg.data.seed ?? 3407;
  const loader = await DataLoader.open(cfg.data.sources, {
    windowSize: cfg.train.seq + 1,
    seed: dataSeed,
    ...(ckpt?.state.loader ? { state: ckpt.state.loader } : {}),
    ...(cfg.data.verify !== undefined ? { verify: cfg.data.verify } : {}),
    ...(cfg.data.allowDataChange ? { allowDataChange: true } : {}),
    ...(cfg.data.appendNewData ? { appendNewData: true } : {}),
  });
  const threads = cfg.runtime?.threads ?? null;
  const trainer = await Trainer.create(
    model,
    params,
    {
      batch: cfg.train.batch,
      seq: cfg.train.seq,
      accumulation: cfg.train.accumulation ?? 1,
      clipNorm: cfg.train.clipNorm ?? 1,
      ignoreTokenId: cfg.data.ignoreTokenId ?? null,
      schedule: cfg.schedule,
      ...(cfg.optimizer ? { optimizer: cfg.optimizer } : {}),
      ...(cfg.train.lossChunks ? { lossChunks: cfg.train.lossChunks } : {}),
      ...(cfg.runtime?.ep ? { ep: cfg.runtime.ep } : {}),
      ...(threads ? { threads } : {}),
      ...(cfg.runtime?.optimization ? { optimization: cfg.runtime.optimization } : {}),
      ...(cfg.runtime?.optimizerThreads ? { optimizerThreads: cfg.runtime.optimizerThreads } : {}),
    },
    ckpt?.optimizer,
  );
  const metricsPath = path.join(cfg.outDir, METRICS_FILE);
  if (ckpt) truncateMetrics(metricsPath, ckpt.state.step);
  else writeFileSync(metricsPath, '');
  const commit = gitCommit();
  const every = cfg.checkpoint?.every ?? 0;
  const logEvery = cfg.logEvery ?? 1;
  const acc = cfg.train.accumulation ?? 1;
  const tokensPerStep = cfg.train.batch * cfg.train.seq * acc;
  const flopsPerToken = model.flopsPerToken(cfg.train.seq);
  let tokens = ckpt?.state.tokens ?? 0;
  const firstStep = trainer.stepCount + 1;
  const losses: number[] = [];
  let lastCheckpoint: string | null = null;

  // Held-out loss: the same first `batches` micro-batches of the eval folder every time (a fresh loader each time).
  let evalVerified = false;
  const evalLoss = async (): Promise<number> => {
    const e = cfg.eval!;
    const dl = await DataLoader.open([{ dir: e.dir, name: 'eval' }], {
      windowSize: cfg.train.seq + 1,
      seed: 0,
      verify: !evalVerified && cfg.data.verify !== false,
    });
    evalVerified = true;
    try {
      let sum = 0;
      const n = e.batches ?? 4;
      for (let i = 0; i < n; i++) sum += await trainer.lossAndGrads(await dl.nextBatch(cfg.train.batch));
      return sum / n;
    } finally {
      await dl.close();
    }
  };
  const plotPath = path.join(cfg.outDir, LOSS_PLOT_FILE);

  const save = async (step: number) => {
    const state: Omit<TrainerState, 'version' | 'createdAt'> = {
      step,
      tokens,
      rng: { dataSeed, initSeed: cfg.model.seed ?? 3407 },
      loader: loader.state(),
      config: cfg,
      model: model.describe(),
      gitCommit: commit,
      dataHash: loader.dataHash(),
      runtime: { ep: cfg.runtime?.ep ?? 'cpu', threads },
    };
    lastCheckpoint = await saveCheckpoint({
      outDir: cfg.outDir,
      model,
      params: trainer.params,
      optimizer: trainer.optimizer.state,
      state,
      retention: cfg.checkpoint ?? {},
    });
    writeLossPlot(metricsPath, plotPath);
    say(`checkpoint ${lastCheckpoint}`);
  };

  try {
    for (let step = firstStep; step <= cfg.train.maxSteps; step++) {
      const micro: Int32Array[] = [];
      for (let k = 0; k < acc; k++) micro.push(await loader.nextBatch(cfg.train.batch));
      const r = await trainer.trainStep(micro);
      tokens += tokensPerStep;
      losses.push(r.loss);
      const tps = (tokensPerStep * 1000) / r.stepMs;
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
        mfu: opts.peakFlops ? (tps * flopsPerToken) / opts.peakFlops : null,
        rss_mb: process.memoryUsage().rss / 2 ** 20,
        peak_rss_mb: peakRssBytes() / 2 ** 20,
      };
      if (cfg.eval && r.step % cfg.eval.every === 0) m.eval_loss = await evalLoss();
      if (r.step % logEvery === 0 || r.step === cfg.train.maxSteps)
        appendFileSync(metricsPath, `${JSON.stringify(m)}\n`);
      opts.onStep?.(m, cfg.train.maxSteps);
      const stop = opts.shouldStop?.() ?? false;
      if ((every > 0 && r.step % every === 0) || r.step === cfg.train.maxSteps || stop) await save(r.step);
      if (stop) break;
    }
  } finally {
    await trainer.release();
    await loader.close();
  }
  return {
    outDir: cfg.outDir,
    resumedFrom: resumeDir,
    firstStep,
    lastStep: trainer.stepCount,
    losses,
    lastCheckpoint,
    tokens,
  };
}
