import { describe, expect, it } from 'vitest';
import { Graph, GraphError, grad, Session, serialize, tensor } from '../src/index.js';

describe('autodiff', () => {
  it('stopGradient cuts a path; shared values accumulate', async () => {
    // loss = sum(stop(exp(a)) * b) + sum(a*a) + sum(b)  =>  dL/da = 2a, dL/db = exp(a) + 1
    const g = new Graph();
    const a = g.input('a', 'float64', [3]);
    const b = g.input('b', 'float64', [3]);
    const loss = g.add(
      g.add(g.reduceSum(g.mul(g.stopGradient(g.exp(a)), b), 0), g.reduceSum(g.mul(a, a), 0)),
      g.reduceSum(b, 0),
    );
    const [ga, gb] = grad(loss, [a, b]);
    g.output(ga!, 'ga');
    g.output(gb!, 'gb');
    const s = await Session.create(g);
    const av = [0.5, -1, 2];
    const r = await s.run({ a: tensor(Float64Array.from(av), [3]), b: tensor(Float64Array.from([1, 2, 3]), [3]) });
    expect(Array.from(r.outputs.ga!.data as Float64Array)).toEqual(av.map((v) => 2 * v));
    const gbv = Array.from(r.outputs.gb!.data as Float64Array);
    for (const [i, v] of av.entries()) expect(gbv[i]).toBeCloseTo(Math.exp(v) + 1, 12);
  });

  it('differentiates through the value that output() returns (renamed Identity)', async () => {
    // y = sum(x*x) marked as output 'y' first, then differentiated: dy/dx = 2x.
    const g = new Graph();
    const x = g.param('x', [2], { dtype: 'float64' });
    const y = g.output(g.reduceSum(g.mul(x, x), [0]), 'y');
    const [gx] = grad(y, [x]);
    g.output(gx!, 'gx');
    const s = await Session.create(g, { optimization: 'basic' });
    const r = await s.run({ x: tensor(Float64Array.from([1, 2]), [2]) });
    expect(Array.from(r.outputs.gx!.data as Float64Array)).toEqual([2, 4]);
  });

  it('gives zeros for an unrelated input and rejects non-float wrt', async () => {
    const g = new Graph();
    const a = g.input('a', 'float32', [2]);
    const c = g.input('c', 'float32', [2, 2]);
    const i = g.input('i', 'int64', [2]);
    const [gc] = grad(g.reduceSum(g.exp(a), 0), [c]);
    expect(() => grad(g.reduceSum(a, 0), [i])).toThrow(GraphError);
    g.output(gc!, 'gc');
    const s = await Session.create(g);
    const r = await s.run({
      a: tensor(new Float32Array(2), [2]),
      i: tensor(new BigInt64Array(2), [2]),
      c: tensor(new Float32Array(4).fill(3), [2, 2]),
    });
    expect(Array.from(r.outputs.gc!.data as Float32Array)).toEqual([0, 0, 0, 0]);
  });

  it('names the op and shapes in build errors', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 'seq', 64]);
    const w = g.param('w', [32, 64]);
    expect(() => g.matmul(x, w)).toThrow('MatMul: inner dims differ: [batch,seq,64] @ [32,64] (64 vs 32)');
    expect(() => g.add(x, g.input('y', 'float32', [3]))).toThrow(
      'Add: shapes [batch,seq,64] and [3] do not broadcast (dim -1: 64 vs 3)',
    );
    expect(() => g.add(x, g.input('z', 'float32', ['seq2', 1, 1]))).toThrow(
      "Add: shapes [batch,seq,64] and [seq2,1,1] do not broadcast (dim -3: 'batch' vs 'seq2')",
    );
    expect(() => g.softmax(x, 3)).toThrow('Softmax: axis 3 is out of range for rank 3');
    expect(() => g.reshape(x, [0, 0, 5, -1])).toThrow(
      'Reshape: [batch,seq,64] -> [0,0,5,-1]: 64 elements do not divide into 5',
    );
    expect(() => g.input('x', 'float32', [1])).toThrow("input: name 'x' is already used");
    expect(() => g.add(x, g.input('h', 'float16', [64]))).toThrow('Add: dtypes differ');
  });

  it('infers symbolic shapes', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 'seq', 64]);
    const heads = g.transpose(g.reshape(x, [0, 0, 4, 16]), [0, 2, 1, 3]);
    expect(heads.shape).toEqual(['batch', 4, 'seq', 16]);
    const flat = g.reshape(x, [-1, 64]);
    expect(flat.shape).toEqual(['batch*seq', 64]);
    expect(g.reshape(flat, ['batch', 'seq', 64]).shape).toEqual(['batch', 'seq', 64]);
    expect(g.concat([x, x], 1).shape).toEqual(['batch', 'seq+seq', 64]);
    expect(g.slice(x, [1], [2 ** 62], [1]).shape).toEqual(['batch', 'seq-1', 64]);
    expect(g.reduceMean(x, [1]).shape).toEqual(['batch', 64]);
  });

  it('serializes deterministically', () => {
    const build = () => {
      const g = new Graph();
      const x = g.input('x', 'float32', ['n', 8]);
      const w = g.param('w', [8, 4]);
      const loss = g.reduceMean(g.softmax(g.matmul(x, w), -1), [0, 1]);
      g.output(loss, 'loss');
      g.output(grad(loss, [w])[0]!, 'gw');
      return serialize(g);
    };
    const a = build();
    const b = build();
    expect(a.byteLength).toBeGreaterThan(100);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });
});

describe('validateModel', () => {
  it('accepts a built training graph and reports broken ones', async () => {
    const { toModel, validateModel, encodeModel } = await import('../src/index.js');
    const g = new Graph();
    const x = g.input('x', 'float32', ['n', 4]);
    const w = g.param('w', [4, 2]);
    const loss = g.reduceSum(g.softmax(g.matmul(x, w), -1), [0, 1]);
    g.output(loss, 'loss');
    g.output(grad(loss, [w])[0]!, 'gw');
    const { model } = toModel(g);
    expect(validateModel(model)).toEqual([]);
    expect(validateModel(encodeModel(model))).toEqual([]);
    const nodes = model.graph!.node!;
    model.graph!.node = [...nodes].reverse();
    model.opsetImport = [{ domain: '', version: 27 }];
    const problems = validateModel(model);
    expect(problems[0]).toContain('opset 27 > 26');
    expect(problems.some((p) => p.includes('before it is defined'))).toBe(true);
  });
});

describe('runtime dims', () => {
  it('range over a named dim and output of a param under its own name', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 'seq']);
    const w = g.param('w', [2]);
    const pos = g.range('seq', 'float32');
    expect(pos.shape).toEqual(['seq']);
    g.output(g.add(x, pos), 'y');
    g.output(w);
    const s = await Session.create(g);
    const r = await s.run({ x: tensor(new Float32Array(6), [2, 3]), w: tensor(Float32Array.from([7, 8]), [2]) });
    expect(Array.from(r.outputs.y!.data as Float32Array)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(s.outputNames).toContain('w_out');
  });
});

describe('edge cases', () => {
  it('ReduceL2 gradient is 0 (not NaN) for an all-zero row', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 2]);
    const [gx] = grad(g.reduceSum(g.reduceL2(x, 1), 0), [x]);
    g.output(gx!, 'gx');
    const s = await Session.create(g);
    const r = await s.run({ x: tensor(Float32Array.from([0, 0, 3, 4]), [2, 2]) });
    expect(Array.from(r.outputs.gx!.data as Float32Array)).toEqual([0, 0, 0.6000000238418579, 0.800000011920929]);
  });
});
