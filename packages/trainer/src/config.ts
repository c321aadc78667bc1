// The training configuration (what `steel train --config train.yaml` reads): snake_case YAML keys, validated
// with errors that name the key, the value and what is allowed.

import type { RetentionPolicy } from './checkpoint.js';
import { TrainConfigError } from './config-error.js';
import { bool, int, num, obj, onlyKeys, str } from './config-parse.js';
import type { DataSourceSpec } from './data/loader.js';
import type { AdamWOptions } from './optimizer.js';
import type { Schedule } from './schedule.js';
import { validateSchedule } from './schedule.js';

export interface TrainConfig {
  /** Run folder: checkpoints/, metrics.jsonl. */
  outDir: string;
  model: {
    /** A Steel preset name, a config.json, or a model folder (its config.json). */
    config?: string;
    /** Instead of a Steel config: the trainer's tiny LM. */
    tinyLm?: { vocab: number; hidden: number; inner?: number };
    /** Start from these weights (an HF-style folder, e.g. a released checkpoint) instead of a fresh init. */
    initFrom?: string;
    /** Init seed (default 3407). */
    seed?: number;
  };
  data: {
    sources: DataSourceSpec[];
    /** Window permutation seed (default 3407). */
    seed?: number;
    /** Target id left out of the loss (Steel: 151643); null = none. Default null. */
    ignoreTokenId?: number | null;
    /** Hash every shard against its manifest when starting/resuming (default true). */
    verify?: boolean;
    allowDataChange?: boolean;
    appendNewData?: boolean;
  };
  train: {
    batch: number;
    seq: number;
    accumulation?: number;
    maxSteps: number;
    clipNorm?: number;
    lossChunks?: number;
  };
  optimizer?: AdamWOptions;
  schedule: Schedule;
  checkpoint?: RetentionPolicy & { every?: number };
  runtime?: {
    ep?: 'cpu' | 'cuda';
    threads?: number;
    optimization?: 'disabled' | 'basic' | 'extended' | 'all';
    /** Threads of the gradient norm and AdamW (C++ kernels; identical results on any count). */
    optimizerThreads?: number;
  };
  /** 'auto' (default): continue from the newest checkpoint in outDir if any; 'never'; or a checkpoint folder. */
  resume?: string;
  /** Write metrics every N steps (default 1). */
  logEvery?: number;
  /** Held-out loss every `every` steps on the first `batches` micro-batches of `dir` (a packed folder). */
  eval?: { dir: string; every: number; batches?: number };
}

export { TrainConfigError };

