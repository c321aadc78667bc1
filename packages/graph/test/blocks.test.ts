// Composite blocks: custom gradients against finite differences, and forwards against direct formulas.
import { describe, expect, it } from 'vitest';
import {
  attention,
  Graph,
  lmHeadCrossEntropy,
  lmHeadTokenNll,
  lowest,
  rmsNorm,
  rotary,
  rotaryTables,
  Session,
  softmaxCrossEntropy,
  tensor,
} from '../src/index.js';
import { gradCheck, randn, rng } from './helpers.js';

const f64 = (a: ArrayLike<number>) => Array.from(a, Number);

describe('composite block gradients (float64, finite differences)', () => {
  it('RMSNorm', async () => {
    await gradCheck((_g, [x, w]) => rmsNorm(x!, w!, 1e-6), [{ shape: [2, 3, 5] }, { shape: [5] }]);
  });

  it('rotary embedding (rotate-half) with real tables', async () => {
    const T = 3;
    const D = 6;
    const { cos, sin } = rotaryTables(T, D, 10000);
    await gradCheck(
      (g, [x]) =>
        rotary(
          x!,
          g.constant(Float64Array.from(cos), [T, D], 'float64'),
          g.constant(Float64Array.from(sin), [T, D], 'float64'),
        ),
      [{ shape: [1, 2, T, D] }],
    );
  });

  it('causal attention (q, k, v)', async () => {
    await gradCheck(
      (_g, [q, k, v]) => attention(q!, k!, v!, { causal: true }),
      [{ shape: [1, 2, 4, 3] }, { shape: [1, 2, 4, 3] }, { shape: [1, 2, 4, 2] }],
    );
  });

  it('causal attention with symbolic sequence', async () => {
    await gradCheck(
      (_g, [q, k, v]) => attention(q!, k!, v!, { causal: true }),
      [
        { shape: ['b', 1, 't', 3], dims: [2, 1, 3, 3] },
        { shape: ['b', 1, 't', 3], dims: [2, 1, 3, 3] },
        { shape: ['b', 1, 't', 3], dims: [2, 1, 3, 3] },
      ],
    );
  });

  it('attention with an additive per-row bias (packed segments: block-diagonal causal)', async () => {
    // row 0: segments [1,1,2,2]; row 1: [1,1,1,0] (0 = padding, sees only itself among pads)
    const seg = [
      [1, 1, 2, 2],
      [1, 1, 1, 0],
    ];
    const bias: number[] = [];
    for (const row of seg)
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++) bias.push(j <= i && row[i] === row[j] ? 0 : lowest('float64'));
    await gradCheck(
      (g, [q, k, v]) => attention(q!, k!, v!, { bias: g.constant(Float64Array.from(bias), [2, 1, 4, 4], 'float64') }),
      [{ shape: [2, 2, 4, 3] }, { shape: [2, 2, 4, 3] }, { shape: [2, 2, 4, 2] }],
    );
  });

  it('softmax over the sequence axis then a weighted sum (Soft-MoE dispatch)', async () => {
    // x [B,T,d], logits [B,T,S] -> D = softmax over T; slots = D^T x
    await gradCheck(
      (g, [x, phi]) => {
        const logits = g.matmul(x!, phi!);
        const disp = g.softmax(logits, 1);
        const comb = g.softmax(g.reshape(logits, [0, 0, 2, 2]), [2, 3]);
        const slots = g.matmul(g.transpose(disp, [0, 2, 1]), x!);
        return g.add(g.reduceSum(slots, [1]), g.reduceSum(g.reshape(comb, [0, 0, 4]), [1]));
      },
      [{ shape: [2, 3, 4] }, { shape: [4, 4] }],
    );
  });

  it('softmax cross-entropy with an ignored label', async () => {
    await gradCheck(
      (_g, [z, y]) => softmaxCrossEntropy(z!, y!),
      [{ shape: [4, 5] }, { shape: [4], int: true, values: [1, -100, 4, 1] }],
    );
  });

  it('LM-head cross-entropy, chunked vocabulary (kept and recomputed logits)', async () => {
    for (const recompute of [false, true]) {
      await gradCheck(
        (_g, [h, w, y]) => lmHeadCrossEntropy(h!, w!, y!, { chunks: 3, recompute }),
        [{ shape: [4, 3] }, { shape: [7, 3] }, { shape: [4], int: true, values: [6, 0, -100, 6] }],
      );
    }
  });

  it('LM-head per-row NLL, chunked vocabulary (kept and recomputed logits)', async () => {
    for (const recompute of [false, true]) {
      await gradCheck(
        (_g, [h, w, y]) => lmHeadTokenNll(h!, w!, y!, { chunks: 3, recompute }),
        [{ shape: [4, 3] }, { shape: [7, 3] }, { shape: [4], int: true, values: [6, 0, -100, 6] }],
      );
    }
  });
});

