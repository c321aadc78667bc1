#!/usr/bin/env node
// Benchmark of @steel/graph: building and running forward+backward of one Steel transformer block
// (width 1792, 32 heads, Soft-MoE v3 of 6 SENet experts) at sequence 512, plus the build time of the
// whole 18-layer Steel training graph (embedding .. LM-head cross-entropy, gradients of all 633 params).
// Prints one JSON object. Each part runs in its own child process so peak RSS is per part.
//
// usage: node tools/bench/graph-block.mjs [--profile 1] [--part block|build] [--static 1] [--opt all]
//        [--stack 1] [--remat 0] [--order 0] [--arena 1] [--qchunks 1] (query blocks of causal attention; needs --static 1) [--seq 512] [--batch 1] [--width 1792] [--heads 32] [--layers 18]
//        [--runs 5] [--threads 2] [--vocab 151936] [--chunks 8] [--probe-reps 8]
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  attention,
  checkpoint,
  linear as fusedLinear,
  Graph,
  grad,
  graphStats,
  lmHeadCrossEntropy,
  peakRssBytes,
  rmsNorm,
  rotary,
  rotaryTables,
  Session,
  serialize,
  tensor,
} from '@steel/graph';

const argv = process.argv.slice(2);
const args = Object.fromEntries(argv.flatMap((a, i) => (a.startsWith('--') ? [[a.slice(2), argv[i + 1]]] : [])));
const opt = {
  seq: Number(args.seq ?? 512),
  batch: Number(args.batch ?? 1),
  width: Number(args.width ?? 1792),
  heads: Number(args.heads ?? 32),
  layers: Number(args.layers ?? 18),
  runs: Number(args.runs ?? 5),
  threads: Number(args.threads ?? 2),
  vocab: Number(args.vocab ?? 151936),
  chunks: Number(args.chunks ?? 8),
  experts: 6,
  stack: Number(args.stack ?? 1),
  qchunks: Number(args.qchunks ?? 1),
  remat: Boolean(Number(args.remat ?? 0)),
};
const MB = 2 ** 20;

/** HF Linear: y = x W^T (+ b), W [out, in]; --plain-linear 1 composes matmul(x, transpose(W)) instead. */
function linear(g, x, w, b) {
  if (!args['plain-linear']) return fusedLinear(x, w, b);
  const y = g.matmul(x, g.transpose(w));
  return b ? g.add(y, b) : y;
}

/** One Steel decoder layer (spec §1.3-1.7): pre-norm attention + Soft-MoE v3 of SENet experts. */
function steelLayer(g, x, cos, sin, prefix, o) {
  return steelLayerWith(g, x, cos, sin, layerParams(g, prefix, o), o);
}

/** The 35 parameters of one layer (HF names), created up front so a checkpointed layer can capture them. */
function layerParams(g, prefix, o) {
  const d = o.width;
  const inner = d / 4;
  const shapes = {
    'input_layernorm.weight': [d],
    'post_attention_layernorm.weight': [d],
    'mlp.phi': [d, o.experts, 1],
    'mlp.scale': [1],
  };
  for (const n of ['q', 'k', 'v']) {
    shapes[`self_attn.${n}_proj.weight`] = [d, d];
    shapes[`self_attn.${n}_proj.bias`] = [d];
  }
  shapes['self_attn.o_proj.weight'] = [d, d];
  for (let e = 0; e < o.experts; e++) {
    shapes[`mlp.experts.${e}.gate_up_proj.weight`] = [inner, d];
    shapes[`mlp.experts.${e}.up_proj.weight`] = [inner, d];
    shapes[`mlp.experts.${e}.gate_down_proj.weight`] = [d, inner];
    shapes[`mlp.experts.${e}.down_proj.weight`] = [d, inner];
  }
  return Object.fromEntries(Object.entries(shapes).map(([n, s]) => [n, g.param(`${prefix}.${n}`, s)]));
}

