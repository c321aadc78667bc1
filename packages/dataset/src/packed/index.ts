// The packed-token shard format (lit-gpt LITPKDS): writer, manifest, exact-resume window reader.
export {
  autoDtype,
  encodePackedHeader,
  PACKED_DTYPE_CODES,
  PACKED_HEADER_BYTES,
  PACKED_MAGIC,
  PACKED_VERSION,
  type PackedDtype,
  PackedFormatError,
  type PackedHeader,
  parsePackedHeader,
} from './format.js';
export { PACKED_MANIFEST_NAME, type PackedManifest, readPackedManifest, writePackedManifest } from './manifest.js';
export {
  type PackedReaderOptions,
  type PackedReaderState,
  type PackedWindow,
  PackedWindowReader,
  windowPermutation,
} from './reader.js';
export {
  type PackedShardInfo,
  PackedShardWriter,
  type PackedWriterOptions,
  type PackedWriteSummary,
} from './writer.js';
