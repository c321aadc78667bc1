#!/usr/bin/env node
// Per-op throughput of @steel/data-juicer-ts (1 worker) and the Steel text recipe without perplexity and dedup,
// with 1 and 2 worker threads, against the I/O floor (plain read + JSON parse + stringify + write of the same file).
// Usage: node tools/bench/dj-ops.mjs <file.jsonl> [more.jsonl ...] [--repeat N] [--text-key text]
// Prints one JSON object to stdout. Build first: npx nx run @steel/data-juicer-ts:build
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { BUILTIN_OPS, createOp, Deduplicator, Filter, Mapper, Pipeline } from '@steel/data-juicer-ts';

// The Steel text recipe's mappers and filters (perplexity needs a model; dedup is benchmarked on its own).
const RECIPE = [
  ['chinese_convert_mapper', { mode: 't2s' }],
  ['clean_email_mapper', {}],
  ['clean_html_mapper', {}],
  ['clean_ip_mapper', {}],
  ['clean_links_mapper', {}],
  ['clean_copyright_mapper', {}],
  ['expand_macro_mapper', {}],
  ['fix_unicode_mapper', {}],
  ['punctuation_normalization_mapper', {}],
  ['remove_repeat_sentences_mapper', {}],
  ['remove_specific_chars_mapper', {}],
  ['whitespace_normalization_mapper', {}],
  ['alphanumeric_filter', { min_ratio: 0.0, max_ratio: 0.9 }],
  ['average_line_length_filter', { min_len: 10, max_len: 150 }],
  ['character_repetition_filter', { max_ratio: 0.4 }],
  ['maximum_line_length_filter', { max_len: 1000 }],
  ['special_characters_filter', { max_ratio: 0.25 }],
  ['text_length_filter', { min_len: 10, max_len: 100000 }],
  ['words_num_filter', { lang: 'zh', min_num: 10, max_num: 10000 }],
  ['word_repetition_filter', { lang: 'zh', max_ratio: 0.5 }],
];

const recipeOps = () => RECIPE.map(([n, p]) => createOp(n, p));

function runRecipe(samples) {
  const p = new Pipeline(recipeOps());
  const out = p.runSamples(samples);
  return { kept: out.length, errors: p.reports.reduce((a, r) => a + r.errors, 0), reports: p.reports };
}

function loadSamples(files, repeat) {
  const samples = [];
  for (const f of files)
    for (const line of readFileSync(f, 'utf8').split('\n')) if (line.trim()) samples.push(JSON.parse(line));
  const original = samples.slice();
  for (let r = 1; r < repeat; r++) for (const s of original) samples.push({ ...s });
  return samples;
}

