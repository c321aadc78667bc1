#!/usr/bin/env node
// End-to-end `steel-dj process` throughput with 1 vs 2 worker threads (recipe `np`): the Steel text recipe without
// perplexity and dedup, read → ops → write, through runRecipe (the library call behind the CLI).
//
// Every run is a fresh Node process (as a CLI run is: module loading and JIT warm-up count for both settings; a
// warmed-up parent would favour np 1, whose only thread is the warmed one). Runs alternate (1, 2, 1, 2, ...) so a
// change in machine load hits both. Per run: the runRecipe wall time, the process CPU time (all threads), the main
// thread's own CPU time (from /proc/thread-self/stat: what the workers do not do), the 1-minute load average before
// the run, and a hash of the export + stats files (np 1 and np 2 must write the same bytes; the bench fails if not).
// The I/O floor (read + JSON.parse + JSON.stringify + write of the same file, no ops) runs in the same rounds.
//
// With --wait-idle P, each round first waits (up to --wait-max seconds, default 600) until the CPUs were at least
// P % idle over 3 s (/proc/stat), so that rounds land in quiet moments of a shared machine; the idle share seen and
// the wait are recorded per round.
// Each round also calibrates the machine: a pure integer loop (no memory traffic) on 1 thread, then on 2 threads
// at once; `machine_scaling` = 2 x t(1) / t(2) is the best any 2-thread program could do at that moment (2.0 on two
// free cores; less when other work holds a core or the two vCPUs share a physical core).
// Usage: node tools/bench/dj-workers.mjs <file.jsonl> [more.jsonl ...] [--repeat N] [--rounds R] [--np 1,2]
//        [--chunk-bytes B] [--wait-idle P] [--wait-max S]
// Prints one JSON object to stdout. Build first: npx nx run @steel/data-juicer-ts:build
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const PROCESS = [
  { chinese_convert_mapper: { mode: 't2s' } },
  { clean_email_mapper: null },
  { clean_html_mapper: null },
  { clean_ip_mapper: null },
  { clean_links_mapper: null },
  { clean_copyright_mapper: null },
  { expand_macro_mapper: null },
  { fix_unicode_mapper: null },
  { punctuation_normalization_mapper: null },
  { remove_repeat_sentences_mapper: null },
  { remove_specific_chars_mapper: null },
  { whitespace_normalization_mapper: null },
  { alphanumeric_filter: { min_ratio: 0.0, max_ratio: 0.9 } },
  { average_line_length_filter: { min_len: 10, max_len: 150 } },
  { character_repetition_filter: { max_ratio: 0.4 } },
  { maximum_line_length_filter: { max_len: 1000 } },
  { special_characters_filter: { max_ratio: 0.25 } },
  { text_length_filter: { min_len: 10, max_len: 100000 } },
  { words_num_filter: { lang: 'zh', min_num: 10, max_num: 10000 } },
  { word_repetition_filter: { lang: 'zh', max_ratio: 0.5 } },
];

/** CPU seconds of the calling thread (Linux; undefined elsewhere). */
function threadCpuSeconds() {
  try {
    const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return undefined;
  }
}

const cpuSeconds = (c) => (c.user + c.system) / 1e6;

