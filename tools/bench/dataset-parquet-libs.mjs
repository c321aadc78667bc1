#!/usr/bin/env node
// Parquet library choice for @steel/dataset: parquet-wasm (arrow-rs in WebAssembly) vs hyparquet + hyparquet-writer
// (pure JS). Both read row group by row group (bounded memory); each measurement runs in its own child process so
// its peak RSS is its own. Prints one JSON object.
//
//   node tools/bench/dataset-parquet-libs.mjs ../shared/data/steel-samples/starcode/*.parquet [--repeat 10] [--scale 20]
//
// --scale K also measures reading one larger file made of K copies of the inputs' rows (row groups of 16384 rows,
// snappy), which shows whether memory stays bounded. @steel/dataset depends on parquet-wasm only; to measure
// hyparquet again: `npm i --no-save hyparquet hyparquet-writer hyparquet-compressors` (a library that is not
// installed is reported as skipped).
import { execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);

if (args[0] === '--child') {
  const [, lib, op, repeat, ...files] = args;
  let result;
  try {
    result = await child(lib, op, Number(repeat), files);
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    result = { lib, op, skipped: `not installed: ${err.message.split('\n')[0]}` };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

let repeat = 10;
let scale = 0;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--repeat') repeat = Number(args[++i]);
  else if (args[i] === '--scale') scale = Number(args[++i]);
  else files.push(args[i]);
}
if (files.length === 0) {
  process.stderr.write('usage: dataset-parquet-libs.mjs <file.parquet...> [--repeat N] [--scale K]\n');
  process.exit(2);
}

const run = (lib, op, inputs, n) =>
  JSON.parse(
    execFileSync(process.execPath, [self, '--child', lib, op, String(n), ...inputs], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    }),
  );

const results = [];
for (const [lib, op] of [
  ['parquet-wasm', 'read-rows'],
  ['hyparquet', 'read-rows'],
  ['parquet-wasm', 'read-arrow'],
  ['hyparquet', 'read-arrow'],
  ['parquet-wasm', 'write-zstd'],
  ['parquet-wasm', 'write-snappy'],
  ['hyparquet-writer', 'write-snappy'],
]) {
  results.push(run(lib, op, files, repeat));
}

let scaled;
if (scale > 1) {
  const big = join(tmpdir(), `steel-bench-scaled-${process.pid}.parquet`);
  const { readDataset, writeDataset } = await import('@steel/dataset');
  async function* copies() {
    for (let k = 0; k < scale; k++) yield* readDataset(files);
  }
  await writeDataset(copies(), big, { compression: 'snappy', rowGroupRows: 16384 });
  scaled = { scale, fileBytes: statSync(big).size, results: [] };
  for (const lib of ['parquet-wasm', 'hyparquet']) scaled.results.push(run(lib, 'read-rows', [big], 2));
  rmSync(big, { force: true });
}

const fileBytes = files.reduce((a, f) => a + statSync(f).size, 0);
process.stdout.write(
  `${JSON.stringify({ node: process.version, files: files.length, fileBytes, repeat, results, scaled }, null, 2)}\n`,
);

// ---------------------------------------------------------------------------------------------------------------

