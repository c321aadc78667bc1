// readDataset: a file, a folder or a list of them, as one stream of RecordBatches.

import { stat } from 'node:fs/promises';
import type { RecordBatch } from 'apache-arrow';
import { ErrorReport } from './errors.js';
import { type Compression, type DatasetFormat, detectFormat, listDatasetFiles } from './format.js';
import { type ColumnarContext, readArrow, readParquet } from './readers/columnar.js';
import { DEFAULT_BATCH_ROWS, DEFAULT_MAX_RECORD_BYTES, type ReadOptions } from './readers/options.js';
import { RecordBatcher } from './readers/records.js';
import { readCsv, readJson, readJsonLines, type TextContext } from './readers/text.js';
import { SchemaInferrer } from './schema.js';

export type { ReadOptions } from './readers/options.js';

/**
 * Streams every record of `input` (file, folder, or list; folders in sorted path order) as RecordBatches of at most
 * `batchRows` rows (parquet: at most one row group). Memory stays bounded by one batch / one row group per file.
 * Bad records (malformed JSON, invalid UTF-8, non-objects, missing required fields) are reported to `opts.errors`
 * and skipped; the stream goes on. A batch never mixes two files.
 */
export async function* readDataset(input: string | string[], opts: ReadOptions = {}): AsyncGenerator<RecordBatch> {
  const batchRows = opts.batchRows ?? DEFAULT_BATCH_ROWS;
  if (!Number.isInteger(batchRows) || batchRows < 1)
    throw new Error(`batchRows must be a positive integer, got ${batchRows}`);
  const files = await expandInputs(input, opts);
  const errors = opts.errors ?? new ErrorReport();
  const maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  if (files.length === 0) {
    throw new Error(`no dataset files in ${Array.isArray(input) ? input.join(', ') : input}`);
  }
  // One inferrer for the whole read: batches of later files reuse (and widen) the schema of earlier ones.
  const inferrer = new SchemaInferrer();
  const makeBatcher = () => new RecordBatcher(errors, inferrer, batchRows, opts.fields, opts.requiredFields);
  for (const file of files) {
    opts.signal?.throwIfAborted();
    const { format, compression } = formatFor(file, opts);
    const textCtx = { batcher: makeBatcher(), errors, maxRecordBytes, signal: opts.signal };
    const colCtx = {
      errors,
      batchRows,
      fields: opts.fields,
      required: opts.requiredFields,
      makeBatcher,
      signal: opts.signal,
    };
    try {
      yield* readFile(file, format, compression, textCtx, colCtx);
    } catch (err) {
      if ((err as Error)?.name === 'AbortError' || !(err instanceof Error) || err.message.includes(file)) throw err;
      throw new Error(`${file}: ${err.message}`, { cause: err });
    }
  }
}

async function* readFile(
  file: string,
  format: DatasetFormat,
  compression: Compression,
  textCtx: TextContext,
  colCtx: ColumnarContext,
): AsyncGenerator<RecordBatch> {
  switch (format) {
    case 'jsonl':
      yield* readJsonLines(file, compression, textCtx);
      break;
    case 'json':
      yield* readJson(file, compression, textCtx);
      break;
    case 'csv':
      yield* readCsv(file, compression, textCtx);
      break;
    case 'parquet':
      yield* readParquet(file, colCtx);
      break;
    case 'arrow':
      yield* readArrow(file, colCtx);
      break;
    default:
      throw new Error(`unknown format "${format as string}"`);
  }
}

/** Files to read: with an explicit `format`, a named file is taken whatever its extension, a folder gives that format only. */
async function expandInputs(input: string | string[], opts: ReadOptions): Promise<string[]> {
  if (!opts.format) return listDatasetFiles(input);
  const out: string[] = [];
  for (const p of Array.isArray(input) ? input : [input]) {
    const st = await stat(p).catch(() => undefined);
    if (!st) throw new Error(`input not found: ${p}`);
    if (st.isDirectory()) out.push(...(await listDatasetFiles(p, { formats: [opts.format] })));
    else out.push(p);
  }
  return out;
}

function formatFor(file: string, opts: ReadOptions): { format: DatasetFormat; compression: Compression } {
  if (!opts.format) return detectFormat(file);
  const lower = file.toLowerCase();
  const compression: Compression = lower.endsWith('.gz') ? 'gzip' : /\.zstd?$/.test(lower) ? 'zstd' : 'none';
  return { format: opts.format, compression };
}
