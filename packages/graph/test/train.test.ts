// A 2-layer MLP trained on a toy regression entirely inside ORT: one graph computes the loss, the
// gradients and the SGD update; JS only swaps parameter buffers between steps.
import { expect, it } from 'vitest';
import { Graph, grad, Session, tensor } from '../src/index.js';
import { randn, rng } from './helpers.js';

it('trains a 2-layer MLP on y = sin(2 x0) * x1 below a set bound', async () => {
  const N = 256;
  const H = 32;
  const r = rng(42);
  const xs = new Float32Array(N * 2);
  const ys = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    xs[2 * n] = r() * 2 - 1;
    xs[2 * n + 1] = r() * 2 - 1;
    ys[n] = Math.sin(2 * xs[2 * n]!) * xs[2 * n + 1]!;
  }
  let variance = 0;
  const mean = ys.reduce((a, b) => a + b, 0) / N;
  for (const y of ys) variance += (y - mean) ** 2 / N;

  const g = new Graph('mlp_sgd');
  const x = g.input('x', 'float32', ['n', 2]);
  const y = g.input('y', 'float32', ['n', 1]);
  const lr = g.input('lr', 'float32', []);
  const W1 = g.param('W1', [2, H]);
  const b1 = g.param('b1', [H]);
  const W2 = g.param('W2', [H, 1]);
  const b2 = g.param('b2', [1]);
  const h = g.tanh(g.add(g.matmul(x, W1), b1));
  const pred = g.add(g.matmul(h, W2), b2);
  const err = g.sub(pred, y);
  const loss = g.reduceMean(g.mul(err, err), [0, 1]);
  const params = [W1, b1, W2, b2];
  const grads = grad(loss, params);
  g.output(loss, 'loss');
  params.forEach((p, i) => {
    g.output(g.sub(p, g.mul(grads[i]!, lr)), `${p.name}_next`);
  });

  const sess = await Session.create(g, { intraOpThreads: 1 });
  const dims: Record<string, number[]> = { W1: [2, H], b1: [H], W2: [H, 1], b2: [1] };
  const init = (name: string, scale: number) => {
    const n = dims[name]!.reduce((a, b) => a * b, 1);
    return tensor(Float32Array.from(randn(n, r, scale)), dims[name]!);
  };
  // Two buffers per parameter: ORT writes the update into one while the other is fed.
  let cur = { W1: init('W1', 1), b1: init('b1', 0), W2: init('W2', 0.3), b2: init('b2', 0) };
  let nxt = { W1: init('W1', 0), b1: init('b1', 0), W2: init('W2', 0), b2: init('b2', 0) };
  const feeds = { x: tensor(xs, [N, 2]), y: tensor(ys, [N, 1]), lr: tensor(Float32Array.from([0.2]), []) };
  let first = 0;
  let last = 0;
  for (let step = 0; step < 1500; step++) {
    const { outputs } = await sess.run(
      { ...feeds, ...cur },
      { into: { W1_next: nxt.W1, b1_next: nxt.b1, W2_next: nxt.W2, b2_next: nxt.b2 } },
    );
    last = Number(outputs.loss!.data[0]);
    if (step === 0) first = last;
    if (step === 0)
      expect(Array.from(nxt.W1.data as Float32Array)).toEqual(Array.from(outputs.W1_next!.data as Float32Array)); // written in place
    [cur, nxt] = [nxt, cur];
  }
  expect(first).toBeGreaterThan(0.5 * variance);
  // measured: 0.49 -> ~8e-4 after 1500 steps (target variance 0.18)
  expect(last).toBeLessThan(2e-3);
});
