#!/usr/bin/env node
// Benchmark of @steel/steel-model inference on ONNX Runtime (CPU): prefill tokens/s and cached decode tokens/s for
// randomly initialised Steel models (steel-tiny, steel-small, and the steel-1b shape by default), session creation
// time and peak RSS per model (each model in its own child process), plus the build time of the 18-layer steel-1b
// graphs (inference forward; training forward + chunked LM-head loss + gradients of all 633 params; serialization).
// Prints one JSON object.
//
//   node tools/bench/steel-model-forward.mjs [--models steel-tiny,steel-small,steel-1b] [--prompt 128] [--decode 32]
//        [--threads 2] [--bake 0] [--spin 1] [--rounds 3] [--seq-build 512] [--train steel-small --train-batch 1 --train-seq 256]
//
// Each round is one prefill of --prompt tokens on a fresh cache, then --decode greedy one-token steps; tokens/s is
// given for the best round and the median round (the machine may be shared: best = least disturbed, median = typical).
//
// --bake 1 bakes the weights into the sessions as initializers (ORT may pre-pack them; more memory);
// --bake 0 (SteelModel's default) feeds them as inputs on every call (no second copy of the weights).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { grad, peakRssBytes, Session, serialize, tensor } from '@steel/graph';
import { buildForward, countParameters, initWeights, presetConfig, SteelModel } from '@steel/steel-model';

const argv = process.argv.slice(2);
const args = Object.fromEntries(argv.flatMap((a, i) => (a.startsWith('--') ? [[a.slice(2), argv[i + 1]]] : [])));
const MB = 2 ** 20;
const r1 = (x) => Number(x.toFixed(1));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function benchModel(name) {
  const prompt = Number(args.prompt ?? 128);
  const decode = Number(args.decode ?? 32);
  const threads = Number(args.threads ?? 2);
  const bake = (args.bake ?? '0') !== '0';
  const config = presetConfig(name);
  let t = performance.now();
  const weights = initWeights(config, 1);
  const initMs = performance.now() - t;
  // --spin 0: ORT's intra-op threads sleep instead of spinning between ops (helps on a loaded machine)
  const spin = (args.spin ?? '1') !== '0';
  const session = spin ? {} : { ort: { extra: { session: { intra_op: { allow_spinning: '0' } } } } };
  const model = new SteelModel(config, weights, null, { threads, bakeWeights: bake, session });
  const ids = Array.from({ length: prompt }, (_, i) => (i * 7919 + 13) % Math.min(config.vocab_size, 151646));
  // session creation happens on the first call: time it with a one-token call on a throwaway cache
  t = performance.now();
  await model.step([1], model.newCache());
  const sessionMs = performance.now() - t;
  const rssAfterSession = peakRssBytes();
  const prefillMs = [];
  const decodeMs = [];
  const rounds = Number(args.rounds ?? 3);
  for (let round = 0; round < rounds; round++) {
    const cache = model.newCache();
    t = performance.now();
    let logits = await model.step(ids, cache);
    prefillMs.push(performance.now() - t);
    let next = 0;
    t = performance.now();
    for (let i = 0; i < decode; i++) {
      let best = 0;
      for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
      next = best;
      logits = await model.step([next], cache);
    }
    decodeMs.push(performance.now() - t);
  }
  await model.release();
  const best = (a) => Math.min(...a);
  return {
    model: name,
    parameters: countParameters(config).total,
    layers: config.num_hidden_layers,
    hidden: config.hidden_size,
    vocab: config.vocab_size,
    bake_weights: bake,
    threads,
    spinning: spin,
    init_weights_ms: r1(initMs),
    session_create_ms: r1(sessionMs),
    prompt_tokens: prompt,
    prefill_ms: prefillMs.map(r1),
    prefill_tokens_per_s: r1((prompt / best(prefillMs)) * 1000),
    prefill_tokens_per_s_median: r1((prompt / median(prefillMs)) * 1000),
    decode_tokens: decode,
    decode_ms: decodeMs.map(r1),
    decode_tokens_per_s: r1((decode / best(decodeMs)) * 1000),
    decode_tokens_per_s_median: r1((decode / median(decodeMs)) * 1000),
    decode_ms_per_token: r1(best(decodeMs) / decode),
    peak_rss_mb_after_session: Math.round(rssAfterSession / MB),
    peak_rss_mb: Math.round(peakRssBytes() / MB),
  };
}