function steelLayerWith(g, x, cos, sin, params, o) {
  const d = o.width;
  const H = o.heads;
  const hd = d / H;
  const inner = d / 4;
  const P = (name, shape) => {
    const p = params[name];
    if (p.shape.join() !== shape.join()) throw new Error(`${name}: ${p.shape} != ${shape}`);
    return p;
  };
  const heads = (v) => g.transpose(g.reshape(v, [0, 0, H, hd]), [0, 2, 1, 3]);
  const a = rmsNorm(x, P('input_layernorm.weight', [d]), 1e-6);
  const proj = (n) => linear(g, a, P(`self_attn.${n}_proj.weight`, [d, d]), P(`self_attn.${n}_proj.bias`, [d]));
  const q = rotary(heads(proj('q')), cos, sin);
  const k = rotary(heads(proj('k')), cos, sin);
  const v = heads(proj('v'));
  const att = g.reshape(g.transpose(attention(q, k, v, { causal: true, queryChunks: o.qchunks }), [0, 2, 1, 3]), [
    0,
    0,
    d,
  ]);
  const h = g.add(x, linear(g, att, P('self_attn.o_proj.weight', [d, d])));
  // Soft-MoE v3: dispatch softmax over the sequence, combine softmax over experts x slots
  const m = rmsNorm(h, P('post_attention_layernorm.weight', [d]), 1e-6);
  const E = o.experts;
  const xn = g.div(m, g.max(g.reduceL2(m, -1, true), 1e-12));
  const phi = P('mlp.phi', [d, E, 1]);
  const phin = g.mul(g.div(phi, g.max(g.reduceL2(phi, 0, true), 1e-12)), P('mlp.scale', [1]));
  const L = g.matmul(xn, g.reshape(phin, [d, E])); // [B,T,E]
  const disp = g.softmax(L, 1);
  const comb = g.reshape(g.softmax(g.reshape(L, [0, 0, E, 1]), [2, 3]), [0, 0, E]);
  const slots = g.matmul(g.transpose(disp, [0, 2, 1]), xn); // [B,E,d]
  const parts = g.split(slots, 1, Array(E).fill(1));
  const ys = parts.map((s, e) => {
    const W = (n, shape) => P(`mlp.experts.${e}.${n}.weight`, shape);
    const hid = g.mul(g.silu(linear(g, s, W('gate_up_proj', [inner, d]))), linear(g, s, W('up_proj', [inner, d])));
    return g.mul(g.silu(linear(g, hid, W('gate_down_proj', [d, inner]))), linear(g, hid, W('down_proj', [d, inner])));
  });
  return g.add(h, g.matmul(comb, g.concat(ys, 1)));
}

function blockInputs(g, o) {
  const hd = o.width / o.heads;
  const [B, T] = args.static ? [o.batch, o.seq] : ['batch', 'seq'];
  return {
    x: g.input('x', 'float32', [B, T, o.width]),
    cos: g.input('cos', 'float32', [T, hd]),
    sin: g.input('sin', 'float32', [T, hd]),
  };
}

function randomFeeds(g, o) {
  let s = 12345;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const fill = (n, scale) => Float32Array.from({ length: n }, () => rnd() * scale);
  const hd = o.width / o.heads;
  const { cos, sin } = rotaryTables(o.seq, hd, 1e6);
  const feeds = {
    x: tensor(fill(o.batch * o.seq * o.width, 2), [o.batch, o.seq, o.width]),
    cos: tensor(cos, [o.seq, hd]),
    sin: tensor(sin, [o.seq, hd]),
  };
  for (const p of g.params) {
    const n = p.value.shape.reduce((a, b) => a * b, 1);
    const isNorm = p.value.name.endsWith('norm.weight') || p.value.name.endsWith('scale');
    feeds[p.value.name] = tensor(isNorm ? new Float32Array(n).fill(1) : fill(n, 0.04), p.value.shape);
  }
  return feeds;
}

