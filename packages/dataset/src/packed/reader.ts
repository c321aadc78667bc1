// Training-side reader of LITPKDS files, after lit-gpt's PackedDatasetIterator: fixed windows of
// `windowSize` (= block_size + 1) tokens at multiples of windowSize inside each chunk, visited in a seeded random
// permutation over all windows of all files, a fresh permutation each epoch. Its position is a small JSON state, so
// a run resumed from a checkpoint continues at exactly the next window. (lit-gpt draws permutations from numpy PCG64;
// the order here is our own seeded generator, so window order is not bit-identical to PyTorch runs.)
import { type FileHandle, open } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  PACKED_HEADER_BYTES,
  type PackedDtype,
  PackedFormatError,
  type PackedHeader,
  parsePackedHeader,
} from './format.js';

export interface PackedReaderOptions {
  /** Tokens per window: block_size + 1 (Steel: 2049). Must divide the chunk size. */
  windowSize: number;
  /** Seed of the permutations (Steel: 3407 + rank). Default 0. */
  seed?: number;
  /** false: windows in file order (no permutation). Default true. */
  shuffle?: boolean;
  /** Data-parallel rank / world size: this rank reads files[rank::worldSize], as lit-gpt does. */
  rank?: number;
  worldSize?: number;
  /** Resume from a state returned by `state()`. */
  state?: PackedReaderState;
}

/** Where the reader stands; JSON-serializable. `position` = windows already returned in `epoch`. */
export interface PackedReaderState {
  version: 1;
  seed: number;
  shuffle: boolean;
  windowSize: number;
  chunkSize: number;
  /** Base names of this reader's files, in order (checked on resume). */
  files: string[];
  epoch: number;
  position: number;
}

export interface PackedWindow {
  tokens: Int32Array;
  /** Index of the file in this reader's list and of the window in that file. */
  file: number;
  window: number;
  epoch: number;
}