/** Validates a parsed YAML/JSON document (snake_case or camelCase keys) into a TrainConfig. */
export function parseTrainConfig(doc: unknown, where = 'config'): TrainConfig {
  const top = obj(doc, where);
  onlyKeys(
    top,
    [
      'outDir',
      'model',
      'data',
      'train',
      'optimizer',
      'schedule',
      'checkpoint',
      'runtime',
      'resume',
      'logEvery',
      'eval',
    ],
    where,
  );
  const outDir = str(top, 'outDir', where);
  if (!outDir) throw new TrainConfigError(`${where}.out_dir: required (the run folder)`);

  const m = obj(top.model ?? {}, `${where}.model`);
  onlyKeys(m, ['config', 'tinyLm', 'initFrom', 'seed'], `${where}.model`);
  const model: TrainConfig['model'] = {};
  const mc = str(m, 'config', `${where}.model`);
  if (mc) model.config = mc;
  if (m.tinyLm !== undefined) {
    const t = obj(m.tinyLm, `${where}.model.tiny_lm`);
    onlyKeys(t, ['vocab', 'hidden', 'inner'], `${where}.model.tiny_lm`);
    model.tinyLm = {
      vocab: int(t, 'vocab', `${where}.model.tiny_lm`, 2),
      hidden: int(t, 'hidden', `${where}.model.tiny_lm`, 1),
    };
    if (t.inner !== undefined) model.tinyLm.inner = int(t, 'inner', `${where}.model.tiny_lm`, 1);
  }
  if (!model.config === !model.tinyLm)
    throw new TrainConfigError(
      `${where}.model: give exactly one of config (a Steel preset, config.json or folder) or tiny_lm`,
    );
  const initFrom = str(m, 'initFrom', `${where}.model`);
  if (initFrom) model.initFrom = initFrom;
  if (m.seed !== undefined) model.seed = int(m, 'seed', `${where}.model`, 0);

  const d = obj(top.data, `${where}.data`);
  onlyKeys(d, ['sources', 'seed', 'ignoreTokenId', 'verify', 'allowDataChange', 'appendNewData'], `${where}.data`);
  if (!Array.isArray(d.sources) || d.sources.length === 0)
    throw new TrainConfigError(`${where}.data.sources must be a non-empty list of {dir, weight?, name?}`);
  const sources: DataSourceSpec[] = d.sources.map((s, i) => {
    const w = `${where}.data.sources[${i}]`;
    const so = obj(typeof s === 'string' ? { dir: s } : s, w);
    onlyKeys(so, ['dir', 'weight', 'name'], w);
    const dir = str(so, 'dir', w);
    if (!dir) throw new TrainConfigError(`${w}.dir: required (a folder with packed shards and manifest.json)`);
    const spec: DataSourceSpec = { dir };
    if (so.weight !== undefined) {
      spec.weight = num(so, 'weight', w);
      if (!(spec.weight > 0)) throw new TrainConfigError(`${w}.weight must be > 0, got ${spec.weight}`);
    }
    const name = str(so, 'name', w);
    if (name) spec.name = name;
    return spec;
  });
  const data: TrainConfig['data'] = { sources };
  if (d.seed !== undefined) data.seed = int(d, 'seed', `${where}.data`, 0);
  if (d.ignoreTokenId !== undefined)
    data.ignoreTokenId = d.ignoreTokenId === null ? null : int(d, 'ignoreTokenId', `${where}.data`, 0);
  for (const k of ['verify', 'allowDataChange', 'appendNewData'] as const) {
    const b = bool(d, k, `${where}.data`);
    if (b !== undefined) data[k] = b;
  }

  const t = obj(top.train, `${where}.train`);
  onlyKeys(t, ['batch', 'seq', 'accumulation', 'maxSteps', 'clipNorm', 'lossChunks'], `${where}.train`);
  const train: TrainConfig['train'] = {
    batch: int(t, 'batch', `${where}.train`, 1),
    seq: int(t, 'seq', `${where}.train`, 1),
    accumulation: int(t, 'accumulation', `${where}.train`, 1, 1),
    maxSteps: int(t, 'maxSteps', `${where}.train`, 1),
  };
  if (t.clipNorm !== undefined) {
    train.clipNorm = num(t, 'clipNorm', `${where}.train`);
    if (train.clipNorm < 0)
      throw new TrainConfigError(`${where}.train.clip_norm must be >= 0 (0 = off), got ${train.clipNorm}`);
  }
  if (t.lossChunks !== undefined) train.lossChunks = int(t, 'lossChunks', `${where}.train`, 1);

  const cfg: TrainConfig = { outDir, model, data, train, schedule: { kind: 'constant', lr: 0 } };

  if (top.optimizer !== undefined) cfg.optimizer = parseOptimizerSection(top.optimizer, `${where}.optimizer`);
  cfg.schedule = parseScheduleSection(top.schedule, `${where}.schedule`, train.maxSteps, train.accumulation ?? 1);
  if (top.checkpoint !== undefined) cfg.checkpoint = parseCheckpointSection(top.checkpoint, `${where}.checkpoint`);
  if (top.runtime !== undefined) cfg.runtime = parseRuntimeSection(top.runtime, `${where}.runtime`);
  const resume = str(top, 'resume', where);
  if (resume) cfg.resume = resume;
  if (top.logEvery !== undefined) cfg.logEvery = int(top, 'logEvery', where, 1);
  if (top.eval !== undefined) {
    const e = obj(top.eval, `${where}.eval`);
    onlyKeys(e, ['dir', 'every', 'batches'], `${where}.eval`);
    const dir = str(e, 'dir', `${where}.eval`);
    if (!dir) throw new TrainConfigError(`${where}.eval.dir: required (a packed folder held out from training)`);
    cfg.eval = { dir, every: int(e, 'every', `${where}.eval`, 1), batches: int(e, 'batches', `${where}.eval`, 1, 4) };
  }
  return cfg;
}

