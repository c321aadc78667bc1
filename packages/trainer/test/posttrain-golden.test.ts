// SFT and DPO losses and gradients against an independent float64 PyTorch computation in which every sample runs
// alone (tools/fixtures/trainer/make_posttrain_golden.py): packed and padded rows, the label masks and the DPO
// log-ratio terms must all agree within 1e-4 relative.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelFolder } from '@steel/steel-model';
import { describe, expect, it } from 'vitest';
import {
  dpoLossBuilder,
  labelIndex,
  Mixture,
  MixtureCursor,
  type PreferenceSet,
  pairRows,
  ReferenceScorer,
  type RowBatch,
  SftBatcher,
  type SftSet,
  sftLabelCapacity,
  steelModel,
  TrainStep,
} from '../src/index.js';

const dir = new URL('./fixtures/posttrain-golden/', import.meta.url).pathname;
interface GradNorms {
  grad_norms: Record<string, number>;
}
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
  sft: { samples: { ids: number[]; trained: boolean[] }[]; loss: number; labels: number } & GradNorms;
  dpo: { beta: number; pairs: { prompt: number[]; chosen: number[]; rejected: number[] }[] } & Record<
    'sigmoid' | 'hinge' | 'ipo',
    {
      loss: number;
      ref_chosen: number[];
      ref_rejected: number[];
      chosen_rewards: number[];
      rejected_rewards: number[];
    } & GradNorms
  >;
};
const PAD = 0;
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
const l2 = (a: Float32Array) => Math.sqrt(a.reduce((s, x) => s + x * x, 0));

function sftSet(): SftSet {
  const s = expected.sft.samples;
  const offsets = [0];
  for (const x of s) offsets.push(offsets.at(-1)! + x.ids.length);
  return {
    tokens: Int32Array.from(s.flatMap((x) => x.ids)),
    trained: Uint8Array.from(s.flatMap((x) => x.trained.map(Number))),
    offsets: Int32Array.from(offsets),
    sizes: [s.length],
    names: ['golden'],
    stats: {} as SftSet['stats'],
    hash: '',
  };
}

async function lossAndGrads(step: TrainStep, b: RowBatch, extra: Record<string, Float32Array> = {}) {
  const grads = new Map<string, Float32Array>();
  const { weights } = await loadModelFolder(dir);
  for (const p of step.model.params) grads.set(p.name, new Float32Array(weights.get(p.name)!.length));
  step.bind(weights, grads);
  step.ids.set(b.ids);
  step.targets.set(b.targets);
  (step.feed('segment_ids') as BigInt64Array).set(b.segments);
  (step.feed('position_ids') as BigInt64Array).set(b.positions);
  for (const [n, v] of Object.entries(extra)) (step.feed(n) as Float32Array).set(v);
  if (step.extra.has('label_index')) labelIndex(b, step.feed('label_index') as BigInt64Array);
  const loss = await step.run();
  return { loss, grads };
}

function expectGradNorms(grads: Map<string, Float32Array>, want: Record<string, number>) {
  let worst = 0;
  for (const [n, v] of Object.entries(want)) {
    const got = l2(grads.get(n)!);
    if (v < 1e-9) expect(got).toBeLessThan(1e-6);
    else worst = Math.max(worst, rel(got, v));
  }
  expect(worst).toBeLessThan(1e-4);
  return worst;
}

describe('SFT loss (label masks, packed and padded rows) vs PyTorch, each sample alone', () => {
  for (const layout of [
    { name: 'packed: 5 samples in 2 full rows of 15', rows: 2, seq: 15, packing: true, maxSegments: 3 },
    { name: 'one sample per row, right-padded to 10', rows: 5, seq: 10, packing: false, maxSegments: 1 },
    {
      name: 'packed, LM head on the 24 label rows only',
      rows: 2,
      seq: 15,
      packing: true,
      maxSegments: 3,
      labelRows: 24,
    },
  ]) {
    it(layout.name, async () => {
      const { config } = await loadModelFolder(dir);
      const set = sftSet();
      const cursor = new MixtureCursor(new Mixture({ sizes: set.sizes, weights: null, seed: 0, shuffle: false }));
      const b = new SftBatcher(set, cursor, { ...layout, padId: PAD }).next();
      expect(b.samples).toEqual([0, 1, 2, 3, 4]);
      expect(b.labels).toBe(expected.sft.labels);
      const step = await TrainStep.create(steelModel(config), {
        batch: layout.rows,
        seq: layout.seq,
        lossChunks: 3,
        maxSegments: layout.maxSegments,
        ...(layout.labelRows ? { labelRows: layout.labelRows } : {}),
        threads: 1,
      });
      if (layout.labelRows)
        expect(sftLabelCapacity(set, layout.rows, layout.seq, layout.maxSegments)).toBeGreaterThanOrEqual(17);
      const { loss, grads } = await lossAndGrads(step, b);
      expect(rel(loss, expected.sft.loss)).toBeLessThan(1e-4);
      expectGradNorms(grads, expected.sft.grad_norms);
      await step.release();
    });
  }
});

describe('DPO losses, rewards and reference log-probs vs PyTorch', () => {
  const pairs = expected.dpo.pairs;
  const set: PreferenceSet = {
    prompt: pairs.map((p) => Int32Array.from(p.prompt)),
    chosen: pairs.map((p) => Int32Array.from(p.chosen)),
    rejected: pairs.map((p) => Int32Array.from(p.rejected)),
    sizes: [pairs.length],
    names: ['golden'],
    stats: {} as PreferenceSet['stats'],
    hash: '',
  };
  const SEQ = 10;
  const rows = pairRows(set, [0, 1, 2], SEQ, PAD);

  it('the reference scorer gives the reference model log-probs of each answer', async () => {
    const { config, weights } = await loadModelFolder(join(dir, 'ref'));
    const scorer = await ReferenceScorer.create(config, weights, { rows: 6, seq: SEQ, lossChunks: 3, threads: 1 });
    const r = await scorer.score(rows);
    const e = expected.dpo.sigmoid;
    [...e.ref_chosen, ...e.ref_rejected].forEach((v, i) => {
      expect(rel(r.sum[i]!, v)).toBeLessThan(1e-4);
    });
    const lens = [...pairs.map((p) => p.chosen.length), ...pairs.map((p) => p.rejected.length)];
    expect([...r.count]).toEqual(lens);
    await scorer.release();
  });

  for (const kind of ['sigmoid', 'hinge', 'ipo'] as const) {
    it(`${kind}: loss, rewards and every gradient norm`, async () => {
      const { config } = await loadModelFolder(dir);
      const e = expected.dpo[kind];
      const step = await TrainStep.create(steelModel(config), {
        batch: 6,
        seq: SEQ,
        lossChunks: 3,
        threads: 1,
        build: dpoLossBuilder(config, { beta: expected.dpo.beta, loss: kind }),
      });
      const ref = Float32Array.from([...e.ref_chosen, ...e.ref_rejected]);
      const { loss, grads } = await lossAndGrads(step, rows, { ref_logps: ref });
      expect(rel(loss, e.loss)).toBeLessThan(1e-4);
      e.chosen_rewards.forEach((v, i) => {
        expect(Math.abs(step.lastOutputs.chosen_rewards![i]! - v)).toBeLessThan(1e-5);
      });
      e.rejected_rewards.forEach((v, i) => {
        expect(Math.abs(step.lastOutputs.rejected_rewards![i]! - v)).toBeLessThan(1e-5);
      });
      expectGradNorms(grads, e.grad_norms);
      await step.release();
    });
  }
});
