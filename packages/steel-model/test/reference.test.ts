import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadModelFolder,
  nextTokenLoss,
  ReferenceCache,
  type ReferenceWeights,
  referenceForward,
  type SteelConfig,
} from '../src/index.js';
import { CASES, expectedJson, expectedTensors, FIXTURES, relMaxDiff } from './fixtures.js';

// The goldens come from an independent float64 PyTorch model (tools/fixtures/steel-model/make_golden.py).
const TOL = 1e-4;

async function load(name: string) {
  const { config, weights } = await loadModelFolder(path.join(FIXTURES, name));
  return {
    config,
    weights,
    expected: expectedJson(name),
    tensors: await expectedTensors(name),
  };
}

function cachedLogits(config: SteelConfig, weights: ReferenceWeights, ids: number[], prefill: number): Float64Array {
  const cache = new ReferenceCache(config);
  const V = config.vocab_size;
  const out = new Float64Array(ids.length * V);
  out.set(referenceForward(config, weights, ids.slice(0, prefill), cache).logits, 0);
  for (let t = prefill; t < ids.length; t++) out.set(referenceForward(config, weights, [ids[t]!], cache).logits, t * V);
  expect(cache.length).toBe(ids.length);
  return out;
}

describe('reference forward vs the PyTorch goldens', () => {
  for (const name of CASES) {
    describe(name, () => {
      it('logits and next-token loss match to 1e-4 relative', async () => {
        const { config, weights, expected, tensors } = await load(name);
        const { logits, layers, hidden } = referenceForward(config, weights, expected.ids);
        for (const [l, h] of layers.entries()) {
          expect(relMaxDiff(h, tensors.get(`hidden.${l}`)!), `layer ${l}`).toBeLessThan(TOL);
        }
        expect(relMaxDiff(hidden, tensors.get('hidden.final')!)).toBeLessThan(TOL);
        expect(relMaxDiff(logits, tensors.get('logits')!)).toBeLessThan(TOL);
        const loss = nextTokenLoss(logits, config.vocab_size, expected.ids);
        expect(Math.abs(loss - expected.loss) / expected.loss).toBeLessThan(TOL);
      });

      if (name !== 'v3-causal') {
        it("cached decoding (prefill, then one token per call) matches HF's cached path", async () => {
          const { config, weights, expected, tensors } = await load(name);
          const cached = cachedLogits(config, weights, expected.ids, expected.prefill);
          expect(relMaxDiff(cached, tensors.get('cached_logits')!)).toBeLessThan(TOL);
        });
      }

      // dLoss/dθ by central differences of the reference loss, against torch's autograd gradients: checks the
      // loss definition end to end and the fixture's gradients the graph backward will be held to.
      it('finite differences of the loss match the torch gradients of small tensors', async () => {
        const { config, weights, expected, tensors } = await load(name);
        const f64 = new Map<string, Float64Array>(
          [...weights].map(([k, v]) => [k, Float64Array.from(v as ArrayLike<number>)]),
        );
        const lossOf = () =>
          nextTokenLoss(referenceForward(config, f64, expected.ids).logits, config.vocab_size, expected.ids);
        let checked = 0;
        for (const [key, grad] of tensors) {
          if (!key.startsWith('grad.')) continue;
          const param = f64.get(key.slice(5))!;
          expect(Math.abs(Math.hypot(...grad) - expected.grad_norms[key.slice(5)]!)).toBeLessThan(
            1e-4 * expected.grad_norms[key.slice(5)]! + 1e-7,
          );
          for (const i of [0, Math.floor(param.length / 2), param.length - 1]) {
            const h = 1e-5;
            const keep = param[i]!;
            param[i] = keep + h;
            const up = lossOf();
            param[i] = keep - h;
            const down = lossOf();
            param[i] = keep;
            const fd = (up - down) / (2 * h);
            expect(Math.abs(fd - grad[i]!)).toBeLessThan(1e-4 * Math.max(Math.abs(grad[i]!), 1e-2));
            checked++;
          }
        }
        expect(checked).toBeGreaterThanOrEqual(9);
      });
    });
  }
});

describe('Soft-MoE causality (spec §1.7)', () => {
  it('v3 leaks the future: changing the last token changes earlier logits', async () => {
    const { config, weights, expected } = await load('steel-tiny');
    const ids = expected.ids;
    const a = referenceForward(config, weights, ids).logits;
    const b = referenceForward(config, weights, [...ids.slice(0, -1), (ids.at(-1)! + 1) % config.vocab_size]).logits;
    expect(relMaxDiff(a.subarray(0, config.vocab_size), b.subarray(0, config.vocab_size))).toBeGreaterThan(1e-6);
  });

  it('the causal variant does not, and its cached decoding equals the full recompute', async () => {
    const { config, weights, expected, tensors } = await load('v3-causal');
    const ids = expected.ids;
    const V = config.vocab_size;
    const a = referenceForward(config, weights, ids).logits;
    const b = referenceForward(config, weights, [...ids.slice(0, -1), (ids.at(-1)! + 1) % V]).logits;
    expect(relMaxDiff(a.subarray(0, (ids.length - 1) * V), b.subarray(0, (ids.length - 1) * V))).toBeLessThan(1e-12);
    const cached = cachedLogits(config, weights, ids, 5);
    expect(relMaxDiff(cached, tensors.get('logits')!)).toBeLessThan(TOL);
  });

  it('v3 cached decoding differs from the full recompute (call-granularity mixing)', async () => {
    const { config, weights, expected, tensors } = await load('steel-tiny');
    const cached = cachedLogits(config, weights, expected.ids, expected.prefill);
    expect(relMaxDiff(cached, tensors.get('logits')!)).toBeGreaterThan(1e-3);
  });
});

describe('nextTokenLoss', () => {
  it('is ln(V) for uniform logits and skips ignore_index labels', () => {
    const V = 10;
    expect(nextTokenLoss(new Float64Array(3 * V), V, [1, 2, 3])).toBeCloseTo(Math.log(V), 12);
    const logits = new Float64Array(3 * V);
    logits[0 * V + 2] = 5; // position 0 predicts label 2 well
    expect(nextTokenLoss(logits, V, [1, 2, -100])).toBeCloseTo(Math.log(Math.exp(5) + 9) - 5, 12);
  });
});
