// The optimizer kernels of @steel/kernels-native on trainer-sized buffers: AdamW and the gradient sum of squares, C++
// on 1 and 2 threads against the JS reference, and whether all give the same bits. Prints one JSON object.
//   node tools/bench/kernels-optimizer.mjs [--millions 80] [--runs 3]
import { createOptimizerKernels } from '@steel/kernels-native';

const args = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) if (argv[i].startsWith('--')) args[argv[i].slice(2)] = argv[i + 1];
const total = Math.round(Number(args.millions ?? 80) * 1e6);
const runs = Number(args.runs ?? 3);
// two vocabulary-sized matrices and a tail of layer-sized ones, as the issue-7 config
const sizes = [];
for (let left = total; left > 0; ) {
  const n = Math.min(left, sizes.length < 2 ? Math.floor(total * 0.45) : 262_144);
  sizes.push(n);
  left -= n;
}
const values = (n, seed, f) => {
  const a = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    a[i] = f((x / 2 ** 32 - 0.5) * 0.04);
  }
  return a;
};
const tensors = () =>
  sizes.map((n, i) => ({
    p: values(n, i + 1, (x) => x),
    g: values(n, i + 101, (x) => x * 10),
    m: values(n, i + 201, (x) => x / 4),
    v: values(n, i + 301, (x) => x * x),
    decay: 1 - 3e-4 * 0.05,
  }));
const constants = (t) => ({
  b1: 0.9,
  b2: 0.95,
  invBc2Sqrt: 1 / Math.sqrt(1 - 0.95 ** t),
  eps: 1e-8,
  stepSize: 3e-4 / (1 - 0.9 ** t),
  gradScale: 0.5,
});
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const variants = [
  ['js', createOptimizerKernels({ implementation: 'js' })],
  ...(createOptimizerKernels().implementation === 'cpp'
    ? [
        ['cpp_1_thread', createOptimizerKernels({ implementation: 'cpp', threads: 1 })],
        ['cpp_2_threads', createOptimizerKernels({ implementation: 'cpp', threads: 2 })],
      ]
    : []),
];
const out = { params: total, tensors: sizes.length, runs, results: {} };
let reference;
for (const [name, k] of variants) {
  const ts = tensors();
  const adamw = [];
  const norm = [];
  let sum = 0;
  for (let r = 1; r <= runs; r++) {
    let t0 = performance.now();
    sum = k.sumOfSquares(ts.map((t) => t.g));
    norm.push(performance.now() - t0);
    t0 = performance.now();
    k.adamw(ts, constants(r));
    adamw.push(performance.now() - t0);
  }
  const bytes = Buffer.concat(ts.flatMap((t) => [t.p, t.m, t.v]).map((a) => Buffer.from(a.buffer)));
  reference ??= { sum, bytes };
  out.results[name] = {
    adamw_ms: median(adamw),
    adamw_ns_per_param: (median(adamw) * 1e6) / total,
    norm_ms: median(norm),
    same_bits_as_js: sum === reference.sum && bytes.equals(reference.bytes),
  };
}
console.log(JSON.stringify(out));
