// One data source: the LITPKDS shards of one packed folder (its manifest.json), read as fixed windows of
// `windowSize` tokens in a seeded permutation (a fresh one each epoch), with an exact, small, JSON position.
// Appending shards mid-epoch keeps the windows already trained where they were and reshuffles only the untrained
// rest of the epoch together with the new windows (spec §3.5 `add_new_data`).
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import {
  PACKED_HEADER_BYTES,
  type PackedDtype,
  parsePackedHeader,
  readPackedManifest,
  windowPermutation,
} from '@steel/dataset';
import { sha256File } from './sha256.js';

export class DataConsistencyError extends Error {
  override name = 'DataConsistencyError';
}

export interface ShardRecord {
  file: string;
  sha256: string;
  windows: number;
}

/** An append of `added` windows when `position` windows of the epoch had been read. */
export interface AppendEvent {
  position: number;
  added: number;
}

/** JSON position of one source. */
export interface SourceState {
  name: string;
  seed: number;
  windowSize: number;
  shards: ShardRecord[];
  epoch: number;
  /** Windows of this epoch already returned. */
  position: number;
  /** Windows the epoch's permutation started with, and appends made during the epoch, in order. */
  epochWindows: number;
  appends: AppendEvent[];
}

export interface SourceOpenOptions {
  name: string;
  dir: string;
  windowSize: number;
  seed: number;
  /** Position saved in a checkpoint. */
  state?: SourceState;
  /** Hash every shard and compare with the manifest (default true). */
  verify?: boolean;
  /** Continue even if a shard's sha256 differs from the manifest / checkpoint (default false). */
  allowDataChange?: boolean;
  /** Shards in the manifest after the checkpoint's are appended (default false: refuse). */
  appendNewData?: boolean;
}

interface OpenShard {
  path: string;
  handle: FileHandle;
  dtype: PackedDtype;
  itemSize: number;
  windows: number;
}

export class WindowSource {
  private order: Uint32Array | null = null;
  private readonly starts: number[] = [];

  private constructor(
    private readonly shards: OpenShard[],
    readonly st: SourceState,
  ) {
    let s = 0;
    for (const sh of shards) {
      this.starts.push(s);
      s += sh.windows;
    }
  }

  static async open(o: SourceOpenOptions): Promise<WindowSource> {
    const manifest = await readPackedManifest(o.dir);
    if (!Number.isInteger(o.windowSize) || o.windowSize < 2)
      throw new RangeError(`source '${o.name}': windowSize must be an integer >= 2 (seq + 1), got ${o.windowSize}`);
    const verify = o.verify ?? true;
    const records: ShardRecord[] = [];
    const opened: OpenShard[] = [];
    try {
      for (const info of manifest.shards) {
        const path = join(o.dir, info.file);
        const handle = await open(path, 'r').catch((e: Error) => {
          throw new DataConsistencyError(
            `source '${o.name}': shard ${path} listed in the manifest cannot be opened: ${e.message}`,
          );
        });
        opened.push({ path, handle, dtype: 'int32', itemSize: 4, windows: 0 });
        const head = new Uint8Array(PACKED_HEADER_BYTES);
        await handle.read(head, 0, PACKED_HEADER_BYTES, 0);
        const h = parsePackedHeader(head, path);
        if (h.chunkSize % o.windowSize !== 0)
          throw new RangeError(
            `source '${o.name}': ${path} holds ${h.chunkSize} tokens, not a multiple of the window ${o.windowSize} (seq + 1); ` +
              `use a seq whose seq + 1 divides the chunk size (the manifest's blockSize is ${manifest.blockSize})`,
          );
        const last = opened[opened.length - 1]!;
        last.dtype = h.dtype;
        last.itemSize = h.itemSize;
        last.windows = h.chunkSize / o.windowSize;
        if (verify) {
          const sha = await sha256File(path);
          if (sha !== info.sha256 && !o.allowDataChange)
            throw new DataConsistencyError(
              `source '${o.name}': shard ${path} changed since it was packed (sha256 ${sha.slice(0, 16)}... != manifest ` +
                `${info.sha256.slice(0, 16)}...); restore the data or pass allowDataChange (--allow-data-change) to train on it anyway`,
            );
        }
        records.push({ file: info.file, sha256: info.sha256, windows: last.windows });
      }
      if (records.length === 0) throw new RangeError(`source '${o.name}': the manifest in ${o.dir} lists no shards`);
      let st: SourceState;
      if (!o.state) {
        const total = records.reduce((a, r) => a + r.windows, 0);
        st = {
          name: o.name,
          seed: o.seed,
          windowSize: o.windowSize,
          shards: records,
          epoch: 0,
          position: 0,
          epochWindows: total,
          appends: [],
        };
      } else {
        st = structuredClone(o.state);
        if (st.windowSize !== o.windowSize)
          throw new DataConsistencyError(
            `source '${o.name}': the checkpoint read windows of ${st.windowSize} tokens, this run asks for ${o.windowSize}`,
          );
        const saved = st.shards;
        const n = Math.min(saved.length, records.length);
        for (let i = 0; i < n; i++) {
          const a = saved[i]!;
          const b = records[i]!;
          if (a.file !== b.file || a.windows !== b.windows)
            throw new DataConsistencyError(
              `source '${o.name}': shard ${i} was ${a.file} (${a.windows} windows) in the checkpoint, now ${b.file} ` +
                `(${b.windows} windows); the data order cannot be resumed`,
            );
          if (a.sha256 !== b.sha256 && !o.allowDataChange)
            throw new DataConsistencyError(
              `source '${o.name}': shard ${a.file} differs from the one trained on (sha256 ${b.sha256.slice(0, 16)}... != ` +
                `checkpoint ${a.sha256.slice(0, 16)}...); restore it or pass allowDataChange (--allow-data-change)`,
            );
        }
        if (records.length < saved.length)
          throw new DataConsistencyError(
            `source '${o.name}': the checkpoint read ${saved.length} shards, the manifest now lists ${records.length}; ` +
              `removed shards cannot be resumed`,
          );
        if (records.length > saved.length) {
          const extra = records.slice(saved.length);
          if (!o.appendNewData)
            throw new DataConsistencyError(
              `source '${o.name}': ${extra.length} shard(s) were added since the checkpoint (${extra[0]!.file}...); ` +
                `pass appendNewData (--append-data) to mix them into the untrained rest of the data`,
            );
          const seen = new Set(saved.map((r) => r.sha256));
          for (const r of extra)
            if (seen.has(r.sha256))
              throw new DataConsistencyError(
                `source '${o.name}': appended shard ${r.file} duplicates a trained shard (same sha256)`,
              );
          st.appends.push({ position: st.position, added: extra.reduce((a, r) => a + r.windows, 0) });
          st.shards = [...saved, ...extra];
        }
      }
      return new WindowSource(opened, st);
    } catch (err) {
      await Promise.all(opened.map((s) => s.handle.close()));
      throw err;
    }
  }

