// The training configuration (what `steel train --config train.yaml` reads): snake_case YAML keys, validated
// with errors that name the key, the value and what is allowed.

import type { RetentionPolicy } from './checkpoint.js';
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
    /** AdamW threads: 1 or 2 (identical results). */
    optimizerThreads?: 1 | 2;
  };
  /** 'auto' (default): continue from the newest checkpoint in outDir if any; 'never'; or a checkpoint folder. */
  resume?: string;
  /** Write metrics every N steps (default 1). */
  logEvery?: number;
  /** Held-out loss every `every` steps on the first `batches` micro-batches of `dir` (a packed folder). */
  eval?: { dir: string; every: number; batches?: number };
}

export class TrainConfigError extends Error {
  override name = 'TrainConfigError';
}

type Obj = Record<string, unknown>;

const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function obj(v: unknown, where: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new TrainConfigError(`${where} must be a mapping, got ${JSON.stringify(v)}`);
  const out: Obj = {};
  for (const [k, x] of Object.entries(v as Obj)) out[camel(k)] = x;
  return out;
}

function onlyKeys(o: Obj, allowed: string[], where: string): void {
  const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  for (const k of Object.keys(o))
    if (!allowed.includes(k))
      throw new TrainConfigError(`${where}: unknown key '${snake(k)}' (allowed: ${allowed.map(snake).join(', ')})`);
}

function int(o: Obj, k: string, where: string, min: number, dflt?: number): number {
  const v = o[k] ?? dflt;
  if (v === undefined) throw new TrainConfigError(`${where}.${k}: required (an integer >= ${min})`);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new TrainConfigError(`${where}.${k} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function num(o: Obj, k: string, where: string, dflt?: number): number {
  const v = o[k] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new TrainConfigError(`${where}.${k} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function str(o: Obj, k: string, where: string): string | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !v)
    throw new TrainConfigError(`${where}.${k} must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function bool(o: Obj, k: string, where: string): boolean | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean')
    throw new TrainConfigError(`${where}.${k} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

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

  if (top.optimizer !== undefined) {
    const o = obj(top.optimizer, `${where}.optimizer`);
    onlyKeys(o, ['betas', 'eps', 'weightDecay', 'noDecay'], `${where}.optimizer`);
    const opt: AdamWOptions = {};
    if (o.betas !== undefined) {
      if (
        !Array.isArray(o.betas) ||
        o.betas.length !== 2 ||
        o.betas.some((b) => typeof b !== 'number' || b < 0 || b >= 1)
      )
        throw new TrainConfigError(
          `${where}.optimizer.betas must be two numbers in [0, 1), got ${JSON.stringify(o.betas)}`,
        );
      opt.beta1 = o.betas[0] as number;
      opt.beta2 = o.betas[1] as number;
    }
    if (o.eps !== undefined) opt.eps = num(o, 'eps', `${where}.optimizer`);
    if (o.weightDecay !== undefined) opt.weightDecay = num(o, 'weightDecay', `${where}.optimizer`);
    if (o.noDecay !== undefined) {
      if (!Array.isArray(o.noDecay) || o.noDecay.some((x) => typeof x !== 'string'))
        throw new TrainConfigError(
          `${where}.optimizer.no_decay must be a list of parameter names or /regex/ strings, got ${JSON.stringify(o.noDecay)}`,
        );
      opt.noDecay = (o.noDecay as string[]).map((x) => {
        const r = /^\/(.*)\/([a-z]*)$/.exec(x);
        return r ? new RegExp(r[1]!, r[2]) : x;
      });
    }
    cfg.optimizer = opt;
  }

  const s = obj(top.schedule, `${where}.schedule`);
  const kind = s.kind;
  const sw = `${where}.schedule`;
  if (kind === 'constant') {
    onlyKeys(s, ['kind', 'lr', 'warmupSteps'], sw);
    cfg.schedule = { kind, lr: num(s, 'lr', sw), warmupSteps: int(s, 'warmupSteps', sw, 0, 0) };
  } else if (kind === 'cosine') {
    onlyKeys(s, ['kind', 'peakLr', 'minLr', 'warmupSteps', 'decaySteps', 'microStepQuirk'], sw);
    cfg.schedule = {
      kind,
      peakLr: num(s, 'peakLr', sw),
      minLr: num(s, 'minLr', sw, 0),
      warmupSteps: int(s, 'warmupSteps', sw, 0),
      decaySteps: int(s, 'decaySteps', sw, 1, train.maxSteps),
    };
    if (bool(s, 'microStepQuirk', sw)) cfg.schedule.microStepQuirk = { accumulation: train.accumulation ?? 1 };
  } else if (kind === 'wsd') {
    onlyKeys(s, ['kind', 'peakLr', 'minLr', 'warmupSteps', 'stableSteps', 'decaySteps', 'decayShape'], sw);
    cfg.schedule = {
      kind,
      peakLr: num(s, 'peakLr', sw),
      minLr: num(s, 'minLr', sw, 0),
      warmupSteps: int(s, 'warmupSteps', sw, 0),
      stableSteps: int(s, 'stableSteps', sw, 0),
      decaySteps: int(s, 'decaySteps', sw, 1),
    };
    if (s.decayShape !== undefined) cfg.schedule.decayShape = s.decayShape as 'linear';
  } else throw new TrainConfigError(`${sw}.kind must be cosine, wsd or constant, got ${JSON.stringify(kind)}`);
  try {
    validateSchedule(cfg.schedule);
  } catch (e) {
    throw new TrainConfigError(`${sw}: ${(e as Error).message}`);
  }

  if (top.checkpoint !== undefined) {
    const c = obj(top.checkpoint, `${where}.checkpoint`);
    onlyKeys(c, ['every', 'keepLast', 'keepEvery'], `${where}.checkpoint`);
    cfg.checkpoint = {
      every: int(c, 'every', `${where}.checkpoint`, 0, 0),
      keepLast: int(c, 'keepLast', `${where}.checkpoint`, 0, 3),
      keepEvery: int(c, 'keepEvery', `${where}.checkpoint`, 0, 0),
    };
  }
  if (top.runtime !== undefined) {
    const r = obj(top.runtime, `${where}.runtime`);
    onlyKeys(r, ['ep', 'threads', 'optimization', 'optimizerThreads'], `${where}.runtime`);
    const rt: NonNullable<TrainConfig['runtime']> = {};
    if (r.ep !== undefined) {
      if (r.ep !== 'cpu' && r.ep !== 'cuda')
        throw new TrainConfigError(`${where}.runtime.ep must be cpu or cuda, got ${JSON.stringify(r.ep)}`);
      rt.ep = r.ep;
    }
    if (r.threads !== undefined) rt.threads = int(r, 'threads', `${where}.runtime`, 1);
    if (r.optimizerThreads !== undefined) {
      const n = int(r, 'optimizerThreads', `${where}.runtime`, 1);
      if (n > 2) throw new TrainConfigError(`${where}.runtime.optimizer_threads must be 1 or 2, got ${n}`);
      rt.optimizerThreads = n as 1 | 2;
    }
    if (r.optimization !== undefined) {
      if (!['disabled', 'basic', 'extended', 'all'].includes(r.optimization as string))
        throw new TrainConfigError(
          `${where}.runtime.optimization must be disabled, basic, extended or all, got ${JSON.stringify(r.optimization)}`,
        );
      rt.optimization = r.optimization as 'all';
    }
    cfg.runtime = rt;
  }
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
