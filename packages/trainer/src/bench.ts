// `steel bench train`: full training steps (forward + backward + AdamW) on random tokens, timed; plus the measured
// fp32 MatMul peak for MFU and, optionally, the time of the vocabulary part alone (LM head + cross-entropy, fwd+bwd).
import { Graph, grad, lmHeadCrossEntropy, peakRssBytes, Session, tensor } from '@steel/graph';
import type { ModelDefinition } from './model.js';
import { Trainer } from './trainer.js';

export interface BenchOptions {
  batch: number;
  seq: number;
  /** Timed optimizer steps (after `warmup` untimed ones). */
  steps: number;
  warmup?: number;
  accumulation?: number;
  threads?: number;
  lossChunks?: number;
  ep?: 'cpu' | 'cuda';
  /** Also time the vocabulary part alone (needs hidden size and vocab). */
  vocab?: { hidden: number; vocab: number };
  seed?: number;
  optimizerThreads?: number;
}

export interface BenchResult {
  tokens_per_s: number;
  step_ms: number;
  /** Per step: ORT forward+backward and the rest (accumulation, norm, AdamW). */
  ort_ms: number;
  optimizer_ms: number;
  mfu: number;
  /** Model FLOPs per step and the matmul peak (FLOP/s) MFU is measured against. */
  flops_per_step: number;
  matmul_peak_flops: number;
  peak_rss_mb: number;
  build_ms: number;
  session_ms: number;
  batch: number;
  seq: number;
  steps: number;
  threads: number | null;
  optimizer_threads: number;
  /** 'cpp' (@steel/kernels-native's addon) or 'js' (the fallback). */
  optimizer_kernels: 'cpp' | 'js';
  /** The vocabulary part alone (LM head + CE, fwd+bwd) per micro-batch, and its share of the ORT time. */
  vocab_ms?: number;
  vocab_share?: number;
  step_ms_all: number[];
}

/** fp32 MatMul 1024^3 in ORT on `threads` threads: best of `runs`, FLOP/s. */
export async function measureMatmulPeak(threads?: number, runs = 8): Promise<number> {
  const n = 1024;
  const g = new Graph('peak');
  const a = g.input('a', 'float32', [n, n]);
  const b = g.input('b', 'float32', [n, n]);
  g.output(g.matmul(a, b), 'c');
  const s = await Session.create(g, threads ? { intraOpThreads: threads } : {});
  const x = tensor(
    Float32Array.from({ length: n * n }, (_, i) => ((i % 13) - 6) / 7),
    [n, n],
  );
  const out = tensor(new Float32Array(n * n), [n, n]);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const { ms } = await s.run({ a: x, b: x }, { into: { c: out } });
    if (i > 0) best = Math.min(best, ms);
  }
  await s.release();
  return (2 * n ** 3) / (best / 1000);
}

/** LM head + chunked cross-entropy forward+backward for N = batch*seq rows: median ms of `runs`. */
export async function timeVocabPart(o: {
  rows: number;
  hidden: number;
  vocab: number;
  chunks: number;
  threads?: number;
  runs?: number;
}): Promise<number> {
  const g = new Graph('vocab_part');
  const h = g.param('h', [o.rows, o.hidden]);
  const w = g.param('w', [o.vocab, o.hidden]);
  const labels = g.input('labels', 'int64', [o.rows]);
  const loss = lmHeadCrossEntropy(h, w, labels, { chunks: o.chunks });
  const [gh, gw] = grad(loss, [h, w]);
  g.output(loss, 'loss');
  g.output(gh!, 'gh');
  g.output(gw!, 'gw');
  const s = await Session.create(g, o.threads ? { intraOpThreads: o.threads } : {});
  const hv = tensor(
    Float32Array.from({ length: o.rows * o.hidden }, (_, i) => Math.sin(i) * 0.1),
    [o.rows, o.hidden],
  );
  const wv = tensor(
    Float32Array.from({ length: o.vocab * o.hidden }, (_, i) => Math.cos(i) * 0.02),
    [o.vocab, o.hidden],
  );
  const lv = tensor(
    BigInt64Array.from({ length: o.rows }, (_, i) => BigInt((i * 7919) % o.vocab)),
    [o.rows],
  );
  const into = {
    gh: tensor(new Float32Array(o.rows * o.hidden), [o.rows, o.hidden]),
    gw: tensor(new Float32Array(o.vocab * o.hidden), [o.vocab, o.hidden]),
  };
  const times: number[] = [];
  const runs = o.runs ?? 3;
  for (let i = 0; i <= runs; i++) {
    const { ms } = await s.run({ h: hv, w: wv, labels: lv }, { into });
    if (i > 0) times.push(ms);
  }
  await s.release();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Times full training steps of `model` on random tokens (uniform ids below the vocabulary). */
export async function benchTrain(model: ModelDefinition, o: BenchOptions): Promise<BenchResult> {
  const acc = o.accumulation ?? 1;
  const vocab = model.params[0]!.shape[0]!; // embedding rows (both tinyLm and Steel list the embedding first)
  const params = model.init(o.seed ?? 3407);
  const trainer = await Trainer.create(model, params, {
    batch: o.batch,
    seq: o.seq,
    accumulation: acc,
    schedule: { kind: 'constant', lr: 1e-4 },
    ...(o.threads ? { threads: o.threads } : {}),
    ...(o.lossChunks ? { lossChunks: o.lossChunks } : {}),
    ...(o.ep ? { ep: o.ep } : {}),
    ...(o.optimizerThreads ? { optimizerThreads: o.optimizerThreads } : {}),
  });
  let state = (o.seed ?? 1) >>> 0;
  const rand = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
  const micro = () => Int32Array.from({ length: o.batch * (o.seq + 1) }, () => rand() % vocab);
  const warmup = o.warmup ?? 1;
  const times: number[] = [];
  let ort = 0;
  let opt = 0;
  for (let i = 0; i < warmup + o.steps; i++) {
    const r = await trainer.trainStep(Array.from({ length: acc }, micro));
    if (i >= warmup) {
      times.push(r.stepMs);
      ort += r.ortMs;
      opt += r.optimizerMs;
    }
  }
  const timings = trainer.step.timings;
  await trainer.release();
  const stepMs = times.reduce((a, b) => a + b, 0) / times.length;
  const tokensPerStep = o.batch * o.seq * acc;
  const flopsPerStep = model.flopsPerToken(o.seq) * tokensPerStep;
  const peak = await measureMatmulPeak(o.threads);
  const result: BenchResult = {
    tokens_per_s: (tokensPerStep * 1000) / stepMs,
    step_ms: stepMs,
    ort_ms: ort / times.length,
    optimizer_ms: opt / times.length,
    mfu: flopsPerStep / (stepMs / 1000) / peak,
    flops_per_step: flopsPerStep,
    matmul_peak_flops: peak,
    peak_rss_mb: peakRssBytes() / 2 ** 20,
    build_ms: timings.buildMs,
    session_ms: timings.sessionMs,
    batch: o.batch,
    seq: o.seq,
    steps: o.steps,
    threads: o.threads ?? null,
    optimizer_threads: trainer.kernels.threads,
    optimizer_kernels: trainer.kernels.implementation,
    step_ms_all: times,
  };
  if (o.vocab) {
    const vms = await timeVocabPart({
      rows: o.batch * o.seq,
      hidden: o.vocab.hidden,
      vocab: o.vocab.vocab,
      chunks: o.lossChunks ?? 8,
      ...(o.threads ? { threads: o.threads } : {}),
    });
    result.vocab_ms = vms;
    result.vocab_share = (vms * acc) / result.ort_ms;
  }
  return result;
}
