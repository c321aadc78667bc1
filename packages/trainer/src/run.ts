// The pre-training loop behind `steel train`: model + data + trainer + checkpoints + metrics.jsonl, resumable.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, loadModelFolder, SafetensorsFile } from '@steel/steel-model';
import { loadCheckpoint, resumeCheckpointDir } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { DataLoader } from './data/loader.js';
import { type RunOptions, trainingLoop } from './loop.js';
import { type ModelDefinition, steelModel, tinyLm } from './model.js';
import { Trainer } from './trainer.js';

export type { MetricsRecord, RunOptions } from './loop.js';
export { LOSS_PLOT_FILE, METRICS_FILE } from './loop.js';

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

export async function runTraining(cfg: TrainConfig, opts: RunOptions = {}): Promise<RunSummary> {
  const say = opts.onEvent ?? (() => {});
  await mkdir(cfg.outDir, { recursive: true });
  const model = await modelForConfig(cfg);
  const resumeDir = await resumeCheckpointDir(cfg.resume, cfg.outDir);
  const ckpt = resumeDir ? await loadCheckpoint(resumeDir, model) : null;
  if (ckpt) say(`resuming from ${resumeDir} (step ${ckpt.state.step}, ${ckpt.state.tokens} tokens)`);
  const saved = ckpt?.state.loader;
  if (saved && 'kind' in saved)
    throw new Error(
      `${resumeDir} is a ${saved.kind} checkpoint: continue it with --stage ${saved.kind}, or pre-train from its model/ with model.init_from`,
    );
  const params = ckpt ? ckpt.params : await initialWeights(model, cfg);
  const dataSeed = cfg.data.seed ?? 3407;
  const loader = await DataLoader.open(cfg.data.sources, {
    windowSize: cfg.train.seq + 1,
    seed: dataSeed,
    ...(saved ? { state: saved } : {}),
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
  const acc = cfg.train.accumulation ?? 1;
  const tokensPerStep = cfg.train.batch * cfg.train.seq * acc;

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
  try {
    const r = await trainingLoop(
      {
        outDir: cfg.outDir,
        model,
        trainer,
        maxSteps: cfg.train.maxSteps,
        tokens: ckpt?.state.tokens ?? 0,
        resumedAt: ckpt ? ckpt.state.step : null,
        data: {
          async next() {
            const micro: Int32Array[] = [];
            for (let k = 0; k < acc; k++) micro.push(await loader.nextBatch(cfg.train.batch));
            return { micro: micro.map((w) => (s) => s.setBatch(w, trainer.ignoreTokenId)), tokens: tokensPerStep };
          },
          state: () => loader.state(),
          dataHash: () => loader.dataHash(),
        },
        state: {
          rng: { dataSeed, initSeed: cfg.model.seed ?? 3407 },
          config: cfg,
          runtime: { ep: cfg.runtime?.ep ?? 'cpu', threads },
        },
        ...(cfg.checkpoint ? { checkpoint: cfg.checkpoint } : {}),
        ...(cfg.logEvery ? { logEvery: cfg.logEvery } : {}),
        ...(cfg.eval
          ? { evaluate: { every: cfg.eval.every, run: async () => ({ eval_loss: await evalLoss() }) } }
          : {}),
        flopsPerToken: model.flopsPerToken(cfg.train.seq),
      },
      opts,
    );
    return { outDir: cfg.outDir, resumedFrom: resumeDir, ...r };
  } finally {
    await trainer.release();
    await loader.close();
  }
}