describe('block forwards against direct formulas', () => {
  it('attention bias: a packed row gives each segment the output it has alone', async () => {
    const r = rng(3);
    const D = 3;
    const q = randn(5 * D, r);
    const k = randn(5 * D, r);
    const v = randn(5 * D, r);
    const seg = [1, 1, 2, 2, 2];
    const bias = seg.flatMap((si, i) => seg.map((sj, j) => (j <= i && si === sj ? 0 : lowest('float64'))));
    const g = new Graph();
    const Q = g.input('q', 'float64', [1, 't', D]);
    const K = g.input('k', 'float64', [1, 't', D]);
    const Vv = g.input('v', 'float64', [1, 't', D]);
    const Bias = g.input('bias', 'float64', [1, 't', 't']);
    g.output(attention(Q, K, Vv, { bias: Bias }), 'packed');
    g.output(attention(Q, K, Vv, { causal: true }), 'alone');
    const s = await Session.create(g);
    const feed = (a: number[], n: number, from: number) =>
      tensor(Float64Array.from(a.slice(from * D, (from + n) * D)), [1, n, D]);
    const packed = await s.run({
      q: feed(q, 5, 0),
      k: feed(k, 5, 0),
      v: feed(v, 5, 0),
      bias: tensor(Float64Array.from(bias), [1, 5, 5]),
    });
    const zeros = (n: number) => tensor(new Float64Array(n * n), [1, n, n]);
    const first = await s.run({ q: feed(q, 2, 0), k: feed(k, 2, 0), v: feed(v, 2, 0), bias: zeros(2) });
    const second = await s.run({ q: feed(q, 3, 2), k: feed(k, 3, 2), v: feed(v, 3, 2), bias: zeros(3) });
    const got = f64(packed.outputs.packed!.data as Float64Array);
    const want = [
      ...f64(first.outputs.alone!.data as Float64Array),
      ...f64(second.outputs.alone!.data as Float64Array),
    ];
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 12);
  });

  it('per-row NLL sums to the summed cross-entropy and is 0 on ignored rows', async () => {
    const r = rng(11);
    const N = 4;
    const d = 3;
    const V = 9;
    const labels = [2, -100, 8, 0];
    const g = new Graph();
    const H = g.input('h', 'float64', [N, d]);
    const W = g.input('w', 'float64', [V, d]);
    const Y = g.input('y', 'int64', [N]);
    g.output(lmHeadTokenNll(H, W, Y, { chunks: 2 }), 'rows');
    g.output(softmaxCrossEntropy(g.matmul(H, g.transpose(W)), Y, { reduction: 'sum' }), 'sum');
    const s = await Session.create(g);
    const out = await s.run({
      h: tensor(Float64Array.from(randn(N * d, r)), [N, d]),
      w: tensor(Float64Array.from(randn(V * d, r)), [V, d]),
      y: tensor(BigInt64Array.from(labels.map(BigInt)), [N]),
    });
    const rows = f64(out.outputs.rows!.data as Float64Array);
    expect(rows[1]).toBe(0);
    for (const i of [0, 2, 3]) expect(rows[i]).toBeGreaterThan(0);
    expect(rows.reduce((a, b) => a + b, 0)).toBeCloseTo(f64(out.outputs.sum!.data as Float64Array)[0]!, 12);
  });

  it('chunked LM-head loss equals the whole-vocabulary log-softmax loss', async () => {
    const r = rng(7);
    const N = 5;
    const d = 4;
    const V = 11;
    const h = randn(N * d, r);
    const w = randn(V * d, r);
    const labels = [3, 10, 0, -100, 7];
    let ref = 0;
    let count = 0;
    for (let n = 0; n < N; n++) {
      if (labels[n] === -100) continue;
      const z = Array.from({ length: V }, (_, v) =>
        h.slice(n * d, n * d + d).reduce((a, x, k) => a + x * w[v * d + k]!, 0),
      );
      const m = Math.max(...z);
      const lse = m + Math.log(z.reduce((a, x) => a + Math.exp(x - m), 0));
      ref += lse - z[labels[n]!]!;
      count++;
    }
    ref /= count;
    const g = new Graph();
    const H = g.input('h', 'float64', ['n', d]);
    const W = g.input('w', 'float64', [V, d]);
    const Y = g.input('y', 'int64', ['n']);
    g.output(lmHeadCrossEntropy(H, W, Y, { chunks: 4 }), 'a');
    g.output(softmaxCrossEntropy(g.matmul(H, g.transpose(W)), Y), 'b');
    const s = await Session.create(g);
    const out = await s.run({
      h: tensor(Float64Array.from(h), [N, d]),
      w: tensor(Float64Array.from(w), [V, d]),
      y: tensor(BigInt64Array.from(labels.map(BigInt)), [N]),
    });
    expect(Number(out.outputs.a!.data[0])).toBeCloseTo(ref, 12);
    expect(Number(out.outputs.b!.data[0])).toBeCloseTo(ref, 12);
  });

  it('causal attention masks the future', async () => {
    const g = new Graph();
    const q = g.input('q', 'float32', [1, 1, 3, 2]);
    const v = g.input('v', 'float32', [1, 1, 3, 1]);
    g.output(attention(q, q, v, { causal: true }), 'o');
    const s = await Session.create(g);
    const out = await s.run({
      q: tensor(new Float32Array(6), [1, 1, 3, 2]),
      v: tensor(Float32Array.from([3, 6, 9]), [1, 1, 3, 1]),
    });
    // equal scores: the mean of the visible values
    expect(f64(out.outputs.o!.data as Float32Array)).toEqual([3, 4.5, 6]);
  });
});

