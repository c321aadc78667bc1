// The post-training configuration (`steel train --stage sft|dpo --config post.yaml`): the pre-training keys where
// they mean the same (model, optimizer, schedule, checkpoint, runtime, resume, log_every), chat-data sources instead of
// packed shards, and Steel-LLM's own hyperparameters (spec §4.2, §4.3) as the defaults of every key left out.
import {
  parseCheckpointSection,
  parseOptimizerSection,
  parseRuntimeSection,
  parseScheduleSection,
  type TrainConfig,
} from '../config.js';
import { TrainConfigError } from '../config-error.js';
import { bool, int, num, obj, onlyKeys, str } from '../config-parse.js';
import type { AdamWOptions } from '../optimizer.js';
import type { Schedule } from '../schedule.js';
import type { ChatSourceSpec } from './dataset.js';
import { DPO_LOSS_KINDS, type DpoLossKind } from './dpo.js';

export type PostTrainStage = 'sft' | 'dpo';

export interface PostTrainConfig {
  stage: PostTrainStage;
  outDir: string;
  model: {
    /** The model to fine-tune: an HF-style folder (a pre-training checkpoint's model/, a released Steel checkpoint). */
    initFrom?: string;
    /** Or a fresh model: a Steel preset, config.json or folder, with `seed` (tests, toy runs). */
    config?: string;
    seed?: number;
  };
  tokenizer: { variant?: 'qwen1.5' | 'qwen3'; path?: string };
  data: {
    sources: ChatSourceSpec[];
    seed: number;
    /** System prompt of records without one (Steel: "You are a helpful assistant."; '' = no system block). */
    systemPrompt: string;
    truncation: 'tail' | 'drop';
    /** SFT: several conversations per row (each computed as if alone). Default false (Steel: no packing). */
    packing: boolean;
    maxSegments: number;
    /** Samples per epoch with weighted sources (default: all samples). */
    epochSamples?: number;
    allowDataChange: boolean;
  };
  train: {
    /** SFT: rows per micro-batch; DPO: pairs per micro-batch (2 rows each). */
    batch: number;
    /** Tokens per row = the cutoff length. */
    seq: number;
    accumulation: number;
    /** Optimizer steps; when absent, `epochs` over the data decide. */
    maxSteps?: number;
    epochs: number;
    clipNorm: number;
    lossChunks?: number;
  };
  dpo: {
    beta: number;
    loss: DpoLossKind;
    /** 'precompute' (default): the reference log-probs of every pair once, cached in out_dir; 'alongside': each step. */
    reference: 'precompute' | 'alongside';
    /** The frozen reference model (default: the model being trained, as it starts). */
    refModel?: string;
  };
  optimizer: AdamWOptions;
  /** Schedule without its step counts when they come from the data (resolved by `resolveSchedule`). */
  schedule: ScheduleSpec;
  checkpoint?: TrainConfig['checkpoint'];
  runtime?: TrainConfig['runtime'];
  resume?: string;
  logEvery?: number;
  /** Held-out loss (SFT) / reward accuracy (DPO) every `every` steps on the first `batches` micro-batches. */
  eval?: { sources: ChatSourceSpec[]; every: number; batches: number };
}

/** A schedule whose warmup may be a ratio and whose decay may default to the run's length. */
export type ScheduleSpec = { raw: unknown } | { steel: 'sft' | 'dpo' };

/** Steel-LLM's SFT (LLaMA-Factory, spec §4.2) and DPO (§4.3) hyperparameters, for one machine. */
export const STEEL_POSTTRAIN_DEFAULTS = {
  sft: { batch: 16, accumulation: 16, seq: 768, epochs: 5, peakLr: 3e-5, warmupRatio: 0, weightDecay: 0 },
  dpo: { batch: 8, accumulation: 16, seq: 1536, epochs: 3, peakLr: 5e-6, warmupRatio: 0.1, weightDecay: 0.1 },
} as const;

function sources(v: unknown, where: string): ChatSourceSpec[] {
  if (!Array.isArray(v) || v.length === 0)
    throw new TrainConfigError(`${where} must be a non-empty list of {path, weight?, name?}`);
  return v.map((s, i) => {
    const w = `${where}[${i}]`;
    const so = obj(typeof s === 'string' ? { path: s } : s, w);
    onlyKeys(so, ['path', 'weight', 'name'], w);
    const path = str(so, 'path', w);
    if (!path) throw new TrainConfigError(`${w}.path: required (a jsonl/json/parquet/csv/arrow file or folder)`);
    const spec: ChatSourceSpec = { path };
    if (so.weight !== undefined) {
      spec.weight = num(so, 'weight', w);
      if (!(spec.weight > 0)) throw new TrainConfigError(`${w}.weight must be > 0, got ${spec.weight}`);
    }
    const name = str(so, 'name', w);
    if (name) spec.name = name;
    return spec;
  });
}