// ---- child: one run, prints one JSON line ----
if (process.argv[2] === '--child') {
  const [, , , mode, input, out, npText, chunkText] = process.argv;
  const np = Number(npText);
  const t0 = performance.now();
  const main0 = threadCpuSeconds();
  let written;
  let engine;
  if (mode === 'floor') {
    // The I/O floor: what any JSONL → JSONL pass must do, without ops.
    const buf = readFileSync(input);
    let text = '';
    let pos = 0;
    written = 0;
    while (pos < buf.length) {
      let nl = buf.indexOf(10, pos);
      if (nl < 0) nl = buf.length;
      if (nl > pos) {
        text += `${JSON.stringify(JSON.parse(buf.toString('utf8', pos, nl)))}\n`;
        written++;
      }
      pos = nl + 1;
    }
    writeFileSync(out, text);
  } else {
    const { loadRecipeObject, runRecipe } = await import('@steel/data-juicer-ts');
    const recipe = loadRecipeObject({ dataset_path: input, export_path: out, np, process: PROCESS });
    const s = await runRecipe(recipe, chunkText ? { jsonlChunkBytes: Number(chunkText) } : {});
    written = s.written;
    engine = s.engine;
  }
  const seconds = (performance.now() - t0) / 1000;
  const main1 = threadCpuSeconds();
  process.stdout.write(
    `${JSON.stringify({
      seconds,
      cpu_seconds: cpuSeconds(process.cpuUsage()),
      main_thread_cpu_seconds: main0 === undefined ? null : main1 - main0,
      written,
      engine,
    })}\n`,
  );
  process.exit(0);
}

// ---- parent ----
const args = process.argv.slice(2);
const files = [];
let repeat = 8;
let rounds = 3;
let nps = [1, 2];
let chunkBytes = '';
let waitIdle = 0;
let waitMax = 600;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--repeat') repeat = Number(args[++i]);
  else if (args[i] === '--rounds') rounds = Number(args[++i]);
  else if (args[i] === '--np') nps = args[++i].split(',').map(Number);
  else if (args[i] === '--chunk-bytes') chunkBytes = args[++i];
  else if (args[i] === '--wait-idle') waitIdle = Number(args[++i]);
  else if (args[i] === '--wait-max') waitMax = Number(args[++i]);
  else files.push(args[i]);
}
if (files.length === 0) {
  process.stderr.write(
    'usage: node tools/bench/dj-workers.mjs <file.jsonl> [...] [--repeat N] [--rounds R] [--np 1,2] [--chunk-bytes B]\n',
  );
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'dj-workers-'));
const input = join(dir, 'input.jsonl');
const body = files.map((f) => readFileSync(f, 'utf8').replace(/\n*$/, '\n')).join('');
writeFileSync(input, body.repeat(repeat));
let textBytes = 0;
for (const line of body.split('\n')) if (line.trim()) textBytes += Buffer.byteLength(JSON.parse(line).text ?? '');
const textMB = (textBytes * repeat) / 1e6;
const self = fileURLToPath(import.meta.url);

const digest = (path) => createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);

