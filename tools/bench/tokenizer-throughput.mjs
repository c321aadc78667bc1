#!/usr/bin/env node
// Throughput of @steel/tokenizer against the raw HF `tokenizers` binding, in the same run, on real documents.
// Measured (MB/s of UTF-8 input text, median of --runs, a fresh tokenizer per run so BPE caches start empty):
//   raw_encodeBatch      tokenizers.Tokenizer.fromFile(...).encodeBatch(texts) + getIds()  (the baseline)
//   steel_encodeBatch    QwenTokenizer (native engine).encodeBatch(texts)
//   steel_pack           readDataset -> packTexts -> LITPKDS files: what `steel tokenize` does after loading
//   js_engine            QwenTokenizer (js engine, @xenova/transformers), single thread
// each native row with RAYON_NUM_THREADS=1 and 2 (child processes: rayon reads it once at start).
// Usage: node tools/bench/tokenizer-throughput.mjs <file.jsonl|dir> ... [--text-key text] [--runs 3] [--skip-js]
// Build first: npx nx run @steel/tokenizer:build. Prints one JSON object on stdout.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { listDatasetFiles, readDataset } from '@steel/dataset';
import { bundledTokenizerPath, loadTokenizer, packTexts } from '@steel/tokenizer';

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const textKey = opt('--text-key', 'text');
const runs = Number(opt('--runs', '3'));
const valued = new Set(['--text-key', '--runs', '--child']);
const inputs = args.filter((a, i) => !a.startsWith('--') && !valued.has(args[i - 1]));

async function readTexts(files) {
  const texts = [];
  for await (const b of readDataset(files, { fields: [textKey], requiredFields: [textKey] })) {
    const col = b.getChild(textKey);
    for (let i = 0; i < b.numRows; i++) texts.push(String(col.get(i)));
  }
  return texts;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function child(mode, files) {
  const texts = await readTexts(files);
  const mb = texts.reduce((s, t) => s + Buffer.byteLength(t), 0) / 1e6;
  const rates = [];
  let tokens = 0;
  for (let r = 0; r < runs; r++) {
    let seconds;
    if (mode === 'raw') {
      const { Tokenizer } = createRequire(import.meta.resolve('@steel/tokenizer'))('tokenizers');
      const tok = Tokenizer.fromFile(bundledTokenizerPath());
      const t0 = performance.now();
      const enc = await tok.encodeBatch(texts);
      tokens = 0;
      for (const e of enc) tokens += e.getIds().length;
      seconds = (performance.now() - t0) / 1000;
    } else if (mode === 'steel' || mode === 'js') {
      const tok = await loadTokenizer({ engine: mode === 'js' ? 'js' : 'native' });
      await tok.encode('warm up: builds the engine instance'); // instance construction is load time, not encode time
      const t0 = performance.now();
      const ids = await tok.encodeBatch(texts);
      seconds = (performance.now() - t0) / 1000;
      tokens = ids.reduce((s, x) => s + x.length, 0);
    } else if (mode === 'pack') {
      const tok = await loadTokenizer();
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
      tokens = manifest.tokens;
      rmSync(out, { recursive: true, force: true });
    } else throw new Error(`unknown mode ${mode}`);
    rates.push(mb / seconds);
  }
  return {
    mbPerSecond: Number(median(rates).toFixed(3)),
    best: Number(Math.max(...rates).toFixed(3)),
    runs: rates.map((x) => Number(x.toFixed(3))),
    tokens,
  };
}

if (args.includes('--child')) {
  const files = await listDatasetFiles(inputs);
  process.stdout.write(JSON.stringify(await child(opt('--child'), files)));
  process.exit(0);
}

if (inputs.length === 0) {
  process.stderr.write(
    'usage: tokenizer-throughput.mjs <file.jsonl|dir> ... [--text-key text] [--runs 3] [--skip-js]\n',
  );
  process.exit(2);
}
const files = await listDatasetFiles(inputs);
const texts = await readTexts(files);
const bytes = texts.reduce((s, t) => s + Buffer.byteLength(t), 0);
const self = fileURLToPath(import.meta.url);
function run(mode, threads) {
  process.stderr.write(`${mode} with ${threads} thread(s)...\n`);
  const out = execFileSync(process.execPath, [self, ...inputs, '--text-key', textKey, '--runs', '1', '--child', mode], {
    env: { ...process.env, RAYON_NUM_THREADS: String(threads) },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.toString());
}
// Rounds interleave every configuration, so a busy machine slows them alike rather than whichever ran last.
const configs = [
  ['raw', 1],
  ['raw', 2],
  ['steel', 1],
  ['steel', 2],
  ['pack', 1],
  ['pack', 2],
  ...(args.includes('--skip-js') ? [] : [['js', 1]]),
];
const samples = {};
for (let round = 0; round < runs; round++) {
  for (const [mode, threads] of configs) {
    const res = run(mode, threads);
    const key = `threads${threads}`;
    samples[mode] ??= {};
    samples[mode][key] ??= { rates: [], tokens: res.tokens };
    samples[mode][key].rates.push(res.mbPerSecond);
  }
}
const results = {};
for (const [mode, byThreads] of Object.entries(samples)) {
  results[mode] = {};
  for (const [key, { rates, tokens }] of Object.entries(byThreads)) {
    results[mode][key] = { mbPerSecond: median(rates), best: Math.max(...rates), runs: rates, tokens };
  }
}
const r = (m, t) => results[m]?.[t]?.mbPerSecond;
const best = (m, t) => results[m]?.[t]?.best;
process.stdout.write(
  `${JSON.stringify({
    files,
    documents: texts.length,
    megabytes: Number((bytes / 1e6).toFixed(3)),
    runs,
    cpus: (await import('node:os')).cpus().length,
    loadavg: (await import('node:os')).loadavg().map((x) => Number(x.toFixed(2))),
    mbPerSecond: {
      raw_encodeBatch: { threads1: r('raw', 'threads1'), threads2: r('raw', 'threads2') },
      steel_encodeBatch: { threads1: r('steel', 'threads1'), threads2: r('steel', 'threads2') },
      steel_pack: { threads1: r('pack', 'threads1'), threads2: r('pack', 'threads2') },
      js_engine: { threads1: r('js', 'threads1') },
    },
    bestMbPerSecond: {
      raw_encodeBatch: { threads1: best('raw', 'threads1'), threads2: best('raw', 'threads2') },
      steel_encodeBatch: { threads1: best('steel', 'threads1'), threads2: best('steel', 'threads2') },
      steel_pack: { threads1: best('pack', 'threads1'), threads2: best('pack', 'threads2') },
      js_engine: { threads1: best('js', 'threads1') },
    },
    tokens: results.raw.threads1.tokens,
    details: results,
  })}\n`,
);
