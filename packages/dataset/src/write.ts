// writeDataset: batches -> one file, atomically, with ONE schema per file (later, wider batches trigger a rewrite).
import { open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { type RecordBatch, RecordBatchReader, Schema, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { writeAtomically } from './atomic.js';
import { type DatasetFormat, detectFormat, isArrowStreamPath } from './format.js';
import { castBatch, schemasEqual, unifySchemas } from './schema.js';
import {
  arrowSink,
  type BatchSink,
  csvSink,
  jsonArraySink,
  jsonlSink,
  type ParquetCompression,
  parquetSink,
} from './writers/sinks.js';

export type WriteCompression = 'none' | 'gzip' | 'zstd' | 'snappy';

export interface WriteOptions {
  /** Output format; default from the extension of `output`. */
  format?: DatasetFormat;
  /** jsonl: 'none' | 'gzip' (default from the extension). parquet: 'zstd' (default) | 'snappy' | 'gzip' | 'none'. arrow: 'none'. */
  compression?: WriteCompression;
  /** Parquet: at most this many rows per row group (default 16384). */
  rowGroupRows?: number;
  /** Parquet: a row group is closed once its encoded size reaches about this many bytes (default 32 MiB). */
  rowGroupBytes?: number;
  /** Replace an existing file at `output` (default false: an existing output is an error). */
  overwrite?: boolean;
  /** Arrow IPC layout; default 'stream' for `.arrows`, 'file' otherwise. */
  arrowFormat?: 'file' | 'stream';
  /** Called after each batch is written (progress). */
  onBatch?: (rows: number) => void;
}

export interface WriteSummary {
  path: string;
  rows: number;
  bytes: number;
  batches: number;
  /** Times the file was rewritten because a later batch widened the schema (parquet, arrow). */
  schemaRewrites?: number;
}

export const DEFAULT_ROW_GROUP_ROWS = 16384;
export const DEFAULT_ROW_GROUP_BYTES = 32 * 1024 * 1024;

/**
 * Writes all batches to `output` (jsonl / jsonl.gz, parquet, Arrow IPC file or stream). The data goes to a hidden
 * temp file in the same folder which is fsynced and renamed onto `output` only when every batch was written: if the
 * source throws, nothing appears at `output` and the temp file is removed.
 *
 * Parquet and Arrow files hold one schema. Batches are cast to the schema of the first batch when that is lossless;
 * a batch that needs a wider schema (new field, int -> float, conflicting types -> JSON text) makes the writer
 * rewrite what it wrote so far under the unified schema. Readers here widen monotonically, so this happens a few
 * times at the start of a file at most.
 */
export async function writeDataset(
  batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
  output: string,
  opts: WriteOptions = {},
): Promise<WriteSummary> {
  let detected: ReturnType<typeof detectFormat> | undefined;
  try {
    detected = detectFormat(output);
  } catch (err) {
    if (!opts.format) throw err;
  }
  const format = opts.format ?? detected!.format;
  const compression = opts.compression ?? (detected?.compression === 'gzip' ? 'gzip' : undefined);
  const rowGroupRows = opts.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
  const rowGroupBytes = opts.rowGroupBytes ?? DEFAULT_ROW_GROUP_BYTES;
  if (!Number.isInteger(rowGroupBytes) || rowGroupBytes < 1)
    throw new Error(`rowGroupBytes must be a positive integer, got ${rowGroupBytes}`);
  if (!Number.isInteger(rowGroupRows) || rowGroupRows < 1)
    throw new Error(`rowGroupRows must be a positive integer, got ${rowGroupRows}`);
  if (detected?.compression === 'zstd' || (format === 'jsonl' && compression === 'zstd')) {
    throw new Error(
      `cannot write zstd-compressed jsonl (${output}): Node 20 has no zstd encoder; use .jsonl.gz or parquet`,
    );
  }
  if (format === 'jsonl' && compression && compression !== 'none' && compression !== 'gzip') {
    throw new Error(`jsonl supports compression none or gzip, not ${compression}`);
  }
  if (format === 'arrow' && compression && compression !== 'none') {
    throw new Error(`Arrow IPC output is written uncompressed; got compression ${compression}`);
  }
  if ((format === 'json' || format === 'csv') && compression && compression !== 'none') {
    throw new Error(
      `${format} output is written uncompressed; use jsonl.gz or parquet for compression (got ${output})`,
    );
  }
  const arrowLayout = opts.arrowFormat ?? (isArrowStreamPath(output) ? 'stream' : 'file');
  const pqCompression = (compression ?? 'zstd') as ParquetCompression;
  if (format === 'parquet' && !['zstd', 'snappy', 'gzip', 'none'].includes(pqCompression)) {
    throw new Error(`parquet supports compression zstd, snappy, gzip or none, not ${pqCompression}`);
  }

  return writeAtomically(output, opts.overwrite ?? false, async (tmp, extraTemp) => {
    let rows = 0;
    let count = 0;
    let rewrites = 0;
    if (format === 'csv') {
      return { ...(await writeCsv(batches, tmp, extraTemp, opts)), path: output };
    }
    if (format === 'jsonl' || format === 'json') {
      const sink = format === 'json' ? jsonArraySink(tmp) : jsonlSink(tmp, compression === 'gzip');
      try {
        for await (const batch of batches) {
          await sink.write(batch);
          rows += batch.numRows;
          count++;
          opts.onBatch?.(batch.numRows);
        }
      } catch (err) {
        await sink.close().catch(() => undefined);
        throw err;
      }
      await sink.close();
    } else {
      const open = (schema: Schema): BatchSink =>
        format === 'parquet'
          ? parquetSink(tmp, pqCompression, rowGroupRows, rowGroupBytes)
          : arrowSink(tmp, schema, arrowLayout);
      let schema: Schema | undefined;
      let sink: BatchSink | undefined;
      try {
        for await (const batch of batches) {
          if (!schema || !sink) {
            schema = batch.schema;
            sink = open(schema);
          } else if (!schemasEqual(batch.schema, schema)) {
            const unified = unifySchemas([schema, batch.schema]);
            if (!schemasEqual(unified, schema)) {
              // Rewrite what is written so far under the wider schema.
              await sink.close();
              const old = `${tmp}.old`;
              extraTemp(old);
              await rename(tmp, old);
              sink = open(unified);
              for await (const b of readBack(old, format)) await sink.write(castBatch(b, unified));
              await rm(old, { force: true });
              schema = unified;
              rewrites++;
            }
          }
          if (batch.numRows === 0) continue;
          await sink.write(castBatch(batch, schema));
          rows += batch.numRows;
          count++;
          opts.onBatch?.(batch.numRows);
        }
        if (sink) await sink.close();
        sink = undefined;
        // No rows at all: still a valid (empty) file with the schema we know, so downstream readers see 0 rows.
        if (rows === 0) await writeFile(tmp, emptyFile(format, schema ?? new Schema([]), arrowLayout));
      } finally {
        if (sink) await sink.close().catch(() => undefined);
      }
    }
    const bytes = (await stat(tmp)).size;
    return {
      path: output,
      rows,
      bytes,
      batches: count,
      ...(format === 'jsonl' || format === 'json' ? {} : { schemaRewrites: rewrites }),
    };
  });
}

/** Batches of a file this module wrote (for a schema rewrite). */
async function* readBack(path: string, format: DatasetFormat): AsyncGenerator<RecordBatch> {
  if (format === 'parquet') {
    const file = await parquet.ParquetFile.fromFile(await (await import('node:fs')).openAsBlob(path));
    try {
      const groups = file.metadata().numRowGroups();
      for (let g = 0; g < groups; g++) {
        const t = tableFromIPC((await file.read({ rowGroups: [g] })).intoIPCStream());
        yield* t.batches;
      }
    } finally {
      file.free();
    }
    return;
  }
  const handle = await open(path, 'r');
  try {
    const reader = (await RecordBatchReader.from(handle)) as unknown as AsyncIterable<RecordBatch>;
    for await (const b of reader) yield b;
  } finally {
    await handle.close();
  }
}

function emptyFile(format: DatasetFormat, schema: Schema, layout: 'file' | 'stream'): Uint8Array {
  const ipc = tableToIPC(new Table(schema), layout === 'stream' || format === 'parquet' ? 'stream' : 'file');
  if (format !== 'parquet') return ipc;
  const table = parquet.Table.fromIPCStream(ipc);
  return parquet.writeParquet(table);
}

/**
 * csv: the header is the top-level field names seen so far; a batch with a new field makes the writer rewrite the
 * file so far under the wider header (rows read back as strings, which is all csv holds anyway).
 */
async function writeCsv(
  batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
  tmp: string,
  extraTemp: (p: string) => void,
  opts: WriteOptions,
): Promise<WriteSummary> {
  let columns: string[] = [];
  let sink: BatchSink | undefined;
  let rows = 0;
  let count = 0;
  let rewrites = 0;
  try {
    for await (const batch of batches) {
      const names = batch.schema.fields.map((f) => f.name);
      const added = names.filter((n) => !columns.includes(n));
      if (!sink || added.length > 0) {
        const had = sink !== undefined;
        if (sink) await sink.close();
        columns = [...columns, ...added];
        if (had) {
          const old = `${tmp}.old`;
          extraTemp(old);
          await rename(tmp, old);
          sink = csvSink(tmp, columns);
          const { readDataset } = await import('./read.js');
          for await (const b of readDataset(old, { format: 'csv' })) await sink.write(b);
          await rm(old, { force: true });
          rewrites++;
        } else {
          sink = csvSink(tmp, columns);
        }
      }
      if (batch.numRows === 0) continue;
      await sink.write(batch);
      rows += batch.numRows;
      count++;
      opts.onBatch?.(batch.numRows);
    }
    sink ??= csvSink(tmp, columns);
    await sink.close();
    sink = undefined;
  } finally {
    if (sink) await sink.close().catch(() => undefined);
  }
  return { path: tmp, rows, bytes: (await stat(tmp)).size, batches: count, schemaRewrites: rewrites };
}
