import path from 'node:path';
import { grad, Session, tensor } from '@steel/graph';
import { describe, expect, it } from 'vitest';
import {
  buildForward,
  loadModelFolder,
  nextTargets,
  nextTokenLoss,
  parameterSpecs,
  presetConfig,
  ReferenceCache,
  Rng,
  referenceForward,
  type SteelConfig,
  SteelModel,
} from '../src/index.js';
import { CASES, expectedJson, expectedTensors, FIXTURES, relMaxDiff } from './fixtures.js';

// Goldens: an independent float64 PyTorch model (tools/fixtures/steel-model/make_golden.py). The graph runs in fp32.
const TOL = 1e-4;

async function load(name: string) {
  const { config, weights } = await loadModelFolder(path.join(FIXTURES, name));
  return { config, weights, expected: expectedJson(name), tensors: await expectedTensors(name) };
}

describe('forward graph vs the PyTorch goldens', () => {
  for (const name of CASES) {
    it(`${name}: logits, loss and every gradient norm match to 1e-4 relative`, async () => {
      const { config, weights, expected, tensors } = await load(name);
      const ids = expected.ids;
      const T = ids.length;
      const fwd = buildForward(config, { batch: 1, seq: T, withLoss: true, logits: 'all' });
      const g = fwd.graph;
      const names = [...fwd.params.keys()];
      const grads = grad(fwd.loss!, [...fwd.params.values()]);
      grads.forEach((gv, i) => {
        g.output(gv, `grad.${names[i]}`);
      });
      const session = await Session.create(g, { intraOpThreads: 1 });
      const feeds: Record<string, ReturnType<typeof tensor>> = {
        input_ids: tensor(BigInt64Array.from(ids.map(BigInt)), [1, T]),
        targets: tensor(BigInt64Array.from(nextTargets(ids).map(BigInt)), [1, T]),
      };
      for (const [n, v] of fwd.params) feeds[n] = tensor(weights.get(n)!, v.shape as number[]);
      const { outputs } = await session.run(feeds);
      expect(relMaxDiff(outputs.logits!.data as Float32Array, tensors.get('logits')!)).toBeLessThan(TOL);
      const loss = Number(outputs.loss!.data[0]);
      expect(Math.abs(loss - expected.loss) / expected.loss).toBeLessThan(TOL);
      for (const n of names) {
        const gdata = outputs[`grad.${n}`]!.data as Float32Array;
        const norm = Math.hypot(...gdata);
        const want = expected.grad_norms[n]!;
        expect(Math.abs(norm - want), n).toBeLessThanOrEqual(TOL * want + 1e-9);
        const full = tensors.get(`grad.${n}`);
        if (full) expect(relMaxDiff(gdata, full), n).toBeLessThan(TOL);
      }
      await session.release();
    });
  }
});

describe('forward graph with named dims and a batch', () => {
  it('two sequences in one batch each match the reference forward (v3 mixes within its own row only)', async () => {
    const { config, weights } = await load('v3-gqa-slots');
    const rows = [
      [5, 9, 33, 2, 71, 8],
      [40, 41, 3, 3, 12, 80],
    ];
    const fwd = buildForward(config); // batch and seq named
    const session = await Session.create(fwd.graph, { intraOpThreads: 1 });
    const feeds: Record<string, ReturnType<typeof tensor>> = {
      input_ids: tensor(BigInt64Array.from(rows.flat().map(BigInt)), [2, 6]),
    };
    for (const [n, v] of fwd.params) feeds[n] = tensor(weights.get(n)!, v.shape as number[]);
    const { outputs } = await session.run(feeds);
    const logits = outputs.logits!.data as Float32Array;
    const V = config.vocab_size;
    rows.forEach((ids, b) => {
      const want = referenceForward(config, weights, ids).logits;
      expect(relMaxDiff(logits.subarray(b * 6 * V, (b + 1) * 6 * V), want)).toBeLessThan(TOL);
    });
    await session.release();
  });
});

