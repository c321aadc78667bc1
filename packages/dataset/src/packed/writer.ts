// Packs token sequences into fixed-size LITPKDS chunk files, exactly as lit-gpt's PackedDatasetBuilder does:
// every file holds chunk_size tokens, sequences run on across file boundaries, and the last file's unused tail is
// filled with the pad id. Files appear atomically (temp + fsync + rename) with their sha256 computed on the way.
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tempPathFor } from '../atomic.js';
import { encodePackedHeader, itemSizeOf, PACKED_HEADER_BYTES, type PackedDtype, PackedFormatError } from './format.js';

export interface PackedWriterOptions {
  outDir: string;
  /** File names are `${prefix}_${counter padded to 10}.bin`, like Steel's `sky_process0_0000000000.bin`. */
  prefix: string;
  /** Tokens per file. lit-gpt: (block_size + 1) * blocks per chunk. */
  chunkSize: number;
  /** Fill of the last file's tail (Steel: 151643 `<|endoftext|>`). */
  padId: number;
  dtype?: PackedDtype;
  /**
   * Steel's rule (lit-gpt `write_reminder`): a last chunk that is at most 5 % full is silently dropped.
   * Default false: nothing is dropped.
   */
  steelCompat?: boolean;
  /** First file counter (default 0). */
  startIndex?: number;
  /** Replace existing files of the same name (default false: an existing file is an error). */
  overwrite?: boolean;
}

export interface PackedShardInfo {
  file: string;
  bytes: number;
  sha256: string;
  /** Tokens from the input (not counting the pad fill). */
  tokens: number;
  padTokens: number;
}

export interface PackedWriteSummary {
  shards: PackedShardInfo[];
  chunkSize: number;
  dtype: PackedDtype;
  /** Input tokens written (sum over shards). */
  tokens: number;
  /** Input tokens of a dropped last chunk (steelCompat only). */
  droppedTokens: number;
}

export class PackedShardWriter {
  private readonly buf: Int32Array | Uint16Array;
  private fill = 0;
  private counter: number;
  private readonly shards: PackedShardInfo[] = [];
  private readonly maxId: number;
  private finished = false;
  private dirReady = false;
  private droppedTokens = 0;

  constructor(private readonly opts: PackedWriterOptions) {
    const { chunkSize, padId, prefix } = opts;
    const dtype = opts.dtype ?? 'int32';
    if (dtype !== 'int32' && dtype !== 'uint16')
      throw new PackedFormatError(`dtype must be int32 or uint16, got ${dtype}`);
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
      throw new PackedFormatError(`chunkSize must be a positive integer, got ${chunkSize}`);
    }
    if (typeof prefix !== 'string' || prefix === '' || /[/\\]/.test(prefix)) {
      throw new PackedFormatError(
        `prefix must be a non-empty file-name part without slashes, got ${JSON.stringify(prefix)}`,
      );
    }
    this.maxId = dtype === 'int32' ? 2 ** 31 - 1 : 65535;
    if (!Number.isInteger(padId) || padId < 0 || padId > this.maxId) {
      throw new PackedFormatError(`padId ${padId} does not fit ${dtype}`);
    }
    this.buf = dtype === 'int32' ? new Int32Array(chunkSize) : new Uint16Array(chunkSize);
    this.counter = opts.startIndex ?? 0;
  }

  get dtype(): PackedDtype {
    return this.opts.dtype ?? 'int32';
  }

  /** Appends tokens; full chunks are written as they fill. A sequence may straddle any number of files. */
  async add(tokens: ArrayLike<number>): Promise<void> {
    if (this.finished) throw new PackedFormatError('add() after finish()');
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (!Number.isInteger(t) || t < 0 || t > this.maxId) {
        throw new PackedFormatError(`token ${i} = ${t} is not an id that fits ${this.dtype}`);
      }
    }
    let i = 0;
    while (i < tokens.length) {
      const n = Math.min(this.buf.length - this.fill, tokens.length - i);
      if (ArrayBuffer.isView(tokens)) {
        this.buf.set((tokens as unknown as Int32Array).subarray(i, i + n), this.fill);
      } else {
        for (let k = 0; k < n; k++) this.buf[this.fill + k] = tokens[i + k]!;
      }
      this.fill += n;
      i += n;
      if (this.fill === this.buf.length) await this.writeChunk(this.fill);
    }
  }

  /** Input tokens waiting in the current (unwritten) chunk. */
  get pending(): number {
    return this.fill;
  }

  /** Writes the partly filled last chunk (pad-filled) unless it is empty or, with steelCompat, at most 5 % full. */
  async finish(): Promise<PackedWriteSummary> {
    if (!this.finished) {
      this.finished = true;
      if (this.fill > 0) {
        if (this.opts.steelCompat && this.fill <= this.buf.length * 0.05) {
          this.droppedTokens = this.fill;
        } else {
          const used = this.fill;
          this.buf.fill(this.opts.padId, used);
          await this.writeChunk(used);
        }
        this.fill = 0;
      }
    }
    const tokens = this.shards.reduce((s, x) => s + x.tokens, 0);
    return {
      shards: [...this.shards],
      chunkSize: this.buf.length,
      dtype: this.dtype,
      tokens,
      droppedTokens: this.droppedTokens,
    };
  }

  private async writeChunk(used: number): Promise<void> {
    if (!this.dirReady) {
      await mkdir(this.opts.outDir, { recursive: true });
      this.dirReady = true;
    }
    const name = `${this.opts.prefix}_${String(this.counter).padStart(10, '0')}.bin`;
    const path = join(this.opts.outDir, name);
    const header = encodePackedHeader(this.dtype, this.buf.length);
    // Little-endian on every platform Node runs on; assert rather than silently write big-endian files.
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
      throw new PackedFormatError('big-endian hosts are not supported');
    const payload = new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.buf.length * itemSizeOf(this.dtype));
    const hash = createHash('sha256').update(header).update(payload).digest('hex');
    const tmp = tempPathFor(path);
    try {
      const fh = await open(tmp, 'wx');
      try {
        await fh.writeFile(header);
        await fh.write(payload, 0, payload.length, PACKED_HEADER_BYTES);
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (!this.opts.overwrite) {
        const exists = await open(path, 'r').then(
          (h) => h.close().then(() => true),
          () => false,
        );
        if (exists) throw new PackedFormatError(`output exists: ${path} (pass overwrite to replace it)`);
      }
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    this.shards.push({
      file: name,
      bytes: PACKED_HEADER_BYTES + payload.length,
      sha256: hash,
      tokens: used,
      padTokens: this.buf.length - used,
    });
    this.counter++;
    this.fill = 0;
  }
}
