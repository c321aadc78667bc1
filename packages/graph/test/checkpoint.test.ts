import { describe, expect, it } from 'vitest';
import { checkpoint, Graph, grad, rmsNorm, Session, tensor, type Value } from '../src/index.js';
import { gradCheck, randn, rng } from './helpers.js';

/** A residual MLP block reading captured parameters. */
function block(g: Graph, x: Value, w1: Value, w2: Value, n: Value): Value {
  return g.add(x, g.matmul(g.silu(g.matmul(rmsNorm(x, n), w1)), w2));
}

describe('checkpoint (rematerialization) and ordering barriers', () => {
  it('give the same gradients as the plain graph, for inputs and captured params', async () => {
    const r = rng(5);
    const feeds = {
      x: tensor(Float32Array.from(randn(2 * 3 * 4, r)), [2, 3, 4]),
      w1: tensor(Float32Array.from(randn(4 * 6, r, 0.5)), [4, 6]),
      w2: tensor(Float32Array.from(randn(6 * 4, r, 0.5)), [6, 4]),
      n: tensor(Float32Array.from(randn(4, r)), [4]),
    };
    const results: Record<string, number[]>[] = [];
    const matmuls: number[] = [];
    for (const [remat, order] of [
      [false, false],
      [true, false],
      [false, true],
    ] as const) {
      const g = new Graph();
      const x = g.input('x', 'float32', ['b', 't', 4]);
      const w1 = g.input('w1', 'float32', [4, 6]);
      const w2 = g.input('w2', 'float32', [6, 4]);
      const n = g.input('n', 'float32', [4]);
      let h = x;
      for (let l = 0; l < 2; l++) {
        h = remat ? checkpoint([h], (hh) => [block(g, hh, w1, w2, n)])[0]! : block(g, h, w1, w2, n);
      }
      const loss = g.reduceMean(g.mul(h, h), [0, 1, 2]);
      const gs = grad(loss, [x, w1, w2, n], { order });
      ['gx', 'gw1', 'gw2', 'gn'].forEach((name, i) => {
        g.output(gs[i]!, name);
      });
      g.output(loss, 'loss');
      const s = await Session.create(g);
      const out = (await s.run(feeds)).outputs;
      results.push(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.from(v.data as Float32Array)])));
      matmuls.push(g.nodes.filter((nd) => nd.opType === 'MatMul').length);
    }
    expect(matmuls[1]).toBe(matmuls[0]! + 4); // the two blocks' forward matmuls are recomputed
    for (const other of [results[1]!, results[2]!]) {
      for (const k of Object.keys(results[0]!)) {
        const a = results[0]![k]!;
        const b = other[k]!;
        expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!))), k).toBeLessThan(1e-6);
      }
    }
  });

  it('passes a finite-difference check (float64)', async () => {
    await gradCheck(
      (g, [x, w]) => checkpoint([x!], (xx) => [g.mul(g.tanh(g.matmul(xx, w!)), xx)])[0]!,
      [{ shape: [3, 3] }, { shape: [3, 3] }],
    );
  });
});
