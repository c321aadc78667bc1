// `steel train --stage sft|dpo`: post-training on chat data with the pre-training machinery (AdamW, schedules,
// clipping, accumulation, atomic checkpoints, exact resume, metrics.jsonl + loss plot).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ErrorReport } from '@steel/dataset';
import { loadConfig, loadModelFolder, type SteelConfig } from '@steel/steel-model';
import { loadTokenizer } from '@steel/tokenizer';
import { loadCheckpoint, type PostTrainPosition, resumeCheckpointDir } from '../checkpoint.js';
import { DataConsistencyError } from '../data/source.js';
import { type RunOptions, type StageData, trainingLoop } from '../loop.js';
import { steelModel } from '../model.js';
import type { RunSummary } from '../run.js';
import type { TrainStep } from '../step.js';
import { type StepResult, Trainer } from '../trainer.js';
import {
  labelIndex,
  PreferenceBatcher,
  pairRows,
  type RowBatch,
  SftBatcher,
  sftLabelCapacity,
  sftRowsPerEpoch,
} from './batches.js';
import { type PostTrainConfig, resolveSchedule } from './config.js';
import { type LoadStats, loadPreferenceSet, loadSftSet, type PreferenceSet, type SftSet } from './dataset.js';
import { dpoLossBuilder } from './dpo.js';
import { type ChatTokenizer, chatFormat } from './encode.js';
import { Mixture, MixtureCursor } from './mixture.js';
import {
  type PairLogps,
  ReferenceScorer,
  type RowLogps,
  readReferenceCache,
  rowsOf,
  scoreAllPairs,
  writeReferenceCache,
} from './reference.js';

export const REJECTED_FILE = 'rejected.jsonl';

export interface PostTrainOptions extends RunOptions {
  /** A tokenizer instead of loading the configured one (tests, a shared instance). */
  tokenizer?: ChatTokenizer & { padId?: number };
}

export interface PostTrainSummary extends RunSummary {
  stage: 'sft' | 'dpo';
  maxSteps: number;
  data: LoadStats;
  /** Rejected records (file, record number, reason) when any. */
  rejectedReport: string | null;
  /** DPO: how the reference log-probs were obtained and the seconds spent on them before training. */
  reference?: { mode: 'precompute' | 'alongside' | 'cached'; seconds: number };
}

const PAD_ID = 151643; // Qwen's <|endoftext|>, Steel's pad

function feedRows(b: RowBatch, ref?: Float32Array): (s: TrainStep) => void {
  return (s) => {
    s.ids.set(b.ids);
    s.targets.set(b.targets);
    (s.feed('segment_ids') as BigInt64Array).set(b.segments);
    (s.feed('position_ids') as BigInt64Array).set(b.positions);
    if (s.extra.has('label_index')) labelIndex(b, s.feed('label_index') as BigInt64Array);
    if (ref) (s.feed('ref_logps') as Float32Array).set(ref);
  };
}

/** The value DPO compares per row: the summed log-prob, or the mean over answer tokens for IPO. */
function refValues(rows: RowLogps, average: boolean): Float32Array {
  return Float32Array.from(rows.sum, (s, i) => (average ? s / Math.max(1, rows.count[i]!) : s));
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length ? s / xs.length : Number.NaN;
}

/** Reward figures of DPO outputs (one or more micro-batches). */
function rewardMetrics(outs: Record<string, Float32Array>[], prefix = ''): Record<string, number> {
  const c = outs.flatMap((o) => [...(o.chosen_rewards ?? [])]);
  const r = outs.flatMap((o) => [...(o.rejected_rewards ?? [])]);
  return {
    [`${prefix}rewards_chosen`]: mean(c),
    [`${prefix}rewards_rejected`]: mean(r),
    [`${prefix}reward_margin`]: mean(c.map((x, i) => x - r[i]!)),
    [`${prefix}reward_accuracy`]: mean(c.map((x, i) => (x > r[i]! ? 1 : 0))),
  };
}