function run(mode, np) {
  const out = join(dir, `out-${mode}-${np}.jsonl`);
  const load1 = loadavg()[0];
  const t0 = performance.now();
  const line = execFileSync(process.execPath, [self, '--child', mode, input, out, String(np), chunkBytes], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const processSeconds = (performance.now() - t0) / 1000;
  const r = JSON.parse(line.trim().split('\n').pop());
  const hash = mode === 'floor' ? undefined : `${digest(out)}:${digest(out.replace(/\.jsonl$/, '_stats.jsonl'))}`;
  return { ...r, process_seconds: processSeconds, load1, hash };
}

/** Share of CPU time the whole machine spent idle over the next `ms` milliseconds (Linux /proc/stat). */
async function idleShare(ms) {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  return (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

const SPIN = `const { parentPort, workerData } = require('node:worker_threads');
let h = 0;
const t0 = performance.now();
for (let i = 0; i < workerData; i++) { h = (Math.imul(h, 31) + i) | 0; h ^= h >>> 13; }
parentPort.postMessage([performance.now() - t0, h]);`;
const spin = (threads, iters) =>
  Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise((resolve, reject) => {
          const w = new Worker(SPIN, { eval: true, workerData: iters });
          w.on('message', (m) => {
            resolve(m[0]);
            w.terminate();
          });
          w.on('error', reject);
        }),
    ),
  );
async function machineScaling() {
  const iters = 1e8;
  const one = (await spin(1, iters))[0];
  const two = Math.max(...(await spin(2, iters)));
  return (2 * one) / two;
}

const loadBefore = loadavg();
const runs = Object.fromEntries(nps.map((np) => [np, []]));
const floor = [];
const roundInfo = [];
for (let r = 0; r < rounds; r++) {
  let waited = 0;
  let idle;
  if (waitIdle > 0) {
    const t0 = performance.now();
    for (;;) {
      idle = await idleShare(3000);
      if (idle * 100 >= waitIdle || (performance.now() - t0) / 1000 > waitMax) break;
    }
    waited = (performance.now() - t0) / 1000;
  }
  roundInfo.push({
    waited_seconds: r3(waited),
    idle_before: idle === undefined ? null : r3(idle),
    load1: r3(loadavg()[0]),
    machine_scaling: r3(await machineScaling()),
  });
  floor.push(run('floor', 1));
  for (const np of nps) runs[np].push(run('recipe', np));
}
const loadAfter = loadavg();
rmSync(dir, { recursive: true, force: true });

function r3(x) {
  return x === null || x === undefined ? x : +x.toFixed(3);
}
const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const summary = (list) => ({
  best_seconds: r3(Math.min(...list.map((x) => x.seconds))),
  median_seconds: r3(med(list.map((x) => x.seconds))),
  best_mb_per_s: r3(textMB / Math.min(...list.map((x) => x.seconds))),
  median_mb_per_s: r3(textMB / med(list.map((x) => x.seconds))),
  median_process_seconds: r3(med(list.map((x) => x.process_seconds))),
  cpu_seconds_median: r3(med(list.map((x) => x.cpu_seconds))),
  main_thread_cpu_seconds_median: r3(med(list.map((x) => x.main_thread_cpu_seconds ?? Number.NaN))),
  load1_per_run: list.map((x) => +x.load1.toFixed(2)),
  seconds_per_run: list.map((x) => r3(x.seconds)),
  written: list[0]?.written,
  engine: list[0]?.engine,
});
const per = Object.fromEntries(nps.map((np) => [`workers_${np}`, summary(runs[np])]));
const hashes = new Set(nps.flatMap((np) => runs[np].map((x) => x.hash)));
if (hashes.size !== 1) throw new Error(`outputs differ between runs/worker counts: ${[...hashes].join(' ')}`);
const floorMedian = med(floor.map((x) => x.seconds));
const result = {
  input: files,
  repeat,
  rounds,
  text_mb: r3(textMB),
  cores: cpus().length,
  loadavg_before: loadBefore.map((x) => +x.toFixed(2)),
  loadavg_after: loadAfter.map((x) => +x.toFixed(2)),
  identical_outputs: true,
  rounds_info: roundInfo,
  io_floor: {
    median_seconds: r3(floorMedian),
    best_seconds: r3(Math.min(...floor.map((x) => x.seconds))),
    median_mb_per_s: r3(textMB / floorMedian),
  },
  ...per,
};
if (runs[1] && runs[2]) {
  const a = per.workers_1;
  const b = per.workers_2;
  Object.assign(result, {
    speedup_best: r3(a.best_seconds / b.best_seconds),
    speedup_median: r3(a.median_seconds / b.median_seconds),
    // Pairwise: each np 2 run against the np 1 run just before it (same round, nearly the same load).
    speedup_per_round: runs[1].map((x, i) => r3(x.seconds / runs[2][i].seconds)),
    // If the CPU work of np 2 were spread perfectly over 2 idle cores: 2 x CPU(np 1) / CPU(np 2).
    machine_scaling_median: r3(med(roundInfo.map((x) => x.machine_scaling))),
    speedup_cpu_bound_2_cores: r3((2 * a.cpu_seconds_median) / b.cpu_seconds_median),
    ratio_to_io_floor_np1_median: r3(a.median_seconds / floorMedian),
  });
}
console.log(JSON.stringify(result));