/** sfc32 seeded through splitmix32: small, fast, good enough for shuffling; fully determined by (seed, epoch). */
function rng(seed: number, epoch: number): () => number {
  let s = (seed ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** Uniform integer in [0, n) without modulo bias (n <= 2^32). */
function below(next: () => number, n: number): number {
  const limit = 2 ** 32 - (2 ** 32 % n);
  for (;;) {
    const x = next();
    if (x < limit) return x % n;
  }
}

/** The permutation of `n` windows for one epoch (Fisher-Yates). */
export function windowPermutation(n: number, seed: number, epoch: number): Uint32Array {
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const next = rng(seed, epoch);
  for (let i = n - 1; i > 0; i--) {
    const j = below(next, i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}

export class PackedWindowReader {
  private perm: Uint32Array | null = null;
  private permEpoch = -1;

  private constructor(
    readonly files: string[],
    private readonly handles: FileHandle[],
    private readonly header: PackedHeader,
    private readonly st: PackedReaderState,
  ) {}

  /** Opens the files (all must share dtype and chunk size) and positions at the start or at `options.state`. */
  static async open(files: string[], options: PackedReaderOptions): Promise<PackedWindowReader> {
    const { windowSize, seed = 0, shuffle = true, rank = 0, worldSize = 1 } = options;
    if (!Number.isInteger(windowSize) || windowSize < 1) {
      throw new PackedFormatError(`windowSize must be a positive integer (block_size + 1), got ${windowSize}`);
    }
    if (!Number.isInteger(seed)) throw new PackedFormatError(`seed must be an integer, got ${seed}`);
    if (!Number.isInteger(worldSize) || worldSize < 1 || !Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
      throw new PackedFormatError(`rank must be in 0..worldSize-1 (got rank ${rank}, worldSize ${worldSize})`);
    }
    const mine = files.filter((_, i) => i % worldSize === rank);
    if (mine.length === 0) {
      throw new PackedFormatError(`no packed files for rank ${rank} of ${worldSize} (${files.length} files given)`);
    }
    const handles: FileHandle[] = [];
    try {
      let first: PackedHeader | undefined;
      for (const f of mine) {
        const fh = await open(f, 'r');
        handles.push(fh);
        const head = new Uint8Array(PACKED_HEADER_BYTES);
        await fh.read(head, 0, PACKED_HEADER_BYTES, 0);
        const h = parsePackedHeader(head, f);
        const { size } = await fh.stat();
        if (size < PACKED_HEADER_BYTES + h.chunkSize * h.itemSize) {
          throw new PackedFormatError(`${f}: truncated (${size} bytes, header says ${h.chunkSize} tokens)`);
        }
        if (!first) first = h;
        else if (h.dtype !== first.dtype || h.chunkSize !== first.chunkSize) {
          throw new PackedFormatError(
            `${f}: dtype ${h.dtype} / chunk size ${h.chunkSize} differs from ${mine[0]} (${first.dtype} / ${first.chunkSize}); every file of one run must match`,
          );
        }
      }
      const header = first!;
      if (header.chunkSize % windowSize !== 0) {
        throw new PackedFormatError(
          `chunk size ${header.chunkSize} is not a multiple of windowSize ${windowSize} (block_size + 1); ` +
            `pass the block size the files were packed with`,
        );
      }
      const names = mine.map((f) => basename(f));
      let st: PackedReaderState = {
        version: 1,
        seed,
        shuffle,
        windowSize,
        chunkSize: header.chunkSize,
        files: names,
        epoch: 0,
        position: 0,
      };
      if (options.state) {
        const s = options.state;
        const problems: string[] = [];
        if (s.version !== 1) problems.push(`version ${s.version}`);
        if (s.windowSize !== windowSize) problems.push(`windowSize ${s.windowSize} != ${windowSize}`);
        if (s.chunkSize !== header.chunkSize) problems.push(`chunkSize ${s.chunkSize} != ${header.chunkSize}`);
        if (s.files.length !== names.length || s.files.some((n, i) => n !== names[i])) {
          problems.push(`files [${s.files.join(', ')}] != [${names.join(', ')}]`);
        }
        if (!Number.isInteger(s.epoch) || s.epoch < 0 || !Number.isInteger(s.position) || s.position < 0) {
          problems.push(`epoch ${s.epoch} / position ${s.position}`);
        }
        if (problems.length > 0) {
          throw new PackedFormatError(`the saved reader state does not match these files: ${problems.join('; ')}`);
        }
        st = { ...s, files: [...s.files] };
      }
      return new PackedWindowReader(mine, handles, header, st);
    } catch (err) {
      await Promise.all(handles.map((h) => h.close()));
      throw err;
    }
  }

  get dtype(): PackedDtype {
    return this.header.dtype;
  }

  get windowsPerFile(): number {
    return this.header.chunkSize / this.st.windowSize;
  }

  /** Windows per epoch (all files of this rank). */
  get epochLength(): number {
    return this.windowsPerFile * this.files.length;
  }

  /** A copy of the current position; pass it back as `options.state` to resume at the next window. */
  state(): PackedReaderState {
    return { ...this.st, files: [...this.st.files] };
  }

  /** The next window (epochs roll over forever; a new permutation each epoch). */
  async next(): Promise<PackedWindow> {
    if (this.st.position >= this.epochLength) {
      this.st.epoch++;
      this.st.position = 0;
    }
    const k = this.st.position;
    let g = k;
    if (this.st.shuffle) {
      if (this.permEpoch !== this.st.epoch) {
        this.perm = windowPermutation(this.epochLength, this.st.seed, this.st.epoch);
        this.permEpoch = this.st.epoch;
      }
      g = this.perm![k]!;
    }
    const file = Math.floor(g / this.windowsPerFile);
    const window = g % this.windowsPerFile;
    const tokens = await this.readWindow(file, window);
    this.st.position++;
    return { tokens, file, window, epoch: this.st.epoch };
  }

  /** `batchSize` windows as one row-major Int32Array [batchSize, windowSize]. */
  async nextBatch(batchSize: number): Promise<Int32Array> {
    const out = new Int32Array(batchSize * this.st.windowSize);
    for (let b = 0; b < batchSize; b++) out.set((await this.next()).tokens, b * this.st.windowSize);
    return out;
  }

  /** Tokens of window `window` of file `file` (no position change). */
  async readWindow(file: number, window: number): Promise<Int32Array> {
    const { itemSize } = this.header;
    const ws = this.st.windowSize;
    const bytes = new Uint8Array(ws * itemSize);
    const fh = this.handles[file];
    if (!fh || window < 0 || window >= this.windowsPerFile) {
      throw new PackedFormatError(`window ${window} of file ${file} does not exist`);
    }
    const { bytesRead } = await fh.read(bytes, 0, bytes.length, PACKED_HEADER_BYTES + window * ws * itemSize);
    if (bytesRead !== bytes.length) throw new PackedFormatError(`${this.files[file]}: short read at window ${window}`);
    if (this.header.dtype === 'int32') return new Int32Array(bytes.buffer);
    return Int32Array.from(new Uint16Array(bytes.buffer));
  }

  async close(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.close()));
  }
}