describe('forward graph options', () => {
  it('inputsEmbeds: the rows fed by the caller give the golden logits and loss, and no embedding input', async () => {
    const { config, weights, expected, tensors } = await load(CASES[0]!);
    const ids = expected.ids;
    const T = ids.length;
    const d = config.hidden_size;
    const fwd = buildForward(config, { batch: 1, seq: T, withLoss: true, logits: 'all', inputsEmbeds: true });
    expect(fwd.inputIds).toBeUndefined();
    expect(fwd.params.has('model.embed_tokens.weight')).toBe(!!config.tie_word_embeddings);
    const session = await Session.create(fwd.graph, { intraOpThreads: 1 });
    const table = weights.get('model.embed_tokens.weight')!;
    const rows = new Float32Array(T * d);
    ids.forEach((id, t) => {
      rows.set(table.subarray(id * d, id * d + d), t * d);
    });
    const feeds: Record<string, ReturnType<typeof tensor>> = {
      inputs_embeds: tensor(rows, [1, T, d]),
      targets: tensor(BigInt64Array.from(nextTargets(ids).map(BigInt)), [1, T]),
    };
    for (const [n, v] of fwd.params) feeds[n] = tensor(weights.get(n)!, v.shape as number[]);
    const { outputs } = await session.run(feeds);
    expect(relMaxDiff(outputs.logits!.data as Float32Array, tensors.get('logits')!)).toBeLessThan(TOL);
    expect(Math.abs(Number(outputs.loss!.data[0]) - expected.loss) / expected.loss).toBeLessThan(TOL);
    await session.release();
  });

  it('remat (per-layer checkpoint) gives the same loss and gradients', async () => {
    const { config, weights, expected } = await load('v3-gqa-slots');
    const ids = expected.ids;
    const fwd = buildForward(config, { batch: 1, seq: ids.length, withLoss: true, remat: true });
    const names = [...fwd.params.keys()];
    grad(fwd.loss!, [...fwd.params.values()]).forEach((gv, i) => {
      fwd.graph.output(gv, `grad.${names[i]}`);
    });
    const session = await Session.create(fwd.graph, { intraOpThreads: 1 });
    const feeds: Record<string, ReturnType<typeof tensor>> = {
      input_ids: tensor(BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
      targets: tensor(BigInt64Array.from(nextTargets(ids).map(BigInt)), [1, ids.length]),
    };
    for (const [n, v] of fwd.params) feeds[n] = tensor(weights.get(n)!, v.shape as number[]);
    const { outputs } = await session.run(feeds);
    expect(Math.abs(Number(outputs.loss!.data[0]) - expected.loss) / expected.loss).toBeLessThan(TOL);
    for (const n of names) {
      const norm = Math.hypot(...(outputs[`grad.${n}`]!.data as Float32Array));
      expect(Math.abs(norm - expected.grad_norms[n]!), n).toBeLessThanOrEqual(TOL * expected.grad_norms[n]! + 1e-9);
    }
    await session.release();
  });

  it('causalMoe on a softmoe_v3 config equals the softmoe_v3_causal reference', async () => {
    const { config, weights } = await load('steel-tiny');
    const ids = [3, 77, 12, 5, 300, 41, 9];
    const fwd = buildForward(config, { batch: 1, seq: ids.length, causalMoe: true });
    expect(fwd.causalMoe).toBe(true);
    const session = await Session.create(fwd.graph, { intraOpThreads: 1 });
    const feeds: Record<string, ReturnType<typeof tensor>> = {
      input_ids: tensor(BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    };
    for (const [n, v] of fwd.params) feeds[n] = tensor(weights.get(n)!, v.shape as number[]);
    const { outputs } = await session.run(feeds);
    const causal = { ...config, FFN_type: 'softmoe_v3_causal' as const };
    const want = referenceForward(causal, weights, ids).logits;
    expect(relMaxDiff(outputs.logits!.data as Float32Array, want)).toBeLessThan(TOL);
    // and it is not the non-causal model
    expect(relMaxDiff(referenceForward(config, weights, ids).logits, want)).toBeGreaterThan(1e-3);
    await session.release();
  });

  it('float64 graphs: loss to 1e-9 of the float64 golden, logits to its float32-stored copy', async () => {
    const { config, weights, expected, tensors } = await load('v3-gqa-slots');
    const ids = expected.ids;
    const fwd = buildForward(config, { batch: 1, seq: ids.length, withLoss: true, logits: 'all', dtype: 'float64' });
    const session = await Session.create(fwd.graph, { intraOpThreads: 1, optimization: 'basic' });
    const feeds: Record<string, ReturnType<typeof tensor>> = {
      input_ids: tensor(BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
      targets: tensor(BigInt64Array.from(nextTargets(ids).map(BigInt)), [1, ids.length]),
    };
    for (const [n, v] of fwd.params) feeds[n] = tensor(Float64Array.from(weights.get(n)!), v.shape as number[]);
    const { outputs } = await session.run(feeds);
    expect(relMaxDiff(outputs.logits!.data as Float64Array, tensors.get('logits')!)).toBeLessThan(1e-6);
    expect(Math.abs(Number(outputs.loss!.data[0]) - expected.loss) / expected.loss).toBeLessThan(1e-9);
    await session.release();
  });
});

describe('odd configs against the reference forward', () => {
  const base = presetConfig('steel-micro');
  const cases: [string, Partial<SteelConfig>][] = [
    ['one expert, one slot, v3', { n_experts: 1, slots_per_expert: 1, vocab_size: 40 }],
    ['one expert v1, MQA', { FFN_type: 'softmoe_v1', n_experts: 1, num_key_value_heads: 1, vocab_size: 40 }],
    ['v2 one expert 3 slots', { FFN_type: 'softmoe_v2', n_experts: 1, slots_per_expert: 3, vocab_size: 40 }],
    [
      'head_dim 2, causal 2x2',
      {
        hidden_size: 8,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        intermediate_size: 16,
        FFN_type: 'softmoe_v3_causal',
        n_experts: 2,
        slots_per_expert: 2,
        vocab_size: 30,
      },
    ],
  ];
  for (const [label, patch] of cases) {
    it(`${label}: logits (T = 1 and T = 6), cached steps`, async () => {
      const config = { ...base, ...patch } as SteelConfig;
      const weights = new Map<string, Float32Array>();
      for (const spec of parameterSpecs(config)) {
        const rng = new Rng(5, spec.name);
        const v = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
        const std = spec.shape.length === 2 ? 1 / Math.sqrt(spec.shape[1]!) : 0.3;
        for (let i = 0; i < v.length; i++) v[i] = rng.normal() * std + (spec.name.endsWith('norm.weight') ? 1 : 0);
        if (spec.name.endsWith('.scale')) v.fill(3);
        weights.set(spec.name, v);
      }
      const model = new SteelModel(config, weights, null, { threads: 1 });
      for (const ids of [[7], [3, 1, 4, 1, 5, 9]]) {
        const want = referenceForward(config, weights, ids).logits;
        expect(relMaxDiff(await model.logits(ids), want)).toBeLessThan(TOL);
      }
      const cache = model.newCache();
      const ref = new ReferenceCache(config);
      for (const chunk of [[2, 7], [1], [8, 2]]) {
        const want = referenceForward(config, weights, chunk, ref).logits;
        expect(
          relMaxDiff(await model.step(chunk, cache), want.subarray((chunk.length - 1) * config.vocab_size)),
        ).toBeLessThan(TOL);
      }
      const g = await model.grads([3, 1, 4]);
      expect(Number.isFinite(g.loss)).toBe(true);
      expect(
        Math.abs(
          g.loss - nextTokenLoss(referenceForward(config, weights, [3, 1, 4]).logits, config.vocab_size, [3, 1, 4]),
        ) / g.loss,
      ).toBeLessThan(TOL);
      await model.release();
    });
  }
});