if (!isMainThread) {
  // Each worker reads the input itself and processes its contiguous slice, as a sharded run would.
  const { files, repeat, shard, shards } = workerData;
  const all = loadSamples(files, repeat);
  const per = Math.ceil(all.length / shards);
  const t0 = performance.now();
  const r = runRecipe(all.slice(shard * per, (shard + 1) * per));
  parentPort.postMessage({ kept: r.kept, ms: performance.now() - t0 });
} else {
  const args = process.argv.slice(2);
  const files = [];
  let repeat = 1;
  let textKey = 'text';
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--repeat') repeat = Number(args[++i]);
    else if (args[i] === '--text-key') textKey = args[++i];
    else files.push(args[i]);
  }
  if (files.length === 0) {
    process.stderr.write('usage: node tools/bench/dj-ops.mjs <file.jsonl> [...] [--repeat N] [--text-key text]\n');
    process.exit(2);
  }
  const mb = (s) => Buffer.byteLength(s, 'utf8') / 1e6;
  // I/O floor: read, parse, stringify, write.
  const tmp = join(tmpdir(), `dj-bench-${process.pid}.jsonl`);
  let t0 = performance.now();
  const samples = [];
  let inputMB = 0;
  for (const f of files) {
    const raw = readFileSync(f, 'utf8');
    inputMB += mb(raw);
    for (const line of raw.split('\n')) if (line.trim()) samples.push(JSON.parse(line));
  }
  writeFileSync(tmp, `${samples.map((s) => JSON.stringify(s)).join('\n')}\n`);
  const ioMs = performance.now() - t0;
  rmSync(tmp, { force: true });
  const original = samples.slice();
  for (let r = 1; r < repeat; r++) for (const s of original) samples.push({ ...s });
  const texts = samples.map((s) => s[textKey]).filter((t) => typeof t === 'string');
  const textMB = texts.reduce((a, t) => a + mb(t), 0);

  const perOp = {};
  for (const def of BUILTIN_OPS) {
    if (def.name === 'perplexity_filter') continue;
    const params = Object.fromEntries(RECIPE.filter(([n]) => n === def.name).flatMap(([, p]) => Object.entries(p)));
    const op = createOp(def.name, params);
    t0 = performance.now();
    if (op instanceof Mapper) for (const t of texts) op.processText(t);
    else if (op instanceof Filter) for (const t of texts) op.computeStat(t);
    else if (op instanceof Deduplicator) {
      const res = op.process(texts.map((text) => ({ text })));
      perOp[`${def.name}:kept`] = res.kept.length;
    }
    const s = (performance.now() - t0) / 1000;
    perOp[def.name] = { seconds: +s.toFixed(3), mb_per_s: +(textMB / s).toFixed(2) };
  }

  t0 = performance.now();
  const one = runRecipe(samples);
  const oneS = (performance.now() - t0) / 1000;

  const here = fileURLToPath(import.meta.url);
  const inWorkers = async (n) => {
    const t = performance.now();
    const parts = await Promise.all(
      Array.from(
        { length: n },
        (_, shard) =>
          new Promise((resolve, reject) => {
            const w = new Worker(here, { workerData: { files, repeat, shard, shards: n } });
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
    return { wall: (performance.now() - t) / 1000, parts };
  };
  // The library's own parallel path: Pipeline({ workers: n }).runBatches over batches of 500 samples.
  const viaPipeline = {};
  for (const n of [1, 2]) {
    const p = new Pipeline(recipeOps(), { workers: n });
    async function* src() {
      for (let i = 0; i < samples.length; i += 500) yield samples.slice(i, i + 500);
    }
    const t = performance.now();
    let kept = 0;
    for await (const b of p.runBatches(src())) kept += b.length;
    const sec = (performance.now() - t) / 1000;
    viaPipeline[`workers_${n}`] = { seconds: +sec.toFixed(3), mb_per_s: +(textMB / sec).toFixed(2), kept };
  }
  viaPipeline.speedup = +(viaPipeline.workers_1.seconds / viaPipeline.workers_2.seconds).toFixed(2);
  const w1 = await inWorkers(1);
  const w2 = await inWorkers(2);
  const twoS = w2.wall;
  const result = {
    machine: { cpus: cpus().length, loadavg_1m_at_end: +loadavg()[0].toFixed(2) },
    files,
    docs: samples.length,
    text_mb: +textMB.toFixed(3),
    input_file_mb: +(inputMB * repeat).toFixed(3),
    io_floor: { seconds: +(ioMs / 1000).toFixed(3), mb_per_s: +(inputMB / (ioMs / 1000)).toFixed(2) },
    per_op_1_worker: perOp,
    recipe_no_ppl_no_dedup: {
      workers_1: {
        seconds: +oneS.toFixed(3),
        mb_per_s: +(textMB / oneS).toFixed(2),
        kept: one.kept,
        errors: one.errors,
      },
      // wall time from spawning the worker threads to their last result (each reads and parses the input itself)
      worker_threads_1: { seconds: +w1.wall.toFixed(3), process_seconds: +(w1.parts[0].ms / 1000).toFixed(3) },
      worker_threads_2: {
        seconds: +twoS.toFixed(3),
        process_seconds: w2.parts.map((p) => +(p.ms / 1000).toFixed(3)),
        mb_per_s: +(textMB / twoS).toFixed(2),
        kept: w2.parts.reduce((a, p) => a + p.kept, 0),
        speedup_vs_1_thread: +(w1.wall / twoS).toFixed(2),
      },
      pipeline_workers: viaPipeline,
      ratio_to_io_floor: +(oneS / (ioMs / 1000) / repeat).toFixed(2),
      kept_per_op: Object.fromEntries(one.reports.map((r) => [r.name, r.out])),
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
}
