// Deterministic sharding: which items a worker owns, splitting a dataset into N files, and per-shard done-markers.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { fsyncFile, tempPathFor } from './atomic.js';
import { batchFromRecords, recordsFromBatch } from './schema.js';
import { type WriteOptions, type WriteSummary, writeDataset } from './write.js';

export interface ShardSpec {
  index: number;
  count: number;
}

/**
 * Parses `i/N` (0-based shard i of N, e.g. `0/4` ... `3/4`), as given to `--shard`. Throws with the exact problem.
 */
export function parseShardSpec(spec: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  if (!m) throw new Error(`bad shard "${spec}": expected i/N with 0 <= i < N, e.g. 0/4`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new Error(`bad shard "${spec}": the shard count N must be at least 1`);
  if (index >= count)
    throw new Error(`bad shard "${spec}": index ${index} is out of range, use 0..${count - 1} (0-based)`);
  return { index, count };
}

function checkShard(index: number, count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new Error(`shard count must be a positive integer, got ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new Error(`shard index must be an integer in 0..${count - 1}, got ${index}`);
  }
}

/**
 * Shard `index` of `count` of a list, as a **contiguous** slice: item k goes to shard floor(k * count / n), so the
 * shards are in order, differ in size by at most one, and concatenating shards 0..N-1 gives the list back.
 * Pass the list in a stable order (e.g. from listDatasetFiles) and every worker agrees.
 */
export function shardOf<T>(items: readonly T[], index: number, count: number): T[] {
  checkShard(index, count);
  const n = items.length;
  const start = Math.ceil((index * n) / count);
  const end = Math.ceil(((index + 1) * n) / count);
  return items.slice(start, end);
}

export interface SplitOptions extends Omit<WriteOptions, 'onBatch'> {
  /** File name of shard i (default `part-<i padded>-of-<N padded>.<ext>`). */
  name?: (index: number, count: number) => string;
  /** Extension when `name` is not given (default 'parquet'). */
  extension?: string;
}

/**
 * Splits a batch stream into `count` shard files under `outDir`, **round-robin by row**: row r goes to shard r mod N
 * (deterministic, balanced to one row, one pass, no need to know the total up front). Each file is written atomically.
 */
export async function splitIntoShards(
  batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
  outDir: string,
  count: number,
  opts: SplitOptions = {},
): Promise<WriteSummary[]> {
  checkShard(0, count);
  await mkdir(outDir, { recursive: true });
  const ext = opts.extension ?? 'parquet';
  const width = String(count).length;
  const name =
    opts.name ??
    ((i: number, n: number) => `part-${String(i).padStart(width, '0')}-of-${String(n).padStart(width, '0')}.${ext}`);
  // One queue per shard feeding its writer; the source is read once.
  const queues = Array.from({ length: count }, () => new BatchQueue());
  const writers = queues.map((q, i) => writeDataset(q, join(outDir, name(i, count)), opts));
  let offset = 0;
  try {
    for await (const batch of batches) {
      const n = batch.numRows;
      for (let s = 0; s < count; s++) {
        const first = (((s - offset) % count) + count) % count;
        if (first >= n) continue;
        const idx: number[] = [];
        for (let r = first; r < n; r += count) idx.push(r);
        await queues[s]!.push(takeRows(batch, idx));
      }
      offset += n;
    }
    for (const q of queues) q.end();
  } catch (err) {
    for (const q of queues) q.fail(err as Error);
    await Promise.allSettled(writers);
    throw err;
  }
  return Promise.all(writers);
}

/** The given rows of a batch, in the batch's schema (exact for every type this package writes). */
function takeRows(batch: RecordBatch, rows: number[]): RecordBatch {
  if (rows.length === batch.numRows) return batch;
  const all = recordsFromBatch(batch);
  const picked = rows.map((r) => all[r]!);
  try {
    return batchFromRecords(picked, batch.schema);
  } catch {
    // A source type that does not round-trip through JS values (e.g. timestamps): infer a schema instead.
    return batchFromRecords(picked);
  }
}

/** A bounded async queue of batches (a few in flight) between the splitter and a shard writer. */
class BatchQueue implements AsyncIterable<RecordBatch> {
  private items: RecordBatch[] = [];
  private done = false;
  private error: Error | undefined;
  private notify: (() => void) | undefined;
  private space: (() => void) | undefined;

  async push(b: RecordBatch): Promise<void> {
    while (this.items.length >= 4)
      await new Promise<void>((r) => {
        this.space = r;
      });
    this.items.push(b);
    this.wake();
  }
  end(): void {
    this.done = true;
    this.wake();
  }
  fail(err: Error): void {
    this.error = err;
    this.wake();
  }
  private wake(): void {
    const n = this.notify;
    this.notify = undefined;
    n?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<RecordBatch> {
    for (;;) {
      if (this.error) throw this.error;
      const b = this.items.shift();
      if (b) {
        const s = this.space;
        this.space = undefined;
        s?.();
        yield b;
        continue;
      }
      if (this.done) return;
      await new Promise<void>((r) => {
        this.notify = r;
      });
    }
  }
}

export interface DoneInfo {
  [key: string]: unknown;
}

/**
 * Per-shard completion markers in a folder: `markDone(key)` atomically writes `<key>.done.json`; a re-run checks
 * `isDone(key)` and skips finished shards. Write the shard's output first, then the marker.
 */
export class DoneMarkers {
  constructor(readonly dir: string) {}

  private pathOf(key: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(key) || key.startsWith('.')) {
      throw new Error(`bad done-marker key "${key}": use letters, digits, '.', '_' or '-' (e.g. shard-0003)`);
    }
    return join(this.dir, `${key}.done.json`);
  }

  async isDone(key: string): Promise<boolean> {
    return (await this.info(key)) !== undefined;
  }

  /** The info stored with the marker, or undefined when the key is not done. */
  async info(key: string): Promise<DoneInfo | undefined> {
    try {
      return JSON.parse(await readFile(this.pathOf(key), 'utf8')) as DoneInfo;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async markDone(key: string, info: DoneInfo = {}): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(this.dir, { recursive: true });
    const tmp = tempPathFor(path);
    await writeFile(tmp, `${JSON.stringify({ key, finishedAt: new Date().toISOString(), ...info })}\n`);
    await fsyncFile(tmp);
    await rename(tmp, path);
  }
}
