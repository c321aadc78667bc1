import { describe, expect, it } from 'vitest';
import { Graph, grad, Session, tensor } from '../src/index.js';
import { gradCheck } from './helpers.js';

describe('smoke', () => {
  it('builds softmax(xW), takes grads, runs', async () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 4]);
    const w = g.param('w', [4, 3]);
    const y = g.softmax(g.matmul(x, w), -1);
    const loss = g.reduceSum(y, [0, 1]);
    const [gw] = grad(loss, [w]);
    g.output(y, 'y');
    g.output(gw!, 'gw');
    const s = await Session.create(g);
    const r = await s.run({
      x: tensor(new Float32Array(8).fill(1), [2, 4]),
      w: tensor(new Float32Array(12).fill(0.5), [4, 3]),
    });
    expect(r.outputs.y!.dims).toEqual([2, 3]);
    expect(Array.from(r.outputs.y!.data as Float32Array)[0]).toBeCloseTo(1 / 3);
    expect(Math.max(...Array.from(r.outputs.gw!.data as Float32Array).map(Math.abs))).toBeLessThan(1e-6);
  });
  it('grad check matmul', async () => {
    await gradCheck((g, [a, b]) => g.matmul(a!, b!), [{ shape: [2, 3, 4] }, { shape: [4, 2] }]);
  });
});
