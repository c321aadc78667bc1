import path from 'node:path';
import { grad, Session, tensor } from '@steel/graph';
import { describe, expect, it } from 'vitest';
import { buildForward, loadModelFolder, nextTargets, referenceForward } from '../src/index.js';
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