async function partBlock(o) {
  const env = { batch: o.batch, seq: o.seq };
  const t0 = performance.now();
  const g = new Graph('steel_block_train');
  const { x, cos, sin } = blockInputs(g, o);
  // --stack N stacks N layers; --remat 1 checkpoints each (activations recomputed in the backward)
  let y = x;
  for (let l = 0; l < o.stack; l++) {
    const params = layerParams(g, `model.layers.${l}`, o);
    const layer = (hh) => [steelLayerWith(g, hh, cos, sin, params, o)];
    y = o.remat ? checkpoint([y], layer)[0] : layer(y)[0];
  }
  const loss = g.reduceMean(g.mul(y, y), [0, 1, 2]);
  g.output(loss, 'loss');
  const params = g.params.map((p) => p.value);
  grad(loss, [...params, x], { order: args.order === '1' }).forEach((gv, i) => {
    g.output(gv, i < params.length ? `grad.${params[i].name}` : 'grad.x');
  });
  const bytes = serialize(g);
  const buildMs = performance.now() - t0;
  const stats = graphStats(g, env);

  const fg = new Graph('steel_block_fwd');
  const fi = blockInputs(fg, o);
  let fy = fi.x;
  for (let l = 0; l < o.stack; l++) fy = steelLayer(fg, fy, fi.cos, fi.sin, `model.layers.${l}`, o);
  fg.output(fy, 'y');
  const fwdStats = graphStats(fg, env);

  // --arena 0: no CPU memory arena (its power-of-two growth hides real activation memory)
  const so = { intraOpThreads: o.threads, ...(args.arena === '0' ? { ort: { enableCpuMemArena: false } } : {}) };
  const prefix = join(tmpdir(), `graph-block-prof-${process.pid}`);
  const t = performance.now();
  const sess = await Session.create(
    bytes,
    args.profile ? { ...so, ort: { ...so.ort, enableProfiling: true, profileFilePrefix: prefix } } : so,
  );
  const sessionMs = performance.now() - t;
  const fsess = await Session.create(fg, so);
  const feeds = randomFeeds(g, o);
  // preallocated outputs, as the trainer does
  const into = {};
  for (const p of g.params)
    into[`grad.${p.value.name}`] = tensor(new Float32Array(feeds[p.value.name].size), p.value.shape);
  const fwdFeeds = { x: feeds.x, cos: feeds.cos, sin: feeds.sin };
  for (const p of fg.params) fwdFeeds[p.value.name] = feeds[p.value.name];
  const peakBeforeRun = peakRssBytes();
  await sess.run(feeds, { into }); // warmup
  const peakAfterFwdBwd = peakRssBytes();
  await fsess.run(fwdFeeds);
  // The machine may be shared: the MatMul peak is measured interleaved with the block runs. One probe sample is
  // --probe-reps (8) back-to-back 1024^3 MatMuls, right after each block run, so a sample lasts tens of ms (a
  // single 5 ms MatMul is at the mercy of one scheduler slice of the other jobs). The median fraction of peak is
  // the median over runs of (block GFLOP/s / the probe sample taken next to it); the best fraction is the best
  // block run over the best probe sample (both the least disturbed).
  const mm = await matmulProbe(o);
  const probeReps = Number(args['probe-reps'] ?? 8);
  const probeSample = async () => {
    let ms = 0;
    for (let i = 0; i < probeReps; i++) ms += await mm.run();
    return ms / probeReps;
  };
  const times = [];
  const ftimes = [];
  const mmTimes = [];
  let lossValue = 0;
  for (let r = 0; r < o.runs; r++) {
    const res = await sess.run(feeds, { into });
    times.push(res.ms);
    lossValue = Number(res.outputs.loss.data[0]);
    mmTimes.push(await probeSample());
    ftimes.push((await fsess.run(fwdFeeds)).ms);
  }
  // per run: achieved / peak = (flops / block ms) / (mm flops / probe ms)
  const pairFractions = times.map((t, i) => mmTimes[i] / t / (mm.flops / stats.matmulFlops));
  const med = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
  let profile;
  if (args.profile) {
    sess.ort.endProfiling();
    const file = readdirSync(tmpdir()).find((f) => f.startsWith(`graph-block-prof-${process.pid}`));
    const byOp = {};
    for (const ev of JSON.parse(readFileSync(join(tmpdir(), file), 'utf8'))) {
      if (ev.cat !== 'Node' || !ev.name.endsWith('_kernel_time')) continue;
      byOp[ev.args.op_name] = (byOp[ev.args.op_name] ?? 0) + ev.dur / 1000 / (o.runs + 1);
    }
    profile = Object.fromEntries(
      Object.entries(byOp)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, +v.toFixed(2)]),
    );
  }
  const ms = med(times);
  const fms = med(ftimes);
  const best = Math.min(...times);
  const mmMed = med(mmTimes);
  const mmBest = Math.min(...mmTimes);
  const gf = (flops, t) => +(flops / 1e6 / t).toFixed(1);
  return {
    build_ms: +buildMs.toFixed(1),
    model_bytes: bytes.byteLength,
    nodes: stats.nodes,
    session_create_ms: +sessionMs.toFixed(1),
    params: g.params.reduce((a, p) => a + p.value.shape.reduce((x, y) => x * y, 1), 0),
    fwd_bwd_ms_median: +ms.toFixed(1),
    fwd_bwd_ms_best: +best.toFixed(1),
    fwd_bwd_ms_all: times.map((v) => +v.toFixed(1)),
    fwd_bwd_matmul_gflop: +(stats.matmulFlops / 1e9).toFixed(2),
    fwd_bwd_gflops_median: gf(stats.matmulFlops, ms),
    fwd_bwd_gflops_best: gf(stats.matmulFlops, best),
    fwd_ms_median: +fms.toFixed(1),
    fwd_matmul_gflop: +(fwdStats.matmulFlops / 1e9).toFixed(2),
    fwd_gflops_median: gf(fwdStats.matmulFlops, fms),
    matmul_peak_1024: {
      gflops_median: gf(mm.flops, mmMed),
      gflops_best: gf(mm.flops, mmBest),
      samples: mmTimes.length,
      matmuls_per_sample: probeReps,
    },
    fraction_of_matmul_peak_median: +med(pairFractions).toFixed(3),
    fraction_of_matmul_peak_best: +(mmBest / best / (mm.flops / stats.matmulFlops)).toFixed(3),
    fraction_of_matmul_peak_per_run: pairFractions.map((f) => +f.toFixed(3)),
    loss: lossValue,
    peak_rss_before_run_mb: Math.round(peakBeforeRun / MB),
    peak_rss_fwd_bwd_mb: Math.round(peakAfterFwdBwd / MB),
    peak_rss_mb: Math.round(peakRssBytes() / MB),
    ...(profile ? { kernel_ms_per_run_by_op: profile } : {}),
  };
}