export async function runPostTraining(cfg: PostTrainConfig, opts: PostTrainOptions = {}): Promise<PostTrainSummary> {
  const say = opts.onEvent ?? (() => {});
  const stage = cfg.stage;
  await mkdir(cfg.outDir, { recursive: true });
  const tok =
    opts.tokenizer ??
    (await loadTokenizer({
      ...(cfg.tokenizer.variant ? { variant: cfg.tokenizer.variant } : {}),
      ...(cfg.tokenizer.path ? { path: cfg.tokenizer.path } : {}),
    }));
  const format = chatFormat(tok, cfg.data.systemPrompt);
  const padId = opts.tokenizer?.padId ?? tok.tokenToId('<|endoftext|>') ?? PAD_ID;

  // model and (on resume) the checkpoint
  const initial = cfg.model.initFrom ? await loadModelFolder(cfg.model.initFrom) : null;
  const config: SteelConfig = initial ? initial.config : await loadConfig(cfg.model.config!);
  const model = steelModel(config);
  const resumeDir = await resumeCheckpointDir(cfg.resume, cfg.outDir);
  const ckpt = resumeDir ? await loadCheckpoint(resumeDir, model) : null;
  const saved = ckpt?.state.loader;
  if (ckpt && !(saved && 'kind' in saved && saved.kind === stage))
    throw new Error(`${resumeDir} is not a ${stage} checkpoint; start a new out_dir or pass --resume never`);
  if (ckpt) say(`resuming from ${resumeDir} (step ${ckpt.state.step})`);
  const initWeights = () => (initial ? initial.weights : model.init(cfg.model.seed ?? 3407));

  // data
  const { seq, batch, accumulation } = cfg.train;
  const errors = new ErrorReport({ sinkPath: path.join(cfg.outDir, REJECTED_FILE) });
  const loadOpts = {
    tokenizer: tok,
    format,
    cutoff: seq,
    truncation: cfg.data.truncation,
    errors,
    tokenizerId: `${cfg.tokenizer.variant ?? 'qwen1.5'}:${cfg.tokenizer.path ?? 'bundled'}`,
  };
  let sft: SftSet | null = null;
  let pref: PreferenceSet | null = null;
  try {
    if (stage === 'sft') sft = await loadSftSet(cfg.data.sources, loadOpts);
    else pref = await loadPreferenceSet(cfg.data.sources, loadOpts);
  } finally {
    await errors.close();
  }
  const set = (sft ?? pref)!;
  say(
    `${stage} data: ${set.stats.samples} ${stage === 'sft' ? 'samples' : 'pairs'} from ${set.stats.records} records` +
      ` (${set.stats.rejected} rejected, ${set.stats.truncated} truncated to ${seq} tokens)`,
  );
  let maxId = -1;
  const scan = (a: Int32Array) => {
    for (let i = 0; i < a.length; i++) if (a[i]! > maxId) maxId = a[i]!;
  };
  if (sft) scan(sft.tokens);
  else for (const list of [pref!.prompt, pref!.chosen, pref!.rejected]) for (const a of list) scan(a);
  if (Math.max(maxId, padId) >= config.vocab_size)
    throw new RangeError(
      `token id ${Math.max(maxId, padId)} is outside the model's vocabulary of ${config.vocab_size}: the tokenizer does not fit this model (tokenizer.path / tokenizer.variant)`,
    );
  if (ckpt && ckpt.state.dataHash !== set.hash && !cfg.data.allowDataChange)
    throw new DataConsistencyError(
      `the ${stage} data (files or encoding options) differs from what ${resumeDir} was trained on; ` +
        'set data.allow_data_change: true (or --allow-data-change) to continue anyway',
    );
  const weighted = cfg.data.sources.every((s) => s.weight !== undefined);
  const mixture = new Mixture({
    sizes: set.sizes,
    weights: weighted ? cfg.data.sources.map((s) => s.weight!) : null,
    ...(cfg.data.epochSamples ? { epochSamples: cfg.data.epochSamples } : {}),
    seed: cfg.data.seed,
  });
  const cursor = new MixtureCursor(
    mixture,
    saved && 'kind' in saved ? { epoch: saved.epoch, index: saved.index } : undefined,
  );
  const perStep = batch * accumulation;
  const unitsPerEpoch = sft
    ? sftRowsPerEpoch(sft, mixture.order(0), seq, cfg.data.packing, cfg.data.maxSegments)
    : mixture.epochSize;
  const maxSteps = cfg.train.maxSteps ?? Math.max(1, Math.ceil((cfg.train.epochs * unitsPerEpoch) / perStep));
  const schedule = resolveSchedule(cfg.schedule, maxSteps, accumulation);

  // SFT: the LM head only where labels can be (answers): a bound over every possible micro-batch, used when it saves
  const labelRows = sft ? sftLabelCapacity(sft, batch, seq, cfg.data.maxSegments) : 0;
  const useLabelRows = labelRows > 0 && labelRows <= 0.75 * batch * seq;
  const threads = cfg.runtime?.threads ?? null;
  const isIpo = cfg.dpo.loss === 'ipo';
  const trainer = await Trainer.create(
    model,
    ckpt ? ckpt.params : initWeights(),
    {
      batch: sft ? batch : 2 * batch,
      seq,
      accumulation,
      clipNorm: cfg.train.clipNorm,
      schedule,
      optimizer: cfg.optimizer,
      ...(sft ? { maxSegments: cfg.data.maxSegments } : { buildLoss: dpoLossBuilder(config, cfg.dpo) }),
      ...(useLabelRows ? { labelRows } : {}),
      ...(cfg.train.lossChunks ? { lossChunks: cfg.train.lossChunks } : {}),
      ...(cfg.runtime?.ep ? { ep: cfg.runtime.ep } : {}),
      ...(threads ? { threads } : {}),
      ...(cfg.runtime?.optimization ? { optimization: cfg.runtime.optimization } : {}),
      ...(cfg.runtime?.optimizerThreads ? { optimizerThreads: cfg.runtime.optimizerThreads } : {}),
    },
    ckpt?.optimizer,
  );

  // DPO: the frozen reference
  let scorer: ReferenceScorer | null = null;
  let pairLogps: PairLogps | null = null;
  let reference: PostTrainSummary['reference'];
  const evalSet =
    cfg.eval && sft
      ? await loadSftSet(cfg.eval.sources, loadOpts)
      : cfg.eval && pref
        ? await loadPreferenceSet(cfg.eval.sources, loadOpts)
        : null;
  let evalLogps: PairLogps | null = null;
  try {
    if (pref) {
      const t0 = performance.now();
      const refId = cfg.dpo.refModel
        ? path.resolve(cfg.dpo.refModel)
        : `init:${cfg.model.initFrom ?? `${cfg.model.config}@${cfg.model.seed ?? 3407}`}`;
      const cached = cfg.dpo.reference === 'precompute' ? readReferenceCache(cfg.outDir, pref.hash, refId) : null;
      if (cached) {
        pairLogps = cached;
        reference = { mode: 'cached', seconds: 0 };
      }
      if (!cached || evalSet) {
        // a copy: the policy's arrays are updated in place, the reference must stay frozen
        const refWeights = cfg.dpo.refModel
          ? (await loadModelFolder(cfg.dpo.refModel)).weights
          : new Map([...initWeights()].map(([n, w]) => [n, Float32Array.from(w)] as const));
        scorer = await ReferenceScorer.create(config, refWeights, {
          rows: 2 * batch,
          seq,
          ...(cfg.train.lossChunks ? { lossChunks: cfg.train.lossChunks } : {}),
          ...(threads ? { threads } : {}),
          ...(cfg.runtime?.ep ? { ep: cfg.runtime.ep } : {}),
        });
      }
      if (!cached && cfg.dpo.reference === 'precompute') {
        say(`scoring ${pref.prompt.length} pairs with the reference model`);
        pairLogps = await scoreAllPairs(scorer!, pref, padId);
        await writeReferenceCache(cfg.outDir, pref.hash, refId, pairLogps);
        reference = { mode: 'precompute', seconds: (performance.now() - t0) / 1000 };
      }
      if (cfg.dpo.reference === 'alongside') reference = { mode: 'alongside', seconds: 0 };
      if (evalSet) evalLogps = await scoreAllPairs(scorer!, evalSet as PreferenceSet, padId);
    }

    const sftBatcher = sft
      ? new SftBatcher(sft, cursor, {
          rows: batch,
          seq,
          packing: cfg.data.packing,
          maxSegments: cfg.data.maxSegments,
          padId,
        })
      : null;
    const prefBatcher = pref ? new PreferenceBatcher(pref, cursor, { pairs: batch, seq, padId }) : null;
    const refFor = async (b: RowBatch): Promise<Float32Array> => {
      if (pairLogps) return refValues(rowsOf(pairLogps, b.samples), isIpo);
      return refValues(await scorer!.score(b), isIpo);
    };
    let stepLabels = 0;
    const data: StageData = {
      async next() {
        const micro: ((s: TrainStep) => void)[] = [];
        let tokens = 0;
        stepLabels = 0;
        for (let k = 0; k < accumulation; k++) {
          const b = sftBatcher ? sftBatcher.next() : prefBatcher!.next();
          tokens += b.tokens;
          stepLabels += b.labels;
          micro.push(feedRows(b, prefBatcher ? await refFor(b) : undefined));
        }
        return { micro, tokens };
      },
      state: (): PostTrainPosition => ({ kind: stage, ...cursor.state() }),
      dataHash: () => set.hash,
    };

    // held-out figures: the first `batches` micro-batches of the eval set in its epoch-0 order
    const evaluate = async (): Promise<Record<string, number>> => {
      const e = cfg.eval!;
      const ec = new MixtureCursor(new Mixture({ sizes: evalSet!.sizes, weights: null, seed: 0, shuffle: false }));
      let sum = 0;
      const outs: Record<string, Float32Array>[] = [];
      for (let i = 0; i < e.batches; i++) {
        let b: RowBatch;
        let ref: Float32Array | undefined;
        if (sft) {
          b = new SftBatcher(evalSet as SftSet, ec, {
            rows: batch,
            seq,
            packing: cfg.data.packing,
            maxSegments: cfg.data.maxSegments,
            padId,
          }).next();
        } else {
          const idx = Array.from({ length: batch }, () => ec.next());
          b = pairRows(evalSet as PreferenceSet, idx, seq, padId);
          ref = refValues(rowsOf(evalLogps!, idx), isIpo);
        }
        sum += await trainer.lossAndGradsWith(feedRows(b, ref));
        outs.push(trainer.step.lastOutputs);
      }
      return { eval_loss: sum / e.batches, ...(pref ? rewardMetrics(outs, 'eval_') : {}) };
    };

    const r = await trainingLoop(
      {
        outDir: cfg.outDir,
        model,
        trainer,
        data,
        maxSteps,
        tokens: ckpt?.state.tokens ?? 0,
        resumedAt: ckpt ? ckpt.state.step : null,
        state: {
          rng: { dataSeed: cfg.data.seed, initSeed: cfg.model.seed ?? 3407 },
          config: cfg,
          runtime: { ep: cfg.runtime?.ep ?? 'cpu', threads },
        },
        ...(cfg.checkpoint ? { checkpoint: cfg.checkpoint } : {}),
        ...(cfg.logEvery ? { logEvery: cfg.logEvery } : {}),
        ...(cfg.eval ? { evaluate: { every: cfg.eval.every, run: evaluate } } : {}),
        extraMetrics: (s: StepResult) => ({ labels: stepLabels, ...(pref ? rewardMetrics(s.microOutputs) : {}) }),
        flopsPerToken: model.flopsPerToken(seq),
      },
      opts,
    );
    return {
      outDir: cfg.outDir,
      resumedFrom: resumeDir,
      ...r,
      stage,
      maxSteps,
      data: set.stats,
      rejectedReport: set.stats.rejected > 0 ? path.join(cfg.outDir, REJECTED_FILE) : null,
      ...(reference ? { reference } : {}),
    };
  } finally {
    await scorer?.release();
    await trainer.release();
  }
}