describe('linear (HF [out, in] weights)', () => {
  it('gradients of x, w, b (batched x) and of w for 2-D x', async () => {
    const { linear } = await import('../src/index.js');
    await gradCheck((_g, [x, w, b]) => linear(x!, w!, b!), [{ shape: [2, 3, 4] }, { shape: [5, 4] }, { shape: [5] }]);
    await gradCheck((_g, [x, w]) => linear(x!, w!), [{ shape: [3, 4] }, { shape: [2, 4] }]);
    await gradCheck((_g, [x, w]) => linear(x!, w!), [{ shape: ['b', 2, 4], dims: [2, 2, 4] }, { shape: [3, 4] }]);
  });
});

describe('query-chunked causal attention', () => {
  it('matches unchunked attention and passes finite differences', async () => {
    await gradCheck(
      (g, [q, k, v]) =>
        g.sub(attention(q!, k!, v!, { causal: true, queryChunks: 3 }), attention(q!, k!, v!, { causal: true })),
      [{ shape: [1, 2, 7, 3] }, { shape: [1, 2, 7, 3] }, { shape: [1, 2, 7, 2] }],
      { atol: 1e-9 },
    );
    await gradCheck(
      (_g, [q, k, v]) => attention(q!, k!, v!, { causal: true, queryChunks: 3 }),
      [{ shape: [1, 2, 7, 3] }, { shape: [1, 2, 9, 3] }, { shape: [1, 2, 9, 2] }],
    );
  });
});
