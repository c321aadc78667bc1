// Readers for the columnar formats (parquet by row group, Arrow IPC file or stream), and the shared post-processing
// of Arrow batches (required fields, field selection) that keeps batches columnar whenever it can.
import { openAsBlob } from 'node:fs';
import { open } from 'node:fs/promises';
import { Field, makeData, RecordBatch, RecordBatchReader, Schema, Struct, Type, tableFromIPC } from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import type { ErrorReport } from '../errors.js';
import { META_NULL, recordsFromBatch } from '../schema.js';
import type { RecordBatcher } from './records.js';

export interface ColumnarContext {
  errors: ErrorReport;
  batchRows: number;
  fields?: string[];
  required?: string[];
  /** Used when a batch must go through records (dotted fields, required-field rejections). */
  makeBatcher: () => RecordBatcher;
  signal?: AbortSignal;
}

/** Parquet, one row group at a time (parquet-wasm over a lazily read Blob: memory ~ one row group). */
export async function* readParquet(path: string, ctx: ColumnarContext): AsyncGenerator<RecordBatch> {
  let file: parquet.ParquetFile;
  try {
    file = await parquet.ParquetFile.fromFile(await openAsBlob(path));
  } catch (err) {
    throw new Error(`${path}: not a readable parquet file (${String((err as Error)?.message ?? err)})`);
  }
  try {
    const groups = file.metadata().numRowGroups();
    const columns = ctx.fields && !ctx.required ? [...new Set(ctx.fields.map((f) => f.split('.')[0]!))] : undefined;
    let offset = 0;
    for (let g = 0; g < groups; g++) {
      ctx.signal?.throwIfAborted();
      // Stream the row group batch by batch: arrow-rs holds the row group's compressed pages, we see one batch.
      let stream: ReadableStream<parquet.RecordBatch>;
      try {
        stream = await file.stream({ rowGroups: [g], batchSize: ctx.batchRows, ...(columns ? { columns } : {}) });
      } catch (err) {
        if (!columns) throw new Error(`${path}: row group ${g}: ${String((err as Error)?.message ?? err)}`);
        // Not every parquet-wasm version accepts nested column names; fall back to reading all columns.
        stream = await file.stream({ rowGroups: [g], batchSize: ctx.batchRows });
      }
      for await (const wasmBatch of stream as unknown as AsyncIterable<parquet.RecordBatch>) {
        for (const batch of tableFromIPC(wasmBatch.intoIPCStream()).batches) {
          yield* processArrowBatch(batch, path, offset, ctx);
          offset += batch.numRows;
        }
      }
    }
  } finally {
    file.free();
  }
}

/**
 * Arrow IPC, file or stream format (detected from the bytes), batch by batch. Read through a FileHandle, not a
 * byte stream: apache-arrow reads a *file*-format byte stream whole into memory, while a FileHandle gives it random
 * access (footer, then one batch at a time).
 */
export async function* readArrow(path: string, ctx: ColumnarContext): AsyncGenerator<RecordBatch> {
  const handle = await open(path, 'r');
  try {
    let reader: AsyncIterable<RecordBatch>;
    try {
      reader = (await RecordBatchReader.from(handle)) as unknown as AsyncIterable<RecordBatch>;
    } catch (err) {
      throw new Error(`${path}: not a readable Arrow IPC file (${(err as Error).message})`);
    }
    let offset = 0;
    for await (const batch of reader) {
      ctx.signal?.throwIfAborted();
      yield* processArrowBatch(batch, path, offset, ctx);
      offset += batch.numRows;
    }
  } finally {
    await handle.close();
  }
}

function* processArrowBatch(
  batch: RecordBatch,
  file: string,
  offset: number,
  ctx: ColumnarContext,
): Generator<RecordBatch> {
  if (batch.numRows === 0) return;
  const columnar =
    (!ctx.required || ctx.required.every((f) => requiredHolds(batch, f))) &&
    (!ctx.fields || ctx.fields.every((f) => batch.schema.fields.some((x) => x.name === f)));
  if (columnar) {
    ctx.errors.countRead(batch.numRows);
    yield ctx.fields ? selectColumns(batch, ctx.fields) : batch;
    return;
  }
  // Slow path: through records, with the same rules as the text formats.
  const batcher = ctx.makeBatcher();
  const records = recordsFromBatch(batch);
  for (let i = 0; i < records.length; i++) {
    const out = batcher.push(records[i], file, offset + i + 1);
    if (out) yield out;
  }
  const last = batcher.flush();
  if (last) yield last;
}

/** True when a top-level string column has no nulls, so no row can fail the check. */
function requiredHolds(batch: RecordBatch, name: string): boolean {
  const i = batch.schema.fields.findIndex((f) => f.name === name);
  if (i < 0) return false;
  const f = batch.schema.fields[i]!;
  if (f.metadata.get('steel.json') === 'true') return false;
  const t = f.type.typeId;
  if (
    t !== Type.Utf8 &&
    t !== Type.LargeUtf8 &&
    !(t === Type.Dictionary && (f.type as { dictionary?: { typeId: Type } }).dictionary?.typeId === Type.Utf8)
  )
    return false;
  return batch.getChildAt(i)!.nullCount === 0;
}

/** Top-level columns in the order asked; their nulls mean null (a selected field is always present). */
function selectColumns(batch: RecordBatch, names: string[]): RecordBatch {
  const fields: Field[] = [];
  const children = [];
  for (const name of names) {
    const i = batch.schema.fields.findIndex((f) => f.name === name);
    const f = batch.schema.fields[i]!;
    const meta = new Map(f.metadata);
    meta.delete(META_NULL);
    fields.push(new Field(f.name, f.type, f.nullable, meta));
    children.push(batch.data.children[i]!);
  }
  const schema = new Schema(fields);
  return new RecordBatch(schema, makeData({ type: new Struct(fields), length: batch.numRows, nullCount: 0, children }));
}
