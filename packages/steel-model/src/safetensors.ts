// The safetensors format (https://huggingface.co/docs/safetensors): 8-byte little-endian header length N, N bytes
// of UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the data.
// Reading is lazy (tensor by tensor from a file handle) and every header field is checked against the real file
// before anything is allocated, so a corrupt or hostile file is a clear SafetensorsError, never a huge allocation.
import fs from 'node:fs/promises';
import { SafetensorsError } from './errors.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './half.js';

export const DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
} as const;
export type SafetensorsDtype = keyof typeof DTYPE_BYTES;
/** Dtypes that readFloat32 converts (float weights). */
export const FLOAT_DTYPES = ['F64', 'F32', 'F16', 'BF16'] as const;
/** Dtypes writeSafetensors can produce from float32 data. */
export type WriteDtype = 'F32' | 'F16' | 'BF16';

/** The same cap as the reference Rust implementation (MAX_HEADER_SIZE = 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;
const READ_CHUNK = 1 << 24; // 16 MiB per read syscall / conversion scratch
/** The data is little-endian; on a little-endian host (every Node platform in practice) typed arrays view it directly. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let f16Table: Float32Array | null = null;
/** All 65536 float16 values as float32 (256 KiB, built on first use): conversion by lookup. */
function f16Lookup(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = f16ToF32(i);
  }
  return f16Table;
}

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte offsets relative to the start of the data section (after the header). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  /** In file order (ascending offsets). */
  tensors: TensorInfo[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Validates a decoded header against the data section length: known dtypes, integer shapes, offsets inside the
 * data, byte length = numel x dtype size, and offsets that tile the data exactly (no overlap, no hole, no tail).
 */
export function parseSafetensorsHeader(file: string, json: unknown, dataLength: number): SafetensorsHeader {
  if (!isPlainObject(json)) throw new SafetensorsError(file, 'header JSON is not an object');
  let metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isPlainObject(entry)) throw new SafetensorsError(file, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new SafetensorsError(file, `__metadata__.${k} is not a string`);
      }
      metadata = entry as Record<string, string>;
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (!isPlainObject(entry)) throw new SafetensorsError(file, `${where}: entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
      throw new SafetensorsError(
        file,
        `${where}: dtype ${JSON.stringify(dtype)} is not one of ${Object.keys(DTYPE_BYTES).join(', ')}`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(file, `${where}: shape ${JSON.stringify(shape)} is not a list of integers >= 0`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      throw new SafetensorsError(
        file,
        `${where}: data_offsets ${JSON.stringify(offsets)} is not [begin, end] with 0 <= begin <= end`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength) {
      throw new SafetensorsError(
        file,
        `${where}: data_offsets end ${end} is past the data section (${dataLength} bytes)`,
      );
    }
    let expected = DTYPE_BYTES[dtype as SafetensorsDtype];
    for (const d of shape as number[]) {
      expected *= d;
      if (expected > Number.MAX_SAFE_INTEGER)
        throw new SafetensorsError(file, `${where}: shape ${JSON.stringify(shape)} is too large`);
    }
    if (expected !== end - begin) {
      throw new SafetensorsError(
        file,
        `${where}: ${dtype} ${JSON.stringify(shape)} needs ${expected} bytes but data_offsets span ${end - begin}`,
      );
    }
    tensors.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end });
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of tensors) {
    if (t.begin < cursor) {
      throw new SafetensorsError(
        file,
        `tensor ${JSON.stringify(t.name)} overlaps the previous tensor (begins at ${t.begin} < ${cursor})`,
      );
    }
    if (t.begin > cursor) {
      throw new SafetensorsError(file, `unindexed bytes ${cursor}..${t.begin} before tensor ${JSON.stringify(t.name)}`);
    }
    cursor = t.end;
  }
  if (cursor !== dataLength) {
    throw new SafetensorsError(file, `data section has ${dataLength} bytes but the tensors cover ${cursor}`);
  }
  return { metadata, tensors };
}

async function readFully(fh: fs.FileHandle, file: string, target: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const len = Math.min(target.length - done, 1 << 30);
    const { bytesRead } = await fh.read(target, done, len, position + done);
    if (bytesRead === 0)
      throw new SafetensorsError(file, `file ended while reading bytes ${position}..${position + target.length}`);
    done += bytesRead;
  }
}

/** An open safetensors file. Tensors are read on demand; call close() when done. */
export class SafetensorsFile {
  readonly metadata: Record<string, string>;
  readonly tensors: readonly TensorInfo[];
  private readonly byName: Map<string, TensorInfo>;

  private constructor(
    readonly path: string,
    private readonly fh: fs.FileHandle,
    private readonly dataStart: number,
    header: SafetensorsHeader,
  ) {
    this.metadata = header.metadata;
    this.tensors = header.tensors;
    this.byName = new Map(header.tensors.map((t) => [t.name, t]));
  }

  static async open(path: string, options: { maxHeaderBytes?: number } = {}): Promise<SafetensorsFile> {
    const maxHeader = options.maxHeaderBytes ?? MAX_HEADER_BYTES;
    const fh = await fs.open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      if (size < 8)
        throw new SafetensorsError(
          path,
          `${size} bytes is too small for a safetensors file (8-byte header length + header)`,
        );
      const lenBytes = new Uint8Array(8);
      await readFully(fh, path, lenBytes, 0);
      const headerLen = new DataView(lenBytes.buffer).getBigUint64(0, true);
      if (headerLen > BigInt(maxHeader)) {
        throw new SafetensorsError(
          path,
          `header length ${headerLen} exceeds the ${maxHeader}-byte limit (corrupt or not safetensors)`,
        );
      }
      const n = Number(headerLen);
      if (8 + n > size)
        throw new SafetensorsError(path, `header length ${n} runs past the end of the file (${size} bytes)`);
      const headerBytes = new Uint8Array(n);
      await readFully(fh, path, headerBytes, 8);
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
      } catch {
        throw new SafetensorsError(path, 'header is not valid UTF-8');
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new SafetensorsError(path, `header is not valid JSON (${(err as Error).message})`);
      }
      const header = parseSafetensorsHeader(path, json, size - 8 - n);
      return new SafetensorsFile(path, fh, 8 + n, header);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  info(name: string): TensorInfo {
    const t = this.byName.get(name);
    if (!t) throw new SafetensorsError(this.path, `no tensor named ${JSON.stringify(name)}`);
    return t;
  }

  /** The raw little-endian bytes of one tensor. */
  async readBytes(name: string): Promise<Uint8Array> {
    const t = this.info(name);
    const out = new Uint8Array(t.end - t.begin);
    await readFully(this.fh, this.path, out, this.dataStart + t.begin);
    return out;
  }

  /** One tensor as float32 (F32 read in place; F16, BF16, F64 converted in 16 MiB chunks). */
  async readFloat32(name: string): Promise<Float32Array> {
    const t = this.info(name);
    const count = (t.end - t.begin) / DTYPE_BYTES[t.dtype];
    const out = new Float32Array(count);
    const pos = this.dataStart + t.begin;
    if (t.dtype === 'F32' && LITTLE_ENDIAN) {
      await readFully(this.fh, this.path, new Uint8Array(out.buffer), pos);
      return out;
    }
    if (t.dtype !== 'F16' && t.dtype !== 'BF16' && t.dtype !== 'F64' && t.dtype !== 'F32') {
      throw new SafetensorsError(
        this.path,
        `tensor ${JSON.stringify(name)} has dtype ${t.dtype}; readFloat32 reads ${FLOAT_DTYPES.join(', ')}`,
      );
    }
    const width = DTYPE_BYTES[t.dtype];
    const scratch = new Uint8Array(Math.min(READ_CHUNK, t.end - t.begin));
    const view = new DataView(scratch.buffer);
    for (let done = 0; done < count; ) {
      const n = Math.min(count - done, scratch.length / width);
      const chunk = scratch.subarray(0, n * width);
      await readFully(this.fh, this.path, chunk, pos + done * width);
      if (t.dtype === 'F64') for (let i = 0; i < n; i++) out[done + i] = view.getFloat64(i * 8, true);
      else if (t.dtype === 'F32') for (let i = 0; i < n; i++) out[done + i] = view.getFloat32(i * 4, true);
      else if (LITTLE_ENDIAN) {
        const u16 = new Uint16Array(scratch.buffer, 0, n);
        if (t.dtype === 'BF16') {
          const o32 = new Uint32Array(out.buffer, done * 4, n); // bf16 is the top half of a float32
          for (let i = 0; i < n; i++) o32[i] = u16[i]! << 16;
        } else {
          const table = f16Lookup();
          for (let i = 0; i < n; i++) out[done + i] = table[u16[i]!]!;
        }
      } else if (t.dtype === 'BF16') for (let i = 0; i < n; i++) out[done + i] = bf16ToF32(view.getUint16(i * 2, true));
      else for (let i = 0; i < n; i++) out[done + i] = f16ToF32(view.getUint16(i * 2, true));
      done += n;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** A tensor to write: float32 values (or a function producing them, called once, when it is written). */
export interface TensorToWrite {
  name: string;
  shape: number[];
  dtype: WriteDtype;
  data: Float32Array | (() => Float32Array | Promise<Float32Array>);
}

/** Bytes the encoded data of a tensor takes. */
export function tensorBytes(shape: readonly number[], dtype: WriteDtype): number {
  return shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
}

/** The header bytes (length prefix included, JSON padded with spaces to a multiple of 8 as the Rust writer does). */
export function encodeHeader(
  tensors: readonly Pick<TensorToWrite, 'name' | 'shape' | 'dtype'>[],
  metadata?: Record<string, string>,
): { bytes: Uint8Array; dataLength: number } {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (seen.has(t.name)) throw new Error(`safetensors: duplicate tensor name ${JSON.stringify(t.name)}`);
    if (t.name === '__metadata__') throw new Error('safetensors: "__metadata__" is reserved and cannot name a tensor');
    seen.add(t.name);
    const n = tensorBytes(t.shape, t.dtype);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = JSON.stringify(header);
  const jsonBytes = () => Buffer.byteLength(json, 'utf8');
  while (jsonBytes() % 8 !== 0) json += ' ';
  const body = Buffer.from(json, 'utf8');
  const bytes = new Uint8Array(8 + body.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(body.length), true);
  bytes.set(body, 8);
  return { bytes, dataLength: offset };
}

/** Encodes float32 values as F32 / F16 / BF16 little-endian bytes. */
export function encodeFloats(values: Float32Array, dtype: WriteDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.length * 2);
  if (dtype === 'BF16' && LITTLE_ENDIAN) {
    // Same rounding as f32ToBf16 (nearest, ties to even; NaN kept quiet), on the raw bits without a call per value.
    const u32 = new Uint32Array(values.buffer, values.byteOffset, values.length);
    const o16 = new Uint16Array(out.buffer);
    for (let i = 0; i < u32.length; i++) {
      const x = u32[i]!;
      o16[i] = (x & 0x7fffffff) > 0x7f800000 ? (x >>> 16) | 0x0040 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    }
    return out;
  }
  const view = new DataView(out.buffer);
  const conv = dtype === 'BF16' ? f32ToBf16 : f32ToF16;
  for (let i = 0; i < values.length; i++) view.setUint16(i * 2, conv(values[i]!), true);
  return out;
}

/**
 * Writes a safetensors file tensor by tensor (a lazy `data` is produced only when written, so peak memory is one
 * tensor). Writes `path` directly: callers wanting atomicity write into a temp folder and rename (see checkpoint.ts).
 */
export async function writeSafetensors(
  path: string,
  tensors: readonly TensorToWrite[],
  options: { metadata?: Record<string, string> } = {},
): Promise<{ bytes: number }> {
  const { bytes: head, dataLength } = encodeHeader(tensors, options.metadata);
  const fh = await fs.open(path, 'w');
  try {
    await fh.write(head, 0, head.length, 0);
    let pos = head.length;
    for (const t of tensors) {
      const values = typeof t.data === 'function' ? await t.data() : t.data;
      const count = t.shape.reduce((a, b) => a * b, 1);
      if (values.length !== count) {
        throw new Error(
          `safetensors: tensor ${t.name} has ${values.length} values but shape ${JSON.stringify(t.shape)} needs ${count}`,
        );
      }
      for (let start = 0; start < count; start += READ_CHUNK / 4) {
        const chunk = encodeFloats(values.subarray(start, Math.min(count, start + READ_CHUNK / 4)), t.dtype);
        let done = 0;
        while (done < chunk.length) {
          const { bytesWritten } = await fh.write(chunk, done, chunk.length - done, pos);
          done += bytesWritten;
          pos += bytesWritten;
        }
      }
    }
    if (pos !== head.length + dataLength)
      throw new Error(`safetensors: wrote ${pos} bytes, expected ${head.length + dataLength}`);
    return { bytes: pos };
  } finally {
    await fh.close();
  }
}