  get totalWindows(): number {
    return this.starts.length ? this.starts[this.starts.length - 1]! + this.shards[this.shards.length - 1]!.windows : 0;
  }

  /** Windows of the current epoch (the starting count plus this epoch's appends). */
  get epochLength(): number {
    return this.st.epochWindows + this.st.appends.reduce((a, e) => a + e.added, 0);
  }

  /** The window order of the current epoch: permutation, then each append reshuffles the untrained tail. */
  private epochOrder(): Uint32Array {
    if (this.order) return this.order;
    const { seed, epoch } = this.st;
    let order = windowPermutation(this.st.epochWindows, seed, epoch);
    let n = this.st.epochWindows;
    this.st.appends.forEach((ev, k) => {
      const next = new Uint32Array(n + ev.added);
      next.set(order.subarray(0, ev.position));
      const tail = new Uint32Array(n - ev.position + ev.added);
      tail.set(order.subarray(ev.position));
      for (let i = 0; i < ev.added; i++) tail[n - ev.position + i] = n + i;
      const p = windowPermutation(tail.length, (seed + 7919 * (k + 1)) | 0, epoch);
      for (let i = 0; i < tail.length; i++) next[ev.position + i] = tail[p[i]!]!;
      order = next;
      n += ev.added;
    });
    this.order = order;
    return order;
  }

  /** Global window index of the next read (rolls the epoch over when it is done). */
  private nextIndex(): number {
    if (this.st.position >= this.epochLength) {
      this.st.epoch++;
      this.st.position = 0;
      this.st.epochWindows = this.totalWindows;
      this.st.appends = [];
      this.order = null;
    }
    const g = this.epochOrder()[this.st.position]!;
    this.st.position++;
    return g;
  }

  /** Reads the next window into `out` (Int32, windowSize long). */
  async next(out: Int32Array): Promise<void> {
    const g = this.nextIndex();
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= g) lo = mid;
      else hi = mid - 1;
    }
    const sh = this.shards[lo]!;
    const w = g - this.starts[lo]!;
    const ws = this.st.windowSize;
    const bytes = new Uint8Array(ws * sh.itemSize);
    const { bytesRead } = await sh.handle.read(bytes, 0, bytes.length, PACKED_HEADER_BYTES + w * ws * sh.itemSize);
    if (bytesRead !== bytes.length)
      throw new DataConsistencyError(`${sh.path}: short read at window ${w} (truncated?)`);
    if (sh.dtype === 'int32') out.set(new Int32Array(bytes.buffer));
    else out.set(new Uint16Array(bytes.buffer));
  }

  state(): SourceState {
    return structuredClone(this.st);
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.handle.close()));
  }
}
