// Readers for the text formats: jsonl (and json lines), json arrays, csv. Each yields RecordBatches via a RecordBatcher.
import type { RecordBatch } from 'apache-arrow';
import { parse as parseCsv } from 'csv-parse';
import type { ErrorReport } from '../errors.js';
import type { Compression } from '../format.js';
import { parseJson } from '../json.js';
import { decodeUtf8, firstSignificantByte, openBytes, splitJsonArray, splitLines } from './bytes.js';
import type { RecordBatcher } from './records.js';

export interface TextContext {
  batcher: RecordBatcher;
  errors: ErrorReport;
  maxRecordBytes: number;
  signal?: AbortSignal;
}

function parseOne(text: string, file: string, line: number, ctx: TextContext): RecordBatch | undefined {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (err) {
    ctx.errors.countRead();
    ctx.errors.record({ file, line, reason: 'invalid-json', message: (err as Error).message });
    return undefined;
  }
  return ctx.batcher.push(value, file, line);
}

/** jsonl: one JSON object per line; blank lines are skipped (not counted). */
export async function* readJsonLines(
  path: string,
  compression: Compression,
  ctx: TextContext,
): AsyncGenerator<RecordBatch> {
  const stream = openBytes(path, compression);
  try {
    for await (const { bytes, line } of splitLines(stream, ctx.maxRecordBytes)) {
      if (bytes === undefined) {
        ctx.errors.countRead();
        ctx.errors.record({
          file: path,
          line,
          reason: 'line-too-long',
          message: `longer than ${ctx.maxRecordBytes} bytes`,
        });
        continue;
      }
      if (isBlank(bytes)) continue;
      const text = decodeUtf8(bytes);
      if (text === undefined) {
        ctx.errors.countRead();
        ctx.errors.record({ file: path, line, reason: 'invalid-utf8' });
        continue;
      }
      const batch = parseOne(text, path, line, ctx);
      if (batch) {
        yield batch;
        ctx.signal?.throwIfAborted();
      }
    }
  } finally {
    stream.destroy?.();
  }
  const last = ctx.batcher.flush();
  if (last) yield last;
}

function isBlank(bytes: Buffer): boolean {
  for (const c of bytes) if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  return true;
}

/** .json: a JSON array of objects (streamed element by element) or JSON lines, decided by the first character. */
export async function* readJson(path: string, compression: Compression, ctx: TextContext): AsyncGenerator<RecordBatch> {
  const probe = openBytes(path, compression);
  const first = await firstSignificantByte(probe);
  probe.destroy?.();
  if (first !== 0x5b) {
    yield* readJsonLines(path, compression, ctx);
    return;
  }
  const stream = openBytes(path, compression);
  try {
    for await (const { bytes, index, line } of splitJsonArray(stream, ctx.maxRecordBytes)) {
      if (bytes === undefined) {
        ctx.errors.countRead();
        ctx.errors.record({
          file: path,
          line,
          reason: 'line-too-long',
          message: `array element ${index} is longer than ${ctx.maxRecordBytes} bytes`,
        });
        continue;
      }
      const text = decodeUtf8(bytes);
      if (text === undefined) {
        ctx.errors.countRead();
        ctx.errors.record({ file: path, line, reason: 'invalid-utf8', message: `array element ${index}` });
        continue;
      }
      const batch = parseOne(text, path, line, ctx);
      if (batch) {
        yield batch;
        ctx.signal?.throwIfAborted();
      }
    }
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  } finally {
    stream.destroy?.();
  }
  const last = ctx.batcher.flush();
  if (last) yield last;
}

/** csv with a header row; every value stays a string (no guessing of numbers, so nothing is altered). */
export async function* readCsv(path: string, compression: Compression, ctx: TextContext): AsyncGenerator<RecordBatch> {
  const parser = parseCsv({
    columns: (header: string[]) => header.map((h, i) => (h === '' ? `column_${i}` : h)),
    bom: true,
    info: true,
    skip_records_with_error: true,
    max_record_size: ctx.maxRecordBytes,
  });
  parser.on('skip', (err: Error & { lines?: number }) => {
    ctx.errors.countRead();
    ctx.errors.record({ file: path, line: err.lines ?? 0, reason: 'csv-error', message: err.message });
  });
  const source = openBytes(path, compression);
  source.on('error', (err) => parser.destroy(err));
  source.pipe(parser);
  try {
    for await (const item of parser as AsyncIterable<{ record: Record<string, unknown>; info: { lines: number } }>) {
      const batch = ctx.batcher.push(item.record, path, item.info.lines);
      if (batch) {
        yield batch;
        ctx.signal?.throwIfAborted();
      }
    }
  } finally {
    source.destroy?.();
  }
  const last = ctx.batcher.flush();
  if (last) yield last;
}
