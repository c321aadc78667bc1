// Byte streams of (possibly compressed) files, split into lines or JSON array elements without decoding the whole.
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import type { Compression } from '../format.js';

const READ_CHUNK = 1 << 20;

/** Node 20's zlib has no zstd; fzstd decompresses in JS, chunk by chunk. */
class ZstdDecompress extends Transform {
  private readonly dec: Decompress;
  constructor() {
    super();
    this.dec = new Decompress((chunk) => {
      this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.dec.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.dec.push(new Uint8Array(0), true);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}

/** The decompressed bytes of a file, as a stream of Buffers. */
export function openBytes(path: string, compression: Compression): Readable {
  const raw = createReadStream(path, { highWaterMark: READ_CHUNK });
  if (compression === 'none') return raw;
  const dec = compression === 'gzip' ? createGunzip({ chunkSize: READ_CHUNK }) : new ZstdDecompress();
  raw.on('error', (err) => dec.destroy(err));
  return raw.pipe(dec);
}

export interface RawLine {
  /** The line's bytes without the line break (CR LF or LF), or undefined when it was too long. */
  bytes: Buffer | undefined;
  /** 1-based line number. */
  line: number;
}

/** Lines of a byte stream: LF or CRLF, a last line without newline, a leading UTF-8 BOM dropped. */
export async function* splitLines(chunks: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<RawLine> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let tooLong = false;
  let line = 0;
  let first = true;
  const finish = (tail: Buffer): RawLine => {
    line++;
    if (tooLong || pendingBytes + tail.length > maxLineBytes) {
      tooLong = false;
      pending = [];
      pendingBytes = 0;
      return { bytes: undefined, line };
    }
    let buf = pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    if (first) {
      first = false;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    if (buf.length > 0 && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
    return { bytes: buf, line };
  };
  for await (const chunk of chunks) {
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, pos);
      if (nl < 0) break;
      yield finish(chunk.subarray(pos, nl));
      pos = nl + 1;
    }
    if (pos < chunk.length) {
      const rest = chunk.subarray(pos);
      if (!tooLong) {
        pendingBytes += rest.length;
        if (pendingBytes > maxLineBytes) {
          tooLong = true;
          pending = [];
        } else {
          // Copy: the stream may reuse its buffer.
          pending.push(Buffer.from(rest));
        }
      }
    }
  }
  if (pendingBytes > 0 || tooLong) yield finish(Buffer.alloc(0));
}

export interface RawElement {
  bytes: Buffer | undefined;
  /** 1-based element index in the array. */
  index: number;
  /** 1-based line where the element starts. */
  line: number;
}

/**
 * Top-level elements of a JSON array, scanned on bytes (JSON's structural characters are ASCII, so UTF-8 needs no
 * decoding to find them). Throws when the text is not an array or ends early.
 */
export async function* splitJsonArray(
  chunks: AsyncIterable<Buffer>,
  maxElementBytes: number,
): AsyncGenerator<RawElement> {
  let state: 'start' | 'between' | 'element' | 'done' = 'start';
  let depth = 0;
  let inString = false;
  let afterBackslash = false;
  let line = 1;
  let startLine = 1;
  let index = 0;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let tooLong = false;
  let bomChecked = false;
  for await (let chunk of chunks) {
    if (!bomChecked) {
      bomChecked = true;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    let elemStart = state === 'element' ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === 0x0a) line++;
      if (state === 'element') {
        if (inString) {
          if (afterBackslash) afterBackslash = false;
          else if (c === 0x5c) afterBackslash = true;
          else if (c === 0x22) inString = false;
          continue;
        }
        if (c === 0x22) inString = true;
        else if (c === 0x7b || c === 0x5b) depth++;
        else if (c === 0x7d || c === 0x5d) {
          if (depth > 0) depth--;
          else {
            // ']' closing the array ends the last element.
            yield takeElement(chunk.subarray(elemStart, i));
            state = 'done';
            continue;
          }
        } else if (c === 0x2c && depth === 0) {
          yield takeElement(chunk.subarray(elemStart, i));
          state = 'between';
        }
        continue;
      }
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
      if (state === 'start') {
        if (c !== 0x5b) throw new Error(`not a JSON array: unexpected "${String.fromCharCode(c)}" on line ${line}`);
        state = 'between';
      } else if (state === 'between') {
        if (c === 0x5d && index === 0) {
          state = 'done';
          continue;
        }
        state = 'element';
        elemStart = i;
        startLine = line;
        i--; // re-scan this byte (never a newline) as part of the element
      } else if (state === 'done') {
        throw new Error(`unexpected text after the end of the JSON array on line ${line}`);
      }
    }
    if (state === 'element' && elemStart >= 0) {
      const rest = chunk.subarray(elemStart);
      partBytes += rest.length;
      if (partBytes > maxElementBytes) tooLong = true;
      if (!tooLong) parts.push(Buffer.from(rest));
      else parts = [];
    }
  }
  if ((state as string) !== 'done') throw new Error(`the JSON array is not closed (ended on line ${line})`);

  function takeElement(tail: Buffer): RawElement {
    index++;
    const bytes =
      tooLong || partBytes + tail.length > maxElementBytes
        ? undefined
        : parts.length
          ? Buffer.concat([...parts, tail])
          : Buffer.from(tail);
    parts = [];
    partBytes = 0;
    tooLong = false;
    depth = 0;
    return { bytes, index, line: startLine };
  }
}

/**
 * Strict UTF-8 decoding; undefined when the bytes are not valid UTF-8. `isUtf8` (simdutf) + `toString` is several
 * times faster than a fatal TextDecoder in Node 20 and rejects exactly the same inputs.
 */
export function decodeUtf8(bytes: Buffer): string | undefined {
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

/** The first non-whitespace byte of a file (after a BOM), or undefined for an empty file. */
export async function firstSignificantByte(chunks: AsyncIterable<Buffer>): Promise<number | undefined> {
  let first = true;
  for await (let chunk of chunks) {
    if (first && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf)
      chunk = chunk.subarray(3);
    first = false;
    for (const c of chunk) if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c;
  }
  return undefined;
}
