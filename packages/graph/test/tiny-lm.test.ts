// A tiny causal LM (embedding, RoPE attention, SwiGLU, chunked LM-head loss) trained by SGD inside one ORT
// graph: exercises the embedding gradient (ScatterND add over repeated ids) and every fused block together.
import { expect, it } from 'vitest';
import {
  attention,
  Graph,
  grad,
  lmHeadCrossEntropy,
  rmsNorm,
  rotary,
  rotaryTables,
  Session,
  tensor,
  type Value,
} from '../src/index.js';
import { randn, rng } from './helpers.js';

it('a tiny causal LM learns a cyclic sequence through ORT', async () => {
  const V = 12;
  const D = 16;
  const H = 2;
  const HD = D / H;
  const T = 10;
  const B = 2;
  const g = new Graph('tiny_lm');
  const ids = g.input('ids', 'int64', [B, T]);
  const labels = g.input('labels', 'int64', [B, T]);
  const cos = g.input('cos', 'float32', [T, HD]);
  const sin = g.input('sin', 'float32', [T, HD]);
  const lr = g.input('lr', 'float32', []);
  const shapes: Record<string, number[]> = {
    emb: [V, D],
    n1: [D],
    wq: [D, D],
    wk: [D, D],
    wv: [D, D],
    wo: [D, D],
    n2: [D],
    wg: [D, 32],
    wu: [D, 32],
    wd: [32, D],
    nf: [D],
    head: [V, D],
  };
  const P: Record<string, Value> = {};
  for (const [n, s] of Object.entries(shapes)) P[n] = g.param(n, s);
  const heads = (v: Value) => g.transpose(g.reshape(v, [B, T, H, HD]), [0, 2, 1, 3]);
  const x = g.gather(P.emb!, ids);
  const a = rmsNorm(x, P.n1!);
  const q = rotary(heads(g.matmul(a, P.wq!)), cos, sin);
  const k = rotary(heads(g.matmul(a, P.wk!)), cos, sin);
  const v = heads(g.matmul(a, P.wv!));
  const att = g.reshape(g.transpose(attention(q, k, v, { causal: true }), [0, 2, 1, 3]), [B, T, D]);
  const h = g.add(x, g.matmul(att, P.wo!));
  const m = rmsNorm(h, P.n2!);
  const y = g.add(h, g.matmul(g.mul(g.silu(g.matmul(m, P.wg!)), g.matmul(m, P.wu!)), P.wd!));
  const f = g.reshape(rmsNorm(y, P.nf!), [-1, D]);
  const loss = lmHeadCrossEntropy(f, P.head!, g.reshape(labels, [-1]), { chunks: 3 });
  g.output(loss, 'loss');
  const names = Object.keys(shapes);
  const grads = grad(
    loss,
    names.map((n) => P[n]!),
  );
  names.forEach((n, i) => {
    g.output(g.sub(P[n]!, g.mul(grads[i]!, lr)), `${n}_next`);
  });

  const s = await Session.create(g, { intraOpThreads: 1 });
  const r = rng(9);
  let params: Record<string, ReturnType<typeof tensor>> = {};
  for (const [n, sh] of Object.entries(shapes)) {
    const size = sh.reduce((p, q) => p * q, 1);
    params[n] = tensor(n.startsWith('n') ? new Float32Array(size).fill(1) : Float32Array.from(randn(size, r, 0.3)), sh);
  }
  // the sequence 3,7,1,9,3,7,1,9,... (period 4) in both rows, shifted; labels = next token, last one ignored
  const seq = [3, 7, 1, 9];
  const idv: bigint[] = [];
  const lab: bigint[] = [];
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      idv.push(BigInt(seq[(t + b) % 4]!));
      lab.push(t === T - 1 ? -100n : BigInt(seq[(t + b + 1) % 4]!));
    }
  }
  const { cos: c, sin: sn } = rotaryTables(T, HD, 10000);
  const feeds = {
    ids: tensor(BigInt64Array.from(idv), [B, T]),
    labels: tensor(BigInt64Array.from(lab), [B, T]),
    cos: tensor(c, [T, HD]),
    sin: tensor(sn, [T, HD]),
    lr: tensor(Float32Array.from([0.3]), []),
  };
  let first = 0;
  let last = 0;
  for (let step = 0; step < 150; step++) {
    const { outputs } = await s.run({ ...feeds, ...params });
    last = Number(outputs.loss!.data[0]);
    if (step === 0) first = last;
    params = Object.fromEntries(names.map((n) => [n, outputs[`${n}_next`]!]));
  }
  expect(first).toBeGreaterThan(1.5); // ~ln(12) = 2.48 at random init
  expect(last).toBeLessThan(0.1);
});