async function child(lib, op, repeat, files) {
  const dataset = await import('@steel/dataset');
  const fileBytes = files.reduce((a, f) => a + statSync(f).size, 0);
  const times = [];
  let rows = 0;
  let chars = 0;
  let outBytes = 0;

  if (op.startsWith('read')) {
    const toArrow = op === 'read-arrow';
    const groups = lib === 'parquet-wasm' ? wasmGroups : await hyGroups();
    for (let it = 0; it <= repeat; it++) {
      const t0 = performance.now();
      rows = 0;
      chars = 0;
      for (const f of files) {
        for await (const group of groups(f)) {
          if (lib === 'parquet-wasm') {
            for (const b of group) {
              rows += b.numRows;
              chars += toArrow ? touchArrow(b) : touchRows(dataset.recordsFromBatch(b));
            }
          } else {
            rows += group.length;
            if (toArrow) {
              for (let i = 0; i < group.length; i += 4096) {
                chars += touchArrow(dataset.batchFromRecords(group.slice(i, i + 4096)));
              }
            } else chars += touchRows(group);
          }
        }
      }
      if (it > 0) times.push(performance.now() - t0); // iteration 0 warms up (wasm compile, JIT)
    }
  } else {
    // Load the rows once, outside the timing (with the library under test, so a missing one is skipped).
    const writer = lib === 'hyparquet-writer' ? await import('hyparquet-writer') : undefined;
    const records = [];
    for (const f of files)
      for await (const g of wasmGroups(f)) for (const b of g) records.push(...dataset.recordsFromBatch(b));
    rows = records.length;
    chars = touchRows(records);
    const out = join(tmpdir(), `steel-bench-${process.pid}.parquet`);
    for (let it = 0; it <= repeat; it++) {
      rmSync(out, { force: true });
      const t0 = performance.now();
      if (!writer) {
        const batches = [];
        for (let i = 0; i < records.length; i += 4096)
          batches.push(dataset.batchFromRecords(records.slice(i, i + 4096)));
        await dataset.writeDataset(batches, out, { compression: op === 'write-zstd' ? 'zstd' : 'snappy' });
      } else {
        const names = [...new Set(records.flatMap((r) => Object.keys(r)))];
        const columnData = names.map((name) => ({ name, data: records.map((r) => r[name] ?? null) }));
        await writer.parquetWriteFile({ filename: out, columnData, codec: 'SNAPPY', rowGroupSize: 16384 });
      }
      if (it > 0) times.push(performance.now() - t0);
      outBytes = statSync(out).size;
    }
    rmSync(out, { force: true });
  }
  times.sort((a, b) => a - b);
  // Best of N: the machine is shared, the minimum is the least disturbed run.
  const best = times[0];
  const median = times[Math.floor(times.length / 2)];
  return {
    lib,
    op,
    rows,
    bestMs: Number(best.toFixed(1)),
    medianMs: Number(median.toFixed(1)),
    rowsPerS: Math.round((rows / best) * 1000),
    fileMBps: Number((fileBytes / 1e6 / (best / 1000)).toFixed(1)),
    textMcharsPerS: Number((chars / 1e6 / (best / 1000)).toFixed(1)),
    ...(outBytes ? { outBytes } : {}),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** parquet-wasm through @steel/dataset's own reader (streams each row group in batches of 4096 rows). */
async function* wasmGroups(path) {
  const { readDataset } = await import('@steel/dataset');
  for await (const b of readDataset(path, { batchRows: 4096 })) yield [b];
}

/** hyparquet: JS row objects of one row group at a time. */
async function hyGroups() {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  return async function* (path) {
    const file = await asyncBufferFromFile(path);
    const metadata = await parquetMetadataAsync(file);
    let start = 0;
    for (const rg of metadata.row_groups) {
      const end = start + Number(rg.num_rows);
      const rows = await parquetReadObjects({ file, metadata, compressors, rowStart: start, rowEnd: end });
      // Int64 arrives as bigint; normalise like @steel/dataset does so both produce the same JS values.
      for (const r of rows)
        for (const k in r) if (typeof r[k] === 'bigint' && r[k] <= 9007199254740991n) r[k] = Number(r[k]);
      yield rows;
      start = end;
    }
  };
}

/** Forces every string of a batch to be decoded (Arrow JS decodes lazily); returns their UTF-16 length. */
function touchArrow(batch) {
  let n = 0;
  for (let i = 0; i < batch.numCols; i++) for (const v of batch.getChildAt(i)) if (typeof v === 'string') n += v.length;
  return n;
}

function touchRows(rows) {
  let n = 0;
  for (const r of rows) for (const k in r) if (typeof r[k] === 'string') n += r[k].length;
  return n;
}