/** A 1024^3 fp32 MatMul session; run() returns ms of one run. */
async function matmulProbe(o) {
  const n = 1024;
  const g = new Graph('mm');
  const a = g.input('a', 'float32', [n, n]);
  const b = g.input('b', 'float32', [n, n]);
  g.output(g.matmul(a, b), 'c');
  const s = await Session.create(g, { intraOpThreads: o.threads });
  const feeds = {
    a: tensor(new Float32Array(n * n).fill(0.5), [n, n]),
    b: tensor(new Float32Array(n * n).fill(0.25), [n, n]),
  };
  const out = { c: tensor(new Float32Array(n * n), [n, n]) };
  for (let i = 0; i < 5; i++) await s.run(feeds, { into: out });
  return { flops: 2 * n ** 3, run: async () => (await s.run(feeds, { into: out })).ms };
}

async function partBuild(o) {
  const before = process.memoryUsage();
  const t0 = performance.now();
  const g = new Graph('steel_train');
  // --static 1: batch and seq fixed in the graph (as a training step has them)
  const [B, T] = args.static ? [o.batch, o.seq] : ['batch', 'seq'];
  const ids = g.input('input_ids', 'int64', [B, T]);
  const labels = g.input('labels', 'int64', [B, T]);
  const hd = o.width / o.heads;
  const cos = g.input('cos', 'float32', [T, hd]);
  const sin = g.input('sin', 'float32', [T, hd]);
  let h = g.gather(g.param('model.embed_tokens.weight', [o.vocab, o.width]), ids);
  for (let l = 0; l < o.layers; l++) h = steelLayer(g, h, cos, sin, `model.layers.${l}`, o);
  const f = g.reshape(rmsNorm(h, g.param('model.norm.weight', [o.width]), 1e-6), [-1, o.width]);
  const loss = lmHeadCrossEntropy(f, g.param('lm_head.weight', [o.vocab, o.width]), g.reshape(labels, [-1]), {
    chunks: o.chunks,
  });
  g.output(loss, 'loss');
  const params = g.params.map((p) => p.value);
  const tGraph = performance.now();
  grad(loss, params).forEach((gv, i) => {
    g.output(gv, `grad.${params[i].name}`);
  });
  const tGrad = performance.now();
  const bytes = serialize(g);
  const tSer = performance.now();
  if (args.save) writeFileSync(args.save, bytes);
  const stats = graphStats(g, { batch: o.batch, seq: o.seq });
  const t = performance.now();
  const sess = await Session.create(bytes, { intraOpThreads: o.threads, optimization: args.opt ?? 'all' });
  const sessionMs = performance.now() - t;
  await sess.release();
  return {
    layers: o.layers,
    param_tensors: params.length,
    params: g.params.reduce((a, p) => a + p.value.shape.reduce((x, y) => x * y, 1), 0),
    forward_build_ms: +(tGraph - t0).toFixed(1),
    grad_build_ms: +(tGrad - tGraph).toFixed(1),
    serialize_ms: +(tSer - tGrad).toFixed(1),
    total_build_ms: +(tSer - t0).toFixed(1),
    nodes: stats.nodes,
    model_bytes: bytes.byteLength,
    step_matmul_gflop_at_seq: +(stats.matmulFlops / 1e9).toFixed(1),
    heap_used_mb: Math.round((process.memoryUsage().heapUsed - before.heapUsed) / MB),
    ort_session_create_ms: +sessionMs.toFixed(1),
    peak_rss_mb: Math.round(peakRssBytes() / MB),
  };
}

const part = args.part;
if (part) {
  const fn = { block: partBlock, build: partBuild }[part];
  process.stdout.write(JSON.stringify(await fn(opt)));
} else {
  const self = fileURLToPath(import.meta.url);
  const run = (p) =>
    JSON.parse(
      execFileSync(process.execPath, [self, ...process.argv.slice(2), '--part', p], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      }),
    );
  const loadStart = loadavg().map((x) => +x.toFixed(2));
  const block = run('block');
  const build = run('build');
  const result = {
    bench: 'graph-block',
    config: opt,
    load_average: { start: loadStart, end: loadavg().map((x) => +x.toFixed(2)) },
    block,
    full_graph_build: build,
    node: process.version,
    date: new Date().toISOString(),
  };
  console.log(JSON.stringify(result, null, 2));
}