/** Validates a parsed YAML/JSON document into a PostTrainConfig (`stage` from the document or the argument). */
export function parsePostTrainConfig(doc: unknown, stageArg?: PostTrainStage, where = 'config'): PostTrainConfig {
  const top = obj(doc, where);
  onlyKeys(
    top,
    [
      'stage',
      'outDir',
      'model',
      'tokenizer',
      'data',
      'train',
      'dpo',
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
  const stage = (stageArg ?? top.stage) as PostTrainStage;
  if (stage !== 'sft' && stage !== 'dpo')
    throw new TrainConfigError(`${where}.stage must be sft or dpo, got ${JSON.stringify(top.stage)}`);
  if (stageArg && top.stage !== undefined && top.stage !== stageArg)
    throw new TrainConfigError(`${where}.stage is ${JSON.stringify(top.stage)} but --stage ${stageArg} was given`);
  const D = STEEL_POSTTRAIN_DEFAULTS[stage];
  const outDir = str(top, 'outDir', where);
  if (!outDir) throw new TrainConfigError(`${where}.out_dir: required (the run folder)`);

  const m = obj(top.model ?? {}, `${where}.model`);
  onlyKeys(m, ['initFrom', 'config', 'seed'], `${where}.model`);
  const model: PostTrainConfig['model'] = {};
  const initFrom = str(m, 'initFrom', `${where}.model`);
  const config = str(m, 'config', `${where}.model`);
  if (!initFrom === !config)
    throw new TrainConfigError(
      `${where}.model: give exactly one of init_from (the HF-style folder to fine-tune) or config (a fresh model)`,
    );
  if (initFrom) model.initFrom = initFrom;
  if (config) model.config = config;
  if (m.seed !== undefined) model.seed = int(m, 'seed', `${where}.model`, 0);

  const tk = obj(top.tokenizer ?? {}, `${where}.tokenizer`);
  onlyKeys(tk, ['variant', 'path'], `${where}.tokenizer`);
  const tokenizer: PostTrainConfig['tokenizer'] = {};
  if (tk.variant !== undefined) {
    if (tk.variant !== 'qwen1.5' && tk.variant !== 'qwen3')
      throw new TrainConfigError(
        `${where}.tokenizer.variant must be qwen1.5 or qwen3, got ${JSON.stringify(tk.variant)}`,
      );
    tokenizer.variant = tk.variant;
  }
  const tpath = str(tk, 'path', `${where}.tokenizer`);
  if (tpath) tokenizer.path = tpath;

  const dw = `${where}.data`;
  const d = obj(top.data, dw);
  onlyKeys(
    d,
    ['sources', 'seed', 'systemPrompt', 'truncation', 'packing', 'maxSegments', 'epochSamples', 'allowDataChange'],
    dw,
  );
  const sys = d.systemPrompt;
  if (sys !== undefined && typeof sys !== 'string')
    throw new TrainConfigError(`${dw}.system_prompt must be a string, got ${JSON.stringify(sys)}`);
  const truncation = d.truncation ?? 'tail';
  if (truncation !== 'tail' && truncation !== 'drop')
    throw new TrainConfigError(`${dw}.truncation must be tail or drop, got ${JSON.stringify(truncation)}`);
  const packing = bool(d, 'packing', dw) ?? false;
  if (packing && stage === 'dpo') throw new TrainConfigError(`${dw}.packing: DPO rows are not packed`);
  const data: PostTrainConfig['data'] = {
    sources: sources(d.sources, `${dw}.sources`),
    seed: int(d, 'seed', dw, 0, 3407),
    systemPrompt: (sys as string | undefined) ?? 'You are a helpful assistant.',
    truncation,
    packing,
    maxSegments: packing ? int(d, 'maxSegments', dw, 1, 8) : 1,
    allowDataChange: bool(d, 'allowDataChange', dw) ?? false,
  };
  if (d.epochSamples !== undefined) data.epochSamples = int(d, 'epochSamples', dw, 1);

  const tw = `${where}.train`;
  const t = obj(top.train ?? {}, tw);
  onlyKeys(t, ['batch', 'seq', 'accumulation', 'maxSteps', 'epochs', 'clipNorm', 'lossChunks'], tw);
  if (t.maxSteps !== undefined && t.epochs !== undefined)
    throw new TrainConfigError(`${tw}: give max_steps or epochs, not both`);
  const train: PostTrainConfig['train'] = {
    batch: int(t, 'batch', tw, 1, D.batch),
    seq: int(t, 'seq', tw, 2, D.seq),
    accumulation: int(t, 'accumulation', tw, 1, D.accumulation),
    epochs: t.epochs !== undefined ? num(t, 'epochs', tw) : D.epochs,
    clipNorm: t.clipNorm !== undefined ? num(t, 'clipNorm', tw) : 1.0,
  };
  if (!(train.epochs > 0)) throw new TrainConfigError(`${tw}.epochs must be > 0, got ${train.epochs}`);
  if (train.clipNorm < 0) throw new TrainConfigError(`${tw}.clip_norm must be >= 0 (0 = off), got ${train.clipNorm}`);
  if (t.maxSteps !== undefined) train.maxSteps = int(t, 'maxSteps', tw, 1);
  if (t.lossChunks !== undefined) train.lossChunks = int(t, 'lossChunks', tw, 1);

  const pw = `${where}.dpo`;
  if (top.dpo !== undefined && stage !== 'dpo') throw new TrainConfigError(`${pw}: only for stage dpo`);
  const p = obj(top.dpo ?? {}, pw);
  onlyKeys(p, ['beta', 'loss', 'reference', 'refModel'], pw);
  const loss = (p.loss ?? 'sigmoid') as DpoLossKind;
  if (!DPO_LOSS_KINDS.includes(loss))
    throw new TrainConfigError(`${pw}.loss must be one of ${DPO_LOSS_KINDS.join(', ')}, got ${JSON.stringify(p.loss)}`);
  const reference = p.reference ?? 'precompute';
  if (reference !== 'precompute' && reference !== 'alongside')
    throw new TrainConfigError(`${pw}.reference must be precompute or alongside, got ${JSON.stringify(p.reference)}`);
  const dpo: PostTrainConfig['dpo'] = { beta: p.beta !== undefined ? num(p, 'beta', pw) : 0.1, loss, reference };
  if (!(dpo.beta > 0)) throw new TrainConfigError(`${pw}.beta must be > 0, got ${dpo.beta}`);
  const refModel = str(p, 'refModel', pw);
  if (refModel) dpo.refModel = refModel;

  const optimizer: AdamWOptions = {
    // HF Trainer's AdamW defaults (LLaMA-Factory), with Steel's weight decay
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: D.weightDecay,
    ...(top.optimizer !== undefined ? parseOptimizerSection(top.optimizer, `${where}.optimizer`) : {}),
  };
  const schedule: ScheduleSpec = top.schedule !== undefined ? { raw: top.schedule } : { steel: stage };
  if ('raw' in schedule && train.maxSteps !== undefined)
    resolveSchedule(schedule, train.maxSteps, train.accumulation, where);

  const cfg: PostTrainConfig = { stage, outDir, model, tokenizer, data, train, dpo, optimizer, schedule };
  if (top.checkpoint !== undefined) cfg.checkpoint = parseCheckpointSection(top.checkpoint, `${where}.checkpoint`);
  if (top.runtime !== undefined) cfg.runtime = parseRuntimeSection(top.runtime, `${where}.runtime`);
  const resume = str(top, 'resume', where);
  if (resume) cfg.resume = resume;
  if (top.logEvery !== undefined) cfg.logEvery = int(top, 'logEvery', where, 1);
  if (top.eval !== undefined) {
    const ew = `${where}.eval`;
    const e = obj(top.eval, ew);
    onlyKeys(e, ['sources', 'every', 'batches'], ew);
    cfg.eval = {
      sources: sources(e.sources, `${ew}.sources`),
      every: int(e, 'every', ew, 1),
      batches: int(e, 'batches', ew, 1, 4),
    };
  }
  return cfg;
}

/**
 * The schedule of a run of `maxSteps` steps: the config's (a `warmup_ratio` key becomes warmup steps; cosine decays
 * over the whole run unless decay_steps says otherwise), or Steel's: cosine from the peak LR to 0, warmup ratio 0
 * (SFT) / 0.1 (DPO).
 */
export function resolveSchedule(
  spec: ScheduleSpec,
  maxSteps: number,
  accumulation: number,
  where = 'config',
): Schedule {
  if ('steel' in spec) {
    const D = STEEL_POSTTRAIN_DEFAULTS[spec.steel];
    return {
      kind: 'cosine',
      peakLr: D.peakLr,
      minLr: 0,
      warmupSteps: Math.ceil(D.warmupRatio * maxSteps),
      decaySteps: maxSteps,
    };
  }
  const s = obj(spec.raw, `${where}.schedule`);
  if (s.warmupRatio !== undefined) {
    if (s.warmupSteps !== undefined)
      throw new TrainConfigError(`${where}.schedule: give warmup_steps or warmup_ratio, not both`);
    const r = num(s, 'warmupRatio', `${where}.schedule`);
    if (!(r >= 0 && r < 1)) throw new TrainConfigError(`${where}.schedule.warmup_ratio must be in [0, 1), got ${r}`);
    s.warmupSteps = Math.ceil(r * maxSteps);
    delete s.warmupRatio;
  }
  if (s.kind === 'cosine' && s.warmupSteps === undefined) s.warmupSteps = 0;
  return parseScheduleSection(s, `${where}.schedule`, maxSteps, accumulation);
}
