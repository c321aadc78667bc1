#!/usr/bin/env node
// Throughput of @steel/tokenizer against the raw HF `tokenizers` binding, in the same run, on real documents.
// Measured (MB/s of UTF-8 input text; a fresh tokenizer per sample so BPE caches start empty):
//   raw_encodeBatch       tokenizers.Tokenizer.fromFile(...).encodeBatch(texts) + getIds()   (the baseline)
//   native_encodeBatch    QwenTokenizer, engine 'native' (the same HF binding behind this package's API)
//   fast_encodeBatch      QwenTokenizer, engine 'fast' (@steel/kernels-native's C++ BPE)
//   native_pack           readDataset -> packTexts -> LITPKDS files + sha256 + fsync, engine 'native'
//   fast_pack             the same with engine 'fast': what `steel tokenize` does after loading the tokenizer
//   fast_cli / native_cli the whole `steel tokenize` process (Node start, tokenizer load, read, encode, write),
//                         wall time of the child process
//   js_engine             engine 'js' (@xenova/transformers), single thread (--skip-js leaves it out)
// each at 1 and 2 threads (RAYON_NUM_THREADS for HF, `threads` for fast; child processes, since rayon reads the
// variable once). Rounds interleave every configuration, so a machine busy with other work slows them alike; every
// sample records the 1-minute load average (what `uptime` prints) when it started. Reported: median and best.
// Usage: node tools/bench/tokenizer-throughput.mjs <file.jsonl|dir> ... [--text-key text] [--runs 5] [--skip-js]
//        [--skip-cli]
// Build first (npm install does): npx nx run @steel/cli:build. Prints one JSON object on stdout.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { listDatasetFiles, readDataset } from '@steel/dataset';
import { nativeKernelsStatus } from '@steel/kernels-native';
import { bundledTokenizerPath, loadTokenizer, packTexts } from '@steel/tokenizer';

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const textKey = opt('--text-key', 'text');
const runs = Number(opt('--runs', '5'));
const valued = new Set(['--text-key', '--runs', '--child', '--threads']);
const inputs = args.filter((a, i) => !a.startsWith('--') && !valued.has(args[i - 1]));
const self = fileURLToPath(import.meta.url);
const steelBin = join(dirname(self), '..', 'cli', 'bin', 'steel.js');
const load1 = () => Number(loadavg()[0].toFixed(2));