function benchBuild() {
  const config = presetConfig('steel-1b');
  const seq = Number(args['seq-build'] ?? 512);
  let t = performance.now();
  const inf = buildForward(config, { batch: 1, kvCache: true, logits: 'last' });
  const inferenceBuildMs = performance.now() - t;
  const inferenceBytes = serialize(inf.graph).byteLength;
  t = performance.now();
  const fwd = buildForward(config, { batch: 1, seq, withLoss: true });
  const forwardMs = performance.now() - t;
  t = performance.now();
  const names = [...fwd.params.keys()];
  grad(fwd.loss, [...fwd.params.values()]).forEach((g, i) => {
    fwd.graph.output(g, `grad.${names[i]}`);
  });
  const gradMs = performance.now() - t;
  t = performance.now();
  const bytes = serialize(fwd.graph).byteLength;
  const serializeMs = performance.now() - t;
  return {
    config: 'steel-1b',
    layers: config.num_hidden_layers,
    step_graph_build_ms: r1(inferenceBuildMs),
    step_graph_bytes: inferenceBytes,
    train_seq: seq,
    train_forward_build_ms: r1(forwardMs),
    train_grad_build_ms: r1(gradMs),
    train_serialize_ms: r1(serializeMs),
    train_total_ms: r1(forwardMs + gradMs + serializeMs),
    train_graph_bytes: bytes,
    train_nodes: fwd.graph.nodes.length,
    params: names.length,
  };
}

/** One forward+backward of the training graph (loss + all gradients) at fixed batch/seq: what a trainer step costs
 * before the optimizer. Weights fed as inputs, gradients written into preallocated outputs. */
async function benchTrain(name) {
  const config = presetConfig(name);
  const B = Number(args['train-batch'] ?? 1);
  const T = Number(args['train-seq'] ?? 256);
  const threads = Number(args.threads ?? 2);
  const weights = initWeights(config, 1);
  let t = performance.now();
  const fwd = buildForward(config, { batch: B, seq: T, withLoss: true });
  const names = [...fwd.params.keys()];
  grad(fwd.loss, [...fwd.params.values()]).forEach((g, i) => {
    fwd.graph.output(g, `grad.${names[i]}`);
  });
  const buildMs = performance.now() - t;
  t = performance.now();
  const session = await Session.create(fwd.graph, { intraOpThreads: threads });
  const sessionMs = performance.now() - t;
  const ids = BigInt64Array.from({ length: B * T }, (_, i) => BigInt(((i * 7919 + 13) % 151646) % config.vocab_size));
  const targets = BigInt64Array.from({ length: B * T }, (_, i) => ids[(i + 1) % (B * T)]);
  const feeds = { input_ids: tensor(ids, [B, T]), targets: tensor(targets, [B, T]) };
  const into = {};
  for (const [n, v] of fwd.params) {
    feeds[n] = tensor(weights.get(n), v.shape);
    into[`grad.${n}`] = tensor(new Float32Array(weights.get(n).length), v.shape);
  }
  const times = [];
  let loss = 0;
  for (let r = 0; r < 3; r++) {
    const res = await session.run(feeds, { into });
    times.push(res.ms);
    loss = Number(res.outputs.loss.data[0]);
  }
  await session.release();
  const best = Math.min(...times);
  return {
    model: name,
    batch: B,
    seq: T,
    graph_build_ms: r1(buildMs),
    session_create_ms: r1(sessionMs),
    fwd_bwd_ms: times.map(r1),
    tokens_per_s: r1(((B * T) / best) * 1000),
    loss: Number(loss.toFixed(4)),
    peak_rss_mb: Math.round(peakRssBytes() / MB),
  };
}

if (args.part === 'train') {
  process.stdout.write(JSON.stringify(await benchTrain(args.model)));
} else if (args.part === 'model') {
  process.stdout.write(JSON.stringify(await benchModel(args.model)));
} else if (args.part === 'build') {
  process.stdout.write(JSON.stringify(benchBuild()));
} else {
  const self = fileURLToPath(import.meta.url);
  const own = ['--part', '--model', '--models', '--train']; // decided here, not passed to the children
  const pass = argv.filter((a, i) => !own.includes(a) && !own.includes(argv[i - 1]));
  const run = (extra) =>
    JSON.parse(
      execFileSync(process.execPath, [self, ...pass, ...extra], {
        maxBuffer: 1 << 26,
        stdio: ['ignore', 'pipe', 'inherit'],
      }).toString(),
    );
  const models = (args.models ?? 'steel-tiny,steel-small,steel-1b').split(',');
  const out = {
    machine: { cpus: (await import('node:os')).cpus().length, load_avg_1m: (await import('node:os')).loadavg()[0] },
    models: [],
    build: null,
  };
  for (const m of models) out.models.push(run(['--part', 'model', '--model', m]));
  out.build = run(['--part', 'build']);
  // --train steel-small: one forward+backward of the training graph (see benchTrain)
  if (args.train) out.train = run(['--part', 'train', '--model', args.train]);
  out.machine.load_avg_1m_end = (await import('node:os')).loadavg()[0];
  process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
}
