import { describe, expect, it } from 'vitest';
import {
  type AdamWTensor,
  createOptimizerKernels,
  KernelError,
  keepFreedMemory,
  NORM_BLOCK,
  nativeKernelsStatus,
  sumOfSquaresJs,
} from '../src/index.js';

const status = nativeKernelsStatus();

/** Deterministic values in (-scale, scale). */
function values(n: number, seed: number, scale = 0.02): Float32Array {
  const a = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    a[i] = (x / 2 ** 32 - 0.5) * 2 * scale;
  }
  return a;
}

/** Whether two arrays hold the same bytes (much faster than toEqual on large typed arrays). */
const sameBits = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

// sizes straddle the norm block and the per-thread split (the C++ side uses one thread below 64Ki elements)
const SIZES = [3 * NORM_BLOCK + 5, 7, 200_003, 1, NORM_BLOCK];

function tensors(seed: number): AdamWTensor[] {
  return SIZES.map((n, i) => ({
    p: values(n, seed + i),
    g: values(n, seed + 10 + i, 0.5),
    m: values(n, seed + 20 + i, 0.01),
    v: values(n, seed + 30 + i, 0.01).map((x) => x * x),
    decay: i % 2 ? 1 : 1 - 3e-4 * 0.05,
  }));
}

const constants = (t: number) => ({
  b1: 0.9,
  b2: 0.95,
  invBc2Sqrt: 1 / Math.sqrt(1 - 0.95 ** t),
  eps: 1e-8,
  stepSize: 3e-4 / (1 - 0.9 ** t),
  gradScale: 0.37,
});

describe('AdamW kernel', () => {
  it('the JS kernel is torch.optim.AdamW for one element, worked by hand', () => {
    const [t] = [{ p: Float32Array.of(1), g: Float32Array.of(0.5), m: Float32Array.of(0), v: Float32Array.of(0) }];
    // step 1, lr 0.1, decay 0.01: m = 0.05, v = 0.00025 * ... ; update = lr * mhat / (sqrt(vhat) + eps) = 0.1 * sign
    const lr = 0.1;
    createOptimizerKernels({ implementation: 'js' }).adamw([{ ...t!, decay: 1 - lr * 0.01 }], {
      b1: 0.9,
      b2: 0.999,
      invBc2Sqrt: 1 / Math.sqrt(1 - 0.999),
      eps: 1e-8,
      stepSize: lr / (1 - 0.9),
      gradScale: 1,
    });
    expect(t!.m[0]).toBeCloseTo(0.05, 7);
    expect(t!.v[0]).toBeCloseTo(0.001 * 0.25, 9);
    // p = 1 * (1 - 0.001) - 0.1 * 1 (the first step moves every element by lr, whatever the gradient's size)
    expect(t!.p[0]).toBeCloseTo(0.999 - 0.1, 6);
  });

  it.runIf(status.available)('C++ on 1, 2 and 3 threads gives the JS kernel bits', () => {
    const js = createOptimizerKernels({ implementation: 'js' });
    const ref = tensors(1);
    for (let t = 1; t <= 3; t++) js.adamw(ref, constants(t));
    for (const threads of [1, 2, 3]) {
      const cpp = createOptimizerKernels({ implementation: 'cpp', threads });
      expect(cpp.implementation).toBe('cpp');
      const got = tensors(1);
      for (let t = 1; t <= 3; t++) cpp.adamw(got, constants(t));
      got.forEach((x, i) => {
        for (const k of ['p', 'm', 'v'] as const) expect(sameBits(x[k], ref[i]![k]), `${k} of tensor ${i}`).toBe(true);
      });
    }
  });

  it('rejects mismatched buffers and non-finite constants with the tensor named', () => {
    const k = createOptimizerKernels();
    const bad = [
      { p: new Float32Array(4), g: new Float32Array(3), m: new Float32Array(4), v: new Float32Array(4), decay: 1 },
    ];
    expect(() => k.adamw(bad, constants(1))).toThrow(/tensors\[0\]\.g has 3 values, p has 4/);
    expect(() => k.adamw([], { ...constants(1), eps: Number.NaN })).toThrow(KernelError);
    expect(() => createOptimizerKernels({ threads: 0 })).toThrow(/threads must be an integer/);
  });
});

describe('sum of squares', () => {
  it('is exact on small integers and does not depend on the block cut', () => {
    // squares of integers below 2^10 and their sums stay below 2^53: every order gives the exact value
    const a = Float32Array.from({ length: 2 * NORM_BLOCK + 11 }, (_, i) => (i % 1000) - 500);
    let exact = 0;
    for (const x of a) exact += x * x;
    expect(sumOfSquaresJs([a, Float32Array.of(3, 4)])).toBe(exact + 25);
  });

  it('is close to a plain float64 sum on random data', () => {
    const arrays = SIZES.map((n, i) => values(n, 50 + i, 3));
    let plain = 0;
    for (const a of arrays) for (const x of a) plain += x * x;
    expect(Math.abs(sumOfSquaresJs(arrays) - plain) / plain).toBeLessThan(1e-12);
  });

  it.runIf(status.available)('C++ on any thread count gives the JS bits', () => {
    const arrays = SIZES.map((n, i) => values(n, 70 + i, 3));
    const ref = sumOfSquaresJs(arrays);
    for (const threads of [1, 2, 5]) {
      expect(createOptimizerKernels({ implementation: 'cpp', threads }).sumOfSquares(arrays)).toBe(ref);
    }
  });
});

describe('keepFreedMemory', () => {
  it.runIf(status.available && process.platform === 'linux')('applies on glibc and is idempotent', () => {
    expect(keepFreedMemory()).toBe(true);
    expect(keepFreedMemory()).toBe(true);
    // large allocations still work (now from the heap instead of mmap)
    const big = new Float32Array(40 * 2 ** 20);
    big[big.length - 1] = 1;
    expect(big[big.length - 1]).toBe(1);
  });
});
