// The lit-gpt / TinyLlama `PackedDataset` chunk layout (Steel-LLM spec §2.4), read and written here only.
//   offset 0  7 bytes  magic "LITPKDS"
//   offset 7  8 bytes  version, uint64 LE = 1
//   offset 15 1 byte   dtype code (1 uint8, 2 int8, 3 int16, 4 int32, 5 int64, 6 float32, 7 float64, 8 uint16)
//   offset 16 8 bytes  chunk size in tokens, uint64 LE
//   offset 24          chunk_size tokens, little-endian
export const PACKED_MAGIC = 'LITPKDS';
export const PACKED_VERSION = 1;
export const PACKED_HEADER_BYTES = 24;

/** Token dtypes this package reads and writes (Steel: int32, since the vocabulary exceeds 65,500). */
export type PackedDtype = 'int32' | 'uint16';

export const PACKED_DTYPE_CODES: Readonly<Record<string, number>> = {
  uint8: 1,
  int8: 2,
  int16: 3,
  int32: 4,
  int64: 5,
  float32: 6,
  float64: 7,
  uint16: 8,
};

const ITEM_SIZE: Record<PackedDtype, number> = { int32: 4, uint16: 2 };

export interface PackedHeader {
  version: number;
  dtypeCode: number;
  dtype: PackedDtype;
  itemSize: number;
  chunkSize: number;
}

export class PackedFormatError extends Error {
  override name = 'PackedFormatError';
}

export function itemSizeOf(dtype: PackedDtype): number {
  return ITEM_SIZE[dtype];
}

/** lit-gpt's dtype="auto": uint16 when the vocabulary fits below 65,500, else int32. */
export function autoDtype(vocabSize: number): PackedDtype {
  return vocabSize < 65500 ? 'uint16' : 'int32';
}

export function encodePackedHeader(dtype: PackedDtype, chunkSize: number): Uint8Array {
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new PackedFormatError(`chunk size must be a positive integer, got ${chunkSize}`);
  }
  const buf = new Uint8Array(PACKED_HEADER_BYTES);
  const view = new DataView(buf.buffer);
  for (let i = 0; i < PACKED_MAGIC.length; i++) buf[i] = PACKED_MAGIC.charCodeAt(i);
  view.setBigUint64(7, BigInt(PACKED_VERSION), true);
  view.setUint8(15, PACKED_DTYPE_CODES[dtype]!);
  view.setBigUint64(16, BigInt(chunkSize), true);
  return buf;
}

/** Parses and checks a header; `where` (a file name) prefixes every error. */
export function parsePackedHeader(bytes: Uint8Array, where: string): PackedHeader {
  if (bytes.length < PACKED_HEADER_BYTES) {
    throw new PackedFormatError(`${where}: too short for a LITPKDS header (${bytes.length} < 24 bytes)`);
  }
  const magic = String.fromCharCode(...bytes.subarray(0, 7));
  if (magic !== PACKED_MAGIC) {
    throw new PackedFormatError(
      `${where}: not a packed token file (magic ${JSON.stringify(magic)}, expected "LITPKDS")`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, PACKED_HEADER_BYTES);
  const version = Number(view.getBigUint64(7, true));
  if (version !== PACKED_VERSION)
    throw new PackedFormatError(`${where}: unsupported LITPKDS version ${version} (expected 1)`);
  const dtypeCode = view.getUint8(15);
  const dtype = (Object.keys(ITEM_SIZE) as PackedDtype[]).find((d) => PACKED_DTYPE_CODES[d] === dtypeCode);
  if (!dtype) {
    throw new PackedFormatError(`${where}: token dtype code ${dtypeCode} is not supported (4 int32 and 8 uint16 are)`);
  }
  const chunkSize = Number(view.getBigUint64(16, true));
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new PackedFormatError(`${where}: bad chunk size ${chunkSize}`);
  }
  return { version, dtypeCode, dtype, itemSize: ITEM_SIZE[dtype], chunkSize };
}
