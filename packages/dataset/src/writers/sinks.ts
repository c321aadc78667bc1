// One sink per output format. A sink receives batches that all share one schema (the caller unifies).
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import {
  type RecordBatch,
  RecordBatchFileWriter,
  RecordBatchStreamWriter,
  type Schema,
  Table,
  tableToIPC,
} from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { stringifyJson } from '../json.js';
import { hasJsonFields, recordsFromBatch } from '../schema.js';

export interface BatchSink {
  write(batch: RecordBatch): Promise<void>;
  close(): Promise<void>;
}

/** Waits for 'drain' when the stream buffer is full; rejects if the stream failed. */
async function backpressure(
  stream: WriteStream | NodeJS.WritableStream,
  ok: boolean,
  failed: () => Error | undefined,
): Promise<void> {
  const err = failed();
  if (err) throw err;
  if (!ok) await once(stream as NodeJS.EventEmitter, 'drain');
}

/** Lines of JSON; a batch's JSON-text fields are restored to their original values; gzip optional. */
export function jsonlSink(path: string, gzip: boolean): BatchSink {
  const file = createWriteStream(path);
  let error: Error | undefined;
  file.on('error', (e) => {
    error = e;
  });
  const gz = gzip ? createGzip({ level: 6 }) : undefined;
  gz?.on('error', (e) => {
    error = e;
  });
  gz?.pipe(file);
  const head = gz ?? file;
  return {
    async write(batch) {
      const rows = recordsFromBatch(batch);
      const exact = hasJsonFields(batch.schema.fields);
      let text = '';
      for (const row of rows) text += `${exact ? exactStringify(row) : fastStringify(row)}\n`;
      await backpressure(head, head.write(text), () => error);
    },
    async close() {
      head.end();
      await finished(file);
      if (error) throw error;
    },
  };
}

/** One JSON array of objects, one element per line (readable back by the streaming json reader). */
export function jsonArraySink(path: string): BatchSink {
  const file = createWriteStream(path);
  let error: Error | undefined;
  file.on('error', (e) => {
    error = e;
  });
  let first = true;
  return {
    async write(batch) {
      const rows = recordsFromBatch(batch);
      const exact = hasJsonFields(batch.schema.fields);
      let text = '';
      for (const row of rows) {
        text += `${first ? '[\n' : ',\n'}${exact ? exactStringify(row) : fastStringify(row)}`;
        first = false;
      }
      await backpressure(file, file.write(text), () => error);
    },
    async close() {
      file.end(first ? '[]\n' : '\n]\n');
      await finished(file);
      if (error) throw error;
    },
  };
}