async function readTexts(files) {
  const texts = [];
  for await (const b of readDataset(files, { fields: [textKey], requiredFields: [textKey] })) {
    const col = b.getChild(textKey);
    for (let i = 0; i < b.numRows; i++) texts.push(String(col.get(i)));
  }
  return texts;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One sample of one configuration, in this (child) process. */
async function child(mode, threads, files) {
  const texts = await readTexts(files);
  let seconds;
  let tokens = 0;
  let kernel = null;
  if (mode === 'raw') {
    const { Tokenizer } = createRequire(import.meta.resolve('@steel/tokenizer'))('tokenizers');
    const tok = Tokenizer.fromFile(bundledTokenizerPath());
    const t0 = performance.now();
    const enc = await tok.encodeBatch(texts);
    for (const e of enc) tokens += e.getIds().length;
    seconds = (performance.now() - t0) / 1000;
  } else if (mode === 'native' || mode === 'fast' || mode === 'js') {
    const tok = await loadTokenizer({ engine: mode, threads });
    kernel = tok.kernel;
    await tok.encode('warm up: builds the engine instance'); // instance construction is load time, not encode time
    const t0 = performance.now();
    const ids = await tok.encodeBatch(texts);
    seconds = (performance.now() - t0) / 1000;
    tokens = ids.reduce((s, x) => s + x.length, 0);
  } else if (mode === 'native_pack' || mode === 'fast_pack') {
    const tok = await loadTokenizer({ engine: mode === 'fast_pack' ? 'fast' : 'native', threads });
    kernel = tok.kernel;
    await tok.encode('warm up');
    const out = mkdtempSync(join(tmpdir(), 'steel-tok-bench-'));
    async function* batches() {
      for await (const b of readDataset(files, { fields: [textKey], requiredFields: [textKey] })) {
        const col = b.getChild(textKey);
        const arr = [];
        for (let i = 0; i < b.numRows; i++) arr.push(String(col.get(i)));
        yield arr;
      }
    }
    const t0 = performance.now();
    const { manifest } = await packTexts(tok, batches(), { outDir: out, sources: files });
    seconds = (performance.now() - t0) / 1000;
    tokens = manifest.tokens - manifest.documents; // without the separators, comparable with the others
    rmSync(out, { recursive: true, force: true });
  } else throw new Error(`unknown mode ${mode}`);
  return { seconds, tokens, kernel };
}

if (args.includes('--child')) {
  const files = await listDatasetFiles(inputs);
  const res = await child(opt('--child'), Number(opt('--threads', '1')), files);
  process.stdout.write(JSON.stringify(res));
  process.exit(0);
}

if (inputs.length === 0) {
  process.stderr.write(
    'usage: tokenizer-throughput.mjs <file.jsonl|dir> ... [--text-key text] [--runs 5] [--skip-js] [--skip-cli]\n',
  );
  process.exit(2);
}
const files = await listDatasetFiles(inputs);
const texts = await readTexts(files);
const bytes = texts.reduce((s, t) => s + Buffer.byteLength(t), 0);
const megabytes = bytes / 1e6;

function run(mode, threads) {
  const load = load1();
  const env = { ...process.env, RAYON_NUM_THREADS: String(threads) };
  if (mode === 'fast_cli' || mode === 'native_cli') {
    // The whole command as a user runs it; its own summary gives documents and tokens.
    const out = mkdtempSync(join(tmpdir(), 'steel-tok-bench-cli-'));
    const engine = mode === 'fast_cli' ? 'fast' : 'native';
    const t0 = performance.now();
    const stdout = execFileSync(
      process.execPath,
      [
        steelBin,
        'tokenize',
        '--input',
        ...inputs.slice(0, 1),
        '--out',
        out,
        '--text-key',
        textKey,
        '--engine',
        engine,
      ].concat(['--threads', String(threads), '--json', '--quiet', '--overwrite']),
      { env, maxBuffer: 1 << 20 },
    );
    const seconds = (performance.now() - t0) / 1000;
    rmSync(out, { recursive: true, force: true });
    const summary = JSON.parse(stdout.toString());
    return { mbPerSecond: summary.bytes / 1e6 / seconds, tokens: summary.tokens - summary.documents, load };
  }
  const stdout = execFileSync(
    process.execPath,
    [self, ...inputs, '--text-key', textKey, '--child', mode, '--threads', String(threads)],
    { env, maxBuffer: 1 << 20 },
  );
  const res = JSON.parse(stdout.toString());
  return { mbPerSecond: megabytes / res.seconds, tokens: res.tokens, kernel: res.kernel, load };
}

const modes = [
  'raw',
  'native',
  'fast',
  'native_pack',
  'fast_pack',
  ...(args.includes('--skip-cli') || inputs.length > 1 ? [] : ['native_cli', 'fast_cli']),
];
const configs = modes.flatMap((m) => [
  [m, 1],
  [m, 2],
]);
if (!args.includes('--skip-js')) configs.push(['js', 1]);
const samples = {};
const rounds = [];
for (let round = 0; round < runs; round++) {
  const started = load1();
  for (const [mode, threads] of configs) {
    process.stderr.write(`round ${round + 1}/${runs}: ${mode} with ${threads} thread(s)...\n`);
    const res = run(mode, threads);
    const key = `threads${threads}`;
    samples[mode] ??= {};
    samples[mode][key] ??= { rates: [], loads: [], tokens: res.tokens, kernel: res.kernel ?? null };
    samples[mode][key].rates.push(Number(res.mbPerSecond.toFixed(3)));
    samples[mode][key].loads.push(res.load);
  }
  rounds.push({ round: round + 1, loadAtStart: started, loadAtEnd: load1() });
}

const names = {
  raw: 'raw_encodeBatch',
  native: 'native_encodeBatch',
  fast: 'fast_encodeBatch',
  native_pack: 'native_pack',
  fast_pack: 'fast_pack',
  native_cli: 'native_cli',
  fast_cli: 'fast_cli',
  js: 'js_engine',
};
const table = (pick) =>
  Object.fromEntries(
    Object.entries(samples).map(([mode, byThreads]) => [
      names[mode],
      Object.fromEntries(Object.entries(byThreads).map(([k, s]) => [k, pick(s.rates)])),
    ]),
  );
const medians = table(median);
const bests = table((r) => Math.max(...r));
const ratio = (a, b) => (a && b ? Number((a / b).toFixed(2)) : null);
const speedup = {};
for (const t of ['threads1', 'threads2']) {
  speedup[t] = {
    fast_encodeBatch_vs_raw: { median: ratio(medians.fast_encodeBatch[t], medians.raw_encodeBatch[t]) },
    fast_pack_vs_raw_encodeBatch: { median: ratio(medians.fast_pack[t], medians.raw_encodeBatch[t]) },
  };
  speedup[t].fast_encodeBatch_vs_raw.best = ratio(bests.fast_encodeBatch[t], bests.raw_encodeBatch[t]);
  speedup[t].fast_pack_vs_raw_encodeBatch.best = ratio(bests.fast_pack[t], bests.raw_encodeBatch[t]);
}
const tokenCounts = Object.fromEntries(
  Object.entries(samples).flatMap(([mode, byThreads]) => Object.values(byThreads).map((s) => [names[mode], s.tokens])),
);
process.stdout.write(
  `${JSON.stringify({
    files,
    documents: texts.length,
    megabytes: Number(megabytes.toFixed(3)),
    runs,
    cpus: (await import('node:os')).cpus().length,
    kernel: nativeKernelsStatus(),
    loadavg: loadavg().map((x) => Number(x.toFixed(2))),
    rounds,
    mbPerSecond: medians,
    bestMbPerSecond: bests,
    speedup,
    tokensWithoutSeparators: tokenCounts,
    samples: Object.fromEntries(Object.entries(samples).map(([m, v]) => [names[m], v])),
  })}\n`,
);
