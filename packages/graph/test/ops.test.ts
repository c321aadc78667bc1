// Every op's gradient against central finite differences, in float64 unless noted.
import { describe, it } from 'vitest';
import type { Graph, Value } from '../src/index.js';
import { type CheckOptions, gradCheck, type InputSpec, rng } from './helpers.js';

type Case = [string, (g: Graph, xs: Value[]) => Value, InputSpec[], CheckOptions?];

const pos = (n: number, seed = 3) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => 0.5 + r() * 1.5);
};

const cases: Case[] = [
  // broadcasting binaries: both sides get summed back to their shapes
  ['Add broadcast', (g, [a, b]) => g.add(a!, b!), [{ shape: [2, 3, 4] }, { shape: [3, 1] }]],
  ['Sub broadcast', (g, [a, b]) => g.sub(a!, b!), [{ shape: [4] }, { shape: [2, 3, 4] }]],
  ['Mul broadcast', (g, [a, b]) => g.mul(a!, b!), [{ shape: [2, 1, 4] }, { shape: [3, 1] }]],
  ['Div broadcast', (g, [a, b]) => g.div(a!, b!), [{ shape: [2, 3] }, { shape: [3], values: pos(3) }]],
  ['Pow both', (g, [a, b]) => g.pow(a!, b!), [{ shape: [2, 3], values: pos(6) }, { shape: [1, 3] }]],
  ['Pow constant exponent', (g, [a]) => g.pow(a!, 3), [{ shape: [5] }]],
  ['Max', (g, [a, b]) => g.max(a!, b!), [{ shape: [2, 3] }, { shape: [3] }]],
  ['Min', (g, [a, b]) => g.min(a!, b!), [{ shape: [2, 3] }, { shape: [2, 1] }]],
  ['Neg', (g, [a]) => g.neg(a!), [{ shape: [3, 2] }]],
  ['Sqrt', (g, [a]) => g.sqrt(a!), [{ shape: [6], values: pos(6) }]],
  ['Reciprocal', (g, [a]) => g.reciprocal(a!), [{ shape: [6], values: pos(6) }]],
  ['Exp', (g, [a]) => g.exp(a!), [{ shape: [2, 3] }]],
  ['Log', (g, [a]) => g.log(a!), [{ shape: [6], values: pos(6) }]],
  ['Sigmoid', (g, [a]) => g.sigmoid(a!), [{ shape: [2, 3] }]],
  ['Tanh', (g, [a]) => g.tanh(a!), [{ shape: [2, 3] }]],
  // ORT fuses x*sigmoid(x) into QuickGelu, which has no float64 kernel: check float64 unfused, float32 fused
  ['SiLU', (g, [a]) => g.silu(a!), [{ shape: [2, 4] }], { session: { optimization: 'basic' } }],
  ['SiLU float32 fused', (g, [a]) => g.silu(a!), [{ shape: [2, 4] }], { dtype: 'float32' }],
  ['Relu', (g, [a]) => g.relu(a!), [{ shape: [2, 4] }]],
  // matmul: batched, broadcasting batch dims, 2-D weight (Gemm path), symbolic batch
  ['MatMul batched broadcast', (g, [a, b]) => g.matmul(a!, b!), [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }]],
  ['MatMul weight', (g, [a, b]) => g.matmul(a!, b!), [{ shape: [2, 3, 4] }, { shape: [4, 5] }]],
  ['MatMul symbolic', (g, [a, b]) => g.matmul(a!, b!), [{ shape: ['b', 't', 3], dims: [2, 2, 3] }, { shape: [3, 2] }]],
  [
    'Gemm',
    (g, [a, b, c]) => g.gemm(a!, b!, c!, { alpha: 0.7, beta: 1.3 }),
    [{ shape: [3, 4] }, { shape: [4, 2] }, { shape: [2] }],
  ],
  [
    'Gemm transA transB',
    (g, [a, b, c]) => g.gemm(a!, b!, c!, { transA: true, transB: true, alpha: 2 }),
    [{ shape: [4, 3] }, { shape: [2, 4] }, { shape: [3, 1] }],
  ],
  ['Gemm transA', (g, [a, b]) => g.gemm(a!, b!, null, { transA: true }), [{ shape: [4, 3] }, { shape: [4, 2] }]],
  ['Gemm transB', (g, [a, b]) => g.gemm(a!, b!, null, { transB: true }), [{ shape: [3, 4] }, { shape: [2, 4] }]],
  // reductions
  ['ReduceSum', (g, [a]) => g.reduceSum(a!, [0, 2]), [{ shape: [2, 3, 4] }]],
  ['ReduceSum keepdims', (g, [a]) => g.reduceSum(a!, -1, true), [{ shape: [2, 3] }]],
  ['ReduceMean', (g, [a]) => g.reduceMean(a!, [1]), [{ shape: [2, 3, 2] }]],
  ['ReduceMean symbolic', (g, [a]) => g.reduceMean(a!, [1], true), [{ shape: [2, 'n'], dims: [2, 5] }]],
  ['ReduceMax', (g, [a]) => g.reduceMax(a!, [1]), [{ shape: [3, 4] }]],
  ['ReduceL2', (g, [a]) => g.reduceL2(a!, [0, 1], true), [{ shape: [2, 3, 2] }]],
  // softmax family
  ['Softmax last', (g, [a]) => g.softmax(a!, -1), [{ shape: [2, 5] }]],
  ['Softmax axis 1 (sequence)', (g, [a]) => g.softmax(a!, 1), [{ shape: [2, 4, 3] }]],
  ['Softmax joint axes 2,3', (g, [a]) => g.softmax(a!, [2, 3]), [{ shape: [2, 2, 3, 2] }]],
  ['LogSoftmax', (g, [a]) => g.logSoftmax(a!, 0), [{ shape: [4, 3] }]],
  // indexing
  [
    'Gather embedding (repeated ids)',
    (g, [e, i]) => g.gather(e!, i!),
    [{ shape: [5, 3] }, { shape: [2, 3], int: true, values: [1, 4, 1, 0, 1, 3] }],
  ],
  [
    'GatherElements',
    (g, [d, i]) => g.gatherElements(d!, i!, 1),
    [{ shape: [2, 4] }, { shape: [2, 3], int: true, values: [0, 3, 0, 2, 2, 1] }],
  ],
  // shape ops
  ['Reshape', (g, [a]) => g.reshape(a!, [0, -1]), [{ shape: [2, 3, 2] }]],
  ['Reshape symbolic heads', (g, [a]) => g.reshape(a!, ['b', 't', 2, 3]), [{ shape: ['b', 't', 6], dims: [1, 2, 6] }]],
  ['Transpose', (g, [a]) => g.transpose(a!, [2, 0, 1]), [{ shape: [2, 3, 4] }]],
  ['Concat', (g, [a, b]) => g.concat([a!, b!, a!], 1), [{ shape: [2, 2] }, { shape: [2, 3] }]],
  ['Concat symbolic', (g, [a, b]) => g.concat([a!, b!], 0), [{ shape: ['n', 2], dims: [3, 2] }, { shape: [2, 2] }]],
  [
    'Split',
    (g, [a]) => {
      const [p, q] = g.split(a!, 1, [1, 3]);
      return g.mul(p!, g.reduceSum(q!, 1, true));
    },
    [{ shape: [2, 4] }],
  ],
  ['Split unused output', (g, [a]) => g.split(a!, 0, [2, 1])[1]!, [{ shape: [3, 2] }]],
  ['Slice', (g, [a]) => g.slice(a!, [1, -3], [3, 10], [0, 1]), [{ shape: [4, 5] }]],
  ['Slice symbolic negative', (g, [a]) => g.slice(a!, [-2], [2 ** 62], [1]), [{ shape: [2, 'n'], dims: [2, 5] }]],
  ['Unsqueeze', (g, [a]) => g.unsqueeze(a!, [0, 2]), [{ shape: [2, 3] }]],
  ['Squeeze', (g, [a]) => g.squeeze(a!, [1]), [{ shape: [2, 1, 3] }]],
  ['Expand', (g, [a]) => g.expand(a!, [2, 3, 4]), [{ shape: [3, 1] }]],
  [
    'Where',
    (g, [c, a, b]) => g.where(g.greater(c!, 0), a!, b!),
    [{ shape: [2, 3] }, { shape: [2, 3] }, { shape: [3] }],
  ],
  ['Trilu lower', (g, [a]) => g.trilu(a!, false), [{ shape: [2, 3, 3] }]],
  ['Trilu upper k=1', (g, [a]) => g.trilu(a!, true, 1), [{ shape: [3, 4] }]],
  [
    'Identity + shared subexpression',
    (g, [a]) => {
      const e = g.exp(a!);
      return g.mul(e, g.add(e, a!));
    },
    [{ shape: [4] }],
  ],
];

describe('op gradients vs central finite differences (float64)', () => {
  for (const [name, f, specs, opts] of cases) {
    it(name, async () => {
      await gradCheck(f, specs, opts);
    });
  }
});

describe('float32 and float16 casts', () => {
  // float32: h = 1e-2 with loss O(1) gives truncation error ~h^2 ~ 1e-4 and rounding ~1e-7/h ~ 1e-5,
  // so 2e-2 relative + 2e-3 absolute is a loose but meaningful bound.
  it('Cast float32 -> float16 -> float32 (grad passes through the casts)', async () => {
    await gradCheck((g, [a]) => g.mul(g.cast(g.cast(a!, 'float16'), 'float32'), 2), [{ shape: [4] }], {
      dtype: 'float32',
      h: 0.05,
      rtol: 2e-2,
      atol: 5e-3,
    });
  });
  it('Cast float64 -> float32', async () => {
    await gradCheck(
      (g, [a]) => g.cast(g.mul(g.cast(a!, 'float32'), g.cast(a!, 'float32')), 'float64'),
      [{ shape: [3] }],
      {
        h: 1e-3,
        rtol: 1e-3,
        atol: 1e-4,
      },
    );
  });
});