/** RFC 4180 csv with a header; nested values as JSON text, null/absent as an empty cell. */
export function csvSink(path: string, columns: readonly string[]): BatchSink {
  const file = createWriteStream(path);
  let error: Error | undefined;
  file.on('error', (e) => {
    error = e;
  });
  file.write(`${columns.map((c) => csvCell(c)).join(',')}\n`);
  return {
    async write(batch) {
      let text = '';
      for (const row of recordsFromBatch(batch)) text += `${columns.map((c) => csvCell(row[c])).join(',')}\n`;
      await backpressure(file, file.write(text), () => error);
    },
    async close() {
      file.end();
      await finished(file);
      if (error) throw error;
    },
  };
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : typeof v === 'object' ? stringifyJson(v) : String(v);
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Rows with values parsed from JSON-text fields may hold a RawJson (an integer beyond Int64), which JSON.stringify
 * would quote; such a literal always shows up as a run of 16+ digits, so only those lines take the slow path.
 */
function exactStringify(row: Record<string, unknown>): string {
  try {
    const s = JSON.stringify(row);
    return LONG_DIGITS.test(s) ? stringifyJson(row) : s;
  } catch {
    return stringifyJson(row);
  }
}

const LONG_DIGITS = /\d{16}/;

/** JSON.stringify is several times faster; it throws on bigint, then we take the exact serializer. */
function fastStringify(row: Record<string, unknown>): string {
  try {
    return JSON.stringify(row);
  } catch {
    return stringifyJson(row);
  }
}

/** Arrow IPC file (random access footer) or stream format. */
export function arrowSink(path: string, schema: Schema, format: 'file' | 'stream'): BatchSink {
  const writer = format === 'file' ? new RecordBatchFileWriter() : new RecordBatchStreamWriter();
  const file = createWriteStream(path);
  let error: Error | undefined;
  file.on('error', (e) => {
    error = e;
  });
  const bytes = writer.toNodeStream();
  bytes.pipe(file);
  writer.reset(undefined, schema);
  return {
    async write(batch) {
      if (error) throw error;
      writer.write(batch);
      if (file.writableNeedDrain) await once(file, 'drain');
    },
    async close() {
      writer.finish();
      await finished(file);
      if (error) throw error;
    },
  };
}

export type ParquetCompression = 'zstd' | 'snappy' | 'gzip' | 'none';

const PARQUET_CODECS: Record<ParquetCompression, parquet.Compression> = {
  zstd: parquet.Compression.ZSTD,
  snappy: parquet.Compression.SNAPPY,
  gzip: parquet.Compression.GZIP,
  none: parquet.Compression.UNCOMPRESSED,
};

/**
 * Parquet through parquet-wasm's streaming writer (arrow-rs): row groups are flushed as they fill, so memory is
 * about one row group. The Arrow schema (with our field metadata) is stored in the file.
 */
export function parquetSink(
  path: string,
  compression: ParquetCompression,
  rowGroupRows: number,
  rowGroupBytes: number,
): BatchSink {
  const props = new parquet.WriterPropertiesBuilder()
    .setCompression(PARQUET_CODECS[compression])
    .setMaxRowGroupSize(rowGroupRows)
    // Checked between batches on the encoded size: bounds reader and writer memory when documents are long.
    .setMaxRowGroupBytes(rowGroupBytes)
    .setCreatedBy('@steel/dataset (parquet-wasm)')
    .build();
  // A pull-based source: write() hands one batch over when the parquet writer asks for the next.
  let waiting: ((b: parquet.RecordBatch | null) => void) | undefined;
  const queue: (parquet.RecordBatch | null)[] = [];
  let pulled: (() => void) | undefined;
  const source = new ReadableStream<parquet.RecordBatch>(
    {
      async pull(controller) {
        const next = queue.length
          ? queue.shift()!
          : await new Promise<parquet.RecordBatch | null>((r) => {
              waiting = r;
            });
        pulled?.();
        if (next === null) controller.close();
        else controller.enqueue(next);
      },
    },
    { highWaterMark: 0 },
  );
  const file = createWriteStream(path);
  let error: Error | undefined;
  file.on('error', (e) => {
    error = e;
  });
  const done = (async () => {
    const out = await parquet.transformParquetStream(source, props);
    for await (const chunk of out as unknown as AsyncIterable<Uint8Array>) {
      if (!file.write(chunk)) await once(file, 'drain');
    }
    file.end();
    await finished(file);
  })();
  done.catch((e) => {
    error ??= e instanceof Error ? e : new Error(String(e));
    // unblock a writer waiting for a pull that will never come
    pulled?.();
  });
  const hand = (b: parquet.RecordBatch | null) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(b);
    } else queue.push(b);
  };
  return {
    async write(batch) {
      if (error) throw error;
      const wasm = parquet.Table.fromIPCStream(tableToIPC(new Table([batch]), 'stream'));
      const batches = wasm.recordBatches();
      wasm.free();
      for (const b of batches) {
        const taken = new Promise<void>((r) => {
          pulled = r;
        });
        hand(b);
        await taken;
        if (error) throw error;
      }
    },
    async close() {
      hand(null);
      try {
        await done;
      } catch (e) {
        throw e instanceof Error ? e : new Error(String(e));
      }
      if (error) throw error;
    },
  };
}
