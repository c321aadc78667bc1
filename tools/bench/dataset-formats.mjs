#!/usr/bin/env node
// Read and write throughput of every @steel/dataset format on real jsonl files. Prints one JSON object.
//
//   node tools/bench/dataset-formats.mjs ../shared/data/steel-samples/sky/*.jsonl [--scale 10] [--repeat 5]
//
// The input records are loaded once and repeated --scale times (so small samples give stable numbers). For each
// format the batches are written with writeDataset and read back with readDataset (touching every string, as a
// consumer would). MB/s is relative to the size of the data as plain jsonl ("logical" bytes), so formats compare
// directly; the on-disk size of each file is reported too. Best and median of --repeat runs (the machine may be
// shared: the best is the least disturbed run, the median the typical one); the load average is printed too.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchFromRecords, readDataset, recordsFromBatch, writeDataset } from '@steel/dataset';

const args = process.argv.slice(2);
let scale = 10;
let repeat = 5;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--scale') scale = Number(args[++i]);
  else if (args[i] === '--repeat') repeat = Number(args[++i]);
  else files.push(args[i]);
}
if (files.length === 0) {
  process.stderr.write('usage: dataset-formats.mjs <file.jsonl...> [--scale K] [--repeat N]\n');
  process.exit(2);
}

const base = [];
for await (const b of readDataset(files)) base.push(...recordsFromBatch(b));
const records = [];
for (let k = 0; k < scale; k++) records.push(...base);
const batches = [];
for (let i = 0; i < records.length; i += 4096) batches.push(batchFromRecords(records.slice(i, i + 4096)));
const logicalBytes = records.reduce((a, r) => a + Buffer.byteLength(JSON.stringify(r)) + 1, 0);
const dir = mkdtempSync(join(tmpdir(), 'steel-bench-formats-'));

function touch(batch) {
  let n = 0;
  for (let c = 0; c < batch.numCols; c++) for (const v of batch.getChildAt(c)) if (typeof v === 'string') n += v.length;
  return n;
}

async function timeRead(path) {
  let rows = 0;
  const t0 = performance.now();
  for await (const b of readDataset(path)) {
    rows += b.numRows;
    touch(b);
  }
  const ms = performance.now() - t0;
  if (rows !== records.length) throw new Error(`${path}: read ${rows} rows, expected ${records.length}`);
  return ms;
}

const cases = [
  { format: 'jsonl', file: 'data.jsonl' },
  { format: 'jsonl.gz', file: 'data.jsonl.gz' },
  { format: 'parquet (zstd)', file: 'zstd.parquet', opts: { compression: 'zstd' } },
  { format: 'parquet (snappy)', file: 'snappy.parquet', opts: { compression: 'snappy' } },
  { format: 'arrow (IPC file)', file: 'data.arrow' },
  { format: 'arrow (IPC stream)', file: 'data.arrows' },
  { format: 'json (array)', file: 'data.json' },
  { format: 'csv', file: 'data.csv' },
];

const mbps = (ms) => Number((logicalBytes / 1e6 / (ms / 1000)).toFixed(1));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const loadStart = loadavg().map((x) => Number(x.toFixed(2)));
const results = [];
try {
  for (const c of cases) {
    const path = join(dir, c.file);
    const writes = [];
    const reads = [];
    for (let it = 0; it < repeat; it++) {
      const t0 = performance.now();
      await writeDataset(batches, path, { ...c.opts, overwrite: true });
      writes.push(performance.now() - t0);
      reads.push(await timeRead(path));
    }
    results.push({
      format: c.format,
      fileBytes: statSync(path).size,
      writeMBps: mbps(Math.min(...writes)),
      writeMBpsMedian: mbps(median(writes)),
      readMBps: mbps(Math.min(...reads)),
      readMBpsMedian: mbps(median(reads)),
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

process.stdout.write(
  `${JSON.stringify(
    {
      node: process.version,
      inputs: files,
      scale,
      repeat,
      rows: records.length,
      logicalBytes,
      loadAverage: { start: loadStart, end: loadavg().map((x) => Number(x.toFixed(2))) },
      results,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    },
    null,
    2,
  )}\n`,
);
