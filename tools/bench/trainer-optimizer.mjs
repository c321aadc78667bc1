// Where should AdamW run? The JS reference loop over Float32Arrays (@steel/trainer's fallback; its default is the C++
// kernels, see kernels-optimizer.mjs) vs an in-graph AdamW in ORT (params, grads, moments fed; updated params and
// moments written into preallocated tensors, double-buffered).
//   node tools/bench/trainer-optimizer.mjs --millions 16 --threads 2 --runs 5
import { Graph, Session, tensor } from '@steel/graph';
import { AdamW } from '@steel/trainer';

const args = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) if (argv[i].startsWith('--')) args[argv[i].slice(2)] = argv[i + 1];
const n = Math.round(Number(args.millions ?? 16) * 1e6);
const threads = Number(args.threads ?? 2);
const runs = Number(args.runs ?? 5);
const fill = (seed) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 0.01);

// JS
const p = fill(1);
const g = fill(2);
const params = new Map([['w', p]]);
const grads = new Map([['w', g]]);
const opt = new AdamW(params, { beta1: 0.9, beta2: 0.95, weightDecay: 0.05 });
const js = [];
for (let i = 0; i <= runs; i++) {
  const t0 = performance.now();
  opt.step(params, grads, 3e-4);
  if (i > 0) js.push(performance.now() - t0);
}

// In-graph: p' = p*(1-lr*wd) - step * m'/(sqrt(v')/bc2 + eps); m' = b1 m + (1-b1) g; v' = b2 v + (1-b2) g²
const G = new Graph('adamw');
const P = G.input('p', 'float32', [n]);
const Gr = G.input('g', 'float32', [n]);
const M = G.input('m', 'float32', [n]);
const V = G.input('v', 'float32', [n]);
const decay = G.input('decay', 'float32', []);
const stepSize = G.input('step_size', 'float32', []);
const bc2 = G.input('bc2_sqrt', 'float32', []);
const m2 = G.add(G.mul(M, 0.9), G.mul(Gr, 0.1));
const v2 = G.add(G.mul(V, 0.95), G.mul(G.mul(Gr, Gr), 0.05));
const denom = G.add(G.div(G.sqrt(v2), bc2), 1e-8);
const p2 = G.sub(G.mul(P, decay), G.mul(G.div(m2, denom), stepSize));
G.output(p2, 'p_next');
G.output(m2, 'm_next');
G.output(v2, 'v_next');
const s = await Session.create(G, { intraOpThreads: threads });
let cur = { p: tensor(fill(1), [n]), m: tensor(new Float32Array(n), [n]), v: tensor(new Float32Array(n), [n]) };
let nxt = {
  p: tensor(new Float32Array(n), [n]),
  m: tensor(new Float32Array(n), [n]),
  v: tensor(new Float32Array(n), [n]),
};
const gt = tensor(g, [n]);
const ortTimes = [];
for (let i = 0; i <= runs; i++) {
  const t0 = performance.now();
  await s.run(
    {
      p: cur.p,
      g: gt,
      m: cur.m,
      v: cur.v,
      decay: tensor(Float32Array.of(1 - 3e-4 * 0.05), []),
      step_size: tensor(Float32Array.of(3e-4 / (1 - 0.9 ** (i + 1))), []),
      bc2_sqrt: tensor(Float32Array.of(Math.sqrt(1 - 0.95 ** (i + 1))), []),
    },
    { into: { p_next: nxt.p, m_next: nxt.m, v_next: nxt.v } },
  );
  if (i > 0) ortTimes.push(performance.now() - t0);
  [cur, nxt] = [nxt, cur];
}
await s.release();
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(
  JSON.stringify({
    params: n,
    threads,
    js_ms: med(js),
    ort_ms: med(ortTimes),
    js_ns_per_param: (med(js) * 1e6) / n,
    ort_ns_per_param: (med(ortTimes) * 1e6) / n,
  }),
);