/** `optimizer:` — betas, eps, weight_decay, no_decay (names or /regex/). */
export function parseOptimizerSection(v: unknown, where: string): AdamWOptions {
  const o = obj(v, where);
  onlyKeys(o, ['betas', 'eps', 'weightDecay', 'noDecay'], where);
  const opt: AdamWOptions = {};
  if (o.betas !== undefined) {
    if (
      !Array.isArray(o.betas) ||
      o.betas.length !== 2 ||
      o.betas.some((b) => typeof b !== 'number' || b < 0 || b >= 1)
    )
      throw new TrainConfigError(`${where}.betas must be two numbers in [0, 1), got ${JSON.stringify(o.betas)}`);
    opt.beta1 = o.betas[0] as number;
    opt.beta2 = o.betas[1] as number;
  }
  if (o.eps !== undefined) opt.eps = num(o, 'eps', where);
  if (o.weightDecay !== undefined) opt.weightDecay = num(o, 'weightDecay', where);
  if (o.noDecay !== undefined) {
    if (!Array.isArray(o.noDecay) || o.noDecay.some((x) => typeof x !== 'string'))
      throw new TrainConfigError(
        `${where}.no_decay must be a list of parameter names or /regex/ strings, got ${JSON.stringify(o.noDecay)}`,
      );
    opt.noDecay = (o.noDecay as string[]).map((x) => {
      const r = /^\/(.*)\/([a-z]*)$/.exec(x);
      return r ? new RegExp(r[1]!, r[2]) : x;
    });
  }
  return opt;
}

/** `schedule:` — constant, cosine (Steel's, decay_steps default = max_steps) or wsd; validated. */
export function parseScheduleSection(v: unknown, sw: string, maxSteps: number, accumulation: number): Schedule {
  const s = obj(v, sw);
  const kind = s.kind;
  let schedule: Schedule;
  if (kind === 'constant') {
    onlyKeys(s, ['kind', 'lr', 'warmupSteps'], sw);
    schedule = { kind, lr: num(s, 'lr', sw), warmupSteps: int(s, 'warmupSteps', sw, 0, 0) };
  } else if (kind === 'cosine') {
    onlyKeys(s, ['kind', 'peakLr', 'minLr', 'warmupSteps', 'decaySteps', 'microStepQuirk'], sw);
    schedule = {
      kind,
      peakLr: num(s, 'peakLr', sw),
      minLr: num(s, 'minLr', sw, 0),
      warmupSteps: int(s, 'warmupSteps', sw, 0),
      decaySteps: int(s, 'decaySteps', sw, 1, maxSteps),
    };
    if (bool(s, 'microStepQuirk', sw)) schedule.microStepQuirk = { accumulation };
  } else if (kind === 'wsd') {
    onlyKeys(s, ['kind', 'peakLr', 'minLr', 'warmupSteps', 'stableSteps', 'decaySteps', 'decayShape'], sw);
    schedule = {
      kind,
      peakLr: num(s, 'peakLr', sw),
      minLr: num(s, 'minLr', sw, 0),
      warmupSteps: int(s, 'warmupSteps', sw, 0),
      stableSteps: int(s, 'stableSteps', sw, 0),
      decaySteps: int(s, 'decaySteps', sw, 1),
    };
    if (s.decayShape !== undefined) schedule.decayShape = s.decayShape as 'linear';
  } else throw new TrainConfigError(`${sw}.kind must be cosine, wsd or constant, got ${JSON.stringify(kind)}`);
  try {
    validateSchedule(schedule);
  } catch (e) {
    throw new TrainConfigError(`${sw}: ${(e as Error).message}`);
  }
  return schedule;
}

/** `checkpoint:` — every, keep_last (3), keep_every. */
export function parseCheckpointSection(v: unknown, where: string): NonNullable<TrainConfig['checkpoint']> {
  const c = obj(v, where);
  onlyKeys(c, ['every', 'keepLast', 'keepEvery'], where);
  return {
    every: int(c, 'every', where, 0, 0),
    keepLast: int(c, 'keepLast', where, 0, 3),
    keepEvery: int(c, 'keepEvery', where, 0, 0),
  };
}

/** `runtime:` — ep, threads, optimization, optimizer_threads. */
export function parseRuntimeSection(v: unknown, where: string): NonNullable<TrainConfig['runtime']> {
  const r = obj(v, where);
  onlyKeys(r, ['ep', 'threads', 'optimization', 'optimizerThreads'], where);
  const rt: NonNullable<TrainConfig['runtime']> = {};
  if (r.ep !== undefined) {
    if (r.ep !== 'cpu' && r.ep !== 'cuda')
      throw new TrainConfigError(`${where}.ep must be cpu or cuda, got ${JSON.stringify(r.ep)}`);
    rt.ep = r.ep;
  }
  if (r.threads !== undefined) rt.threads = int(r, 'threads', where, 1);
  if (r.optimizerThreads !== undefined) rt.optimizerThreads = int(r, 'optimizerThreads', where, 1);
  if (r.optimization !== undefined) {
    if (!['disabled', 'basic', 'extended', 'all'].includes(r.optimization as string))
      throw new TrainConfigError(
        `${where}.optimization must be disabled, basic, extended or all, got ${JSON.stringify(r.optimization)}`,
      );
    rt.optimization = r.optimization as 'all';
  }
  return rt;
}
