#!/usr/bin/env node
// End-to-end `steel-dj process` throughput with 1 vs 2 worker threads (recipe `np`): the Steel text recipe without
// perplexity and dedup, read → ops → write, through runRecipe (the library call behind the CLI). Runs alternate
// (1, 2, 1, 2, ...) so that a change in machine load hits both; reports the best and median wall time per setting,
// the process CPU time (all threads), and the load average before and after, since a busy 2-core machine cannot show
// a 2x speed-up.
// Usage: node tools/bench/dj-workers.mjs <file.jsonl> [more.jsonl ...] [--repeat N] [--rounds R]
// Prints one JSON object to stdout. Build first: npx nx run @steel/data-juicer-ts:build
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadRecipeObject, runRecipe } from '@steel/data-juicer-ts';

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

const args = process.argv.slice(2);
const files = [];
let repeat = 8;
let rounds = 3;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--repeat') repeat = Number(args[++i]);
  else if (args[i] === '--rounds') rounds = Number(args[++i]);
  else files.push(args[i]);
}
if (files.length === 0) {
  process.stderr.write('usage: node tools/bench/dj-workers.mjs <file.jsonl> [...] [--repeat N] [--rounds R]\n');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'dj-workers-'));
const input = join(dir, 'input.jsonl');
const body = files.map((f) => readFileSync(f, 'utf8').replace(/\n*$/, '\n')).join('');
writeFileSync(input, body.repeat(repeat));
let textBytes = 0;
for (const line of body.split('\n')) if (line.trim()) textBytes += Buffer.byteLength(JSON.parse(line).text ?? '');
const textMB = (textBytes * repeat) / 1e6;

async function once(np) {
  const recipe = loadRecipeObject({
    dataset_path: input,
    export_path: join(dir, `out-${np}.jsonl`),
    np,
    process: PROCESS,
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const s = await runRecipe(recipe);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, written: s.written };
}

const loadBefore = loadavg();
const runs = { 1: [], 2: [] };
await once(1); // warm-up (module loading, JIT)
for (let r = 0; r < rounds; r++) for (const np of [1, 2]) runs[np].push(await once(np));
const loadAfter = loadavg();
rmSync(dir, { recursive: true, force: true });

const summary = (list) => {
  const secs = list.map((x) => x.seconds).sort((a, b) => a - b);
  const best = secs[0];
  const median = secs[Math.floor(secs.length / 2)];
  return {
    best_seconds: +best.toFixed(3),
    median_seconds: +median.toFixed(3),
    best_mb_per_s: +(textMB / best).toFixed(2),
    cpu_seconds_median: +list
      .map((x) => x.cpuSeconds)
      .sort((a, b) => a - b)
      [Math.floor(list.length / 2)].toFixed(3),
    written: list[0].written,
  };
};
const w1 = summary(runs[1]);
const w2 = summary(runs[2]);
if (w1.written !== w2.written) throw new Error(`1 and 2 workers kept different counts: ${w1.written} vs ${w2.written}`);
console.log(
  JSON.stringify({
    input: files,
    repeat,
    rounds,
    text_mb: +textMB.toFixed(2),
    cores: cpus().length,
    loadavg_before: loadBefore.map((x) => +x.toFixed(2)),
    loadavg_after: loadAfter.map((x) => +x.toFixed(2)),
    workers_1: w1,
    workers_2: w2,
    speedup_best: +(w1.best_seconds / w2.best_seconds).toFixed(2),
    speedup_median: +(w1.median_seconds / w2.median_seconds).toFixed(2),
  }),
);
