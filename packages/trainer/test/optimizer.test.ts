import { expect, it } from 'vitest';
import { AdamW, clipGradNorm, globalNorm, Trainer, tinyLm } from '../src/index.js';

/** AdamW written from the paper/torch docs in float64, element by element. */
function referenceAdamW(
  p: number[],
  grads: number[][],
  lrs: number[],
  o: { b1: number; b2: number; eps: number; wd: number },
): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const x = [...p];
  grads.forEach((g, k) => {
    const t = k + 1;
    const lr = lrs[k]!;
    for (let i = 0; i < x.length; i++) {
      x[i] = x[i]! * (1 - lr * o.wd);
      m[i] = o.b1 * m[i]! + (1 - o.b1) * g[i]!;
      v[i] = o.b2 * v[i]! + (1 - o.b2) * g[i]! ** 2;
      const mh = m[i]! / (1 - o.b1 ** t);
      const vh = v[i]! / (1 - o.b2 ** t);
      x[i] = x[i]! - (lr * mh) / (Math.sqrt(vh) + o.eps * 1); // torch: eps added to sqrt(v)/sqrt(bc2)
    }
  });
  return x;
}

it('AdamW matches a float64 reference over 5 steps (decay on, and off for a no-decay name)', () => {
  const p0 = [0.5, -1.25, 2, 0.001, -0.3];
  const grads = [
    [0.1, -0.2, 0.3, 1e-4, 5],
    [0.05, 0.2, -0.3, -1e-4, 4],
    [-0.1, 0.1, 0.0, 2e-4, -3],
    [0.2, -0.4, 0.1, 0, 1],
    [0.3, 0.3, 0.3, 0.3, 0.3],
  ];
  const lrs = [1e-3, 2e-3, 3e-3, 2e-3, 1e-3];
  const o = { b1: 0.9, b2: 0.95, eps: 1e-8, wd: 0.05 };
  const params = new Map([
    ['a', Float32Array.from(p0)],
    ['norm.weight', Float32Array.from(p0)],
  ]);
  const opt = new AdamW(params, { beta1: o.b1, beta2: o.b2, eps: o.eps, weightDecay: o.wd, noDecay: [/norm/] });
  for (let k = 0; k < grads.length; k++) {
    const g = Float32Array.from(grads[k]!);
    opt.step(
      params,
      new Map([
        ['a', g],
        ['norm.weight', g],
      ]),
      lrs[k]!,
    );
  }
  expect(opt.state.step).toBe(5);
  const want = referenceAdamW(p0, grads, lrs, o);
  const wantNoDecay = referenceAdamW(p0, grads, lrs, { ...o, wd: 0 });
  for (let i = 0; i < p0.length; i++) {
    expect(params.get('a')![i]).toBeCloseTo(want[i]!, 6);
    expect(params.get('norm.weight')![i]).toBeCloseTo(wantNoDecay[i]!, 6);
  }
  expect(opt.decays('a')).toBe(true);
  expect(opt.decays('norm.weight')).toBe(false);
});

it('clipGradNorm scales to maxNorm only when the norm is larger, and returns the norm before', () => {
  const a = Float32Array.from([3, 0]);
  const b = Float32Array.from([0, 4]);
  expect(globalNorm([a, b])).toBe(5);
  expect(clipGradNorm([a, b], 10)).toBe(5);
  expect([...a, ...b]).toEqual([3, 0, 0, 4]);
  expect(clipGradNorm([a, b], 1)).toBe(5);
  expect(globalNorm([a, b])).toBeCloseTo(1, 5);
  expect(a[0]).toBeCloseTo(0.6, 5);
  expect(clipGradNorm([a, b], 0)).toBeCloseTo(1, 5); // 0 = off
});

it('gradient accumulation over 2 micro-batches equals one batch of twice the size', async () => {
  const model = tinyLm({ vocab: 20, hidden: 8, inner: 12, initStd: 0.5 });
  const T = 6;
  const tokens = Int32Array.from({ length: 4 * (T + 1) }, (_, i) => (i * 7 + 3) % 20);
  const common = {
    seq: T,
    clipNorm: 0,
    threads: 1,
    schedule: { kind: 'constant' as const, lr: 0.01 },
    optimizer: { weightDecay: 0.1 },
  };
  const big = await Trainer.create(model, model.init(5), { ...common, batch: 4 });
  const small = await Trainer.create(model, model.init(5), { ...common, batch: 2, accumulation: 2 });
  const half = 2 * (T + 1);
  const rb = await big.trainStep([tokens]);
  const rs = await small.trainStep([tokens.subarray(0, half), tokens.subarray(half)]);
  expect(rs.loss).toBeCloseTo(rb.loss, 5);
  expect(rs.gradNorm).toBeCloseTo(rb.gradNorm, 5);
  for (const [n, g] of big.grads) {
    const h = small.grads.get(n)!;
    for (let i = 0; i < g.length; i++) expect(h[i]).toBeCloseTo(g[i]!, 6);
  }
  for (const [n, p] of big.params) {
    const q = small.params.get(n)!;
    for (let i = 0; i < p.length; i++) expect(q[i]).toBeCloseTo(p[i]!, 6);
  }
  await big.release();
  await small.release();
});

it("ep 'cuda' without ORT's CUDA provider fails with the graph package's clear error", async () => {
  const model = tinyLm({ vocab: 8, hidden: 4 });
  await expect(
    Trainer.create(model, model.init(1), { batch: 1, seq: 2, ep: 'cuda', schedule: { kind: 'constant', lr: 1 } }),
  ).rejects.toThrow(/execution provider 'cuda' is not installed/);
});

it('the optimizer gives bit-identical params and losses on 1 or 2 threads and with the JS kernels', async () => {
  const model = tinyLm({ vocab: 40, hidden: 12, inner: 20, initStd: 0.3 });
  const T = 6;
  const data = (s: number) => Int32Array.from({ length: 2 * (T + 1) }, (_, i) => (i * 11 + s * 5) % 40);
  const run = async (optimizerThreads: number, optimizerKernels: 'auto' | 'js' = 'auto') => {
    const t = await Trainer.create(model, model.init(3), {
      batch: 2,
      seq: T,
      accumulation: 2,
      threads: 1,
      optimizerThreads,
      optimizerKernels,
      optimizer: { weightDecay: 0.1, noDecay: ['norm1'] },
      schedule: { kind: 'constant', lr: 0.02 },
    });
    const losses: number[] = [];
    for (let s = 0; s < 6; s++) losses.push((await t.trainStep([data(2 * s), data(2 * s + 1)])).loss);
    const params = new Map([...t.params].map(([n, a]) => [n, Array.from(a)]));
    const moments = new Map([...t.optimizer.state.expAvgSq].map(([n, a]) => [n, Array.from(a)]));
    await t.release();
    return { losses, params, moments };
  };
  const one = await run(1);
  const two = await run(2);
  const js = await run(1, 'js');
  for (const other of [two, js]) {
    expect(other.losses).toEqual(one.losses);
    expect(other.params).toEqual(one.params);
    expect(other.moments).toEqual(one.moments);
  }
});
