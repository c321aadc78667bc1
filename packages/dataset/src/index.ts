// Public surface of @steel/dataset.
export { fsyncFile, tempPathFor, writeAtomically } from './atomic.js';
export type { ErrorReportOptions, ErrorSummary, RejectedRecord, RejectReason } from './errors.js';
export { ErrorReport } from './errors.js';
export type { FieldProblem } from './fields.js';
export { checkRequired, getPath, parseFieldList, selectFields } from './fields.js';
export type { Compression, DatasetFormat, ListOptions } from './format.js';
export { DATASET_FORMATS, detectFormat, listDatasetFiles, SUPPORTED_EXTENSIONS } from './format.js';
export { parseJson, RawJson, stringifyJson } from './json.js';
// Packed token shards (lit-gpt LITPKDS) — packed/ (issue #4).
export type {
  PackedDtype,
  PackedHeader,
  PackedManifest,
  PackedReaderOptions,
  PackedReaderState,
  PackedShardInfo,
  PackedWindow,
  PackedWriterOptions,
  PackedWriteSummary,
} from './packed/index.js';
export {
  autoDtype,
  encodePackedHeader,
  PACKED_DTYPE_CODES,
  PACKED_HEADER_BYTES,
  PACKED_MAGIC,
  PACKED_MANIFEST_NAME,
  PACKED_VERSION,
  PackedFormatError,
  PackedShardWriter,
  PackedWindowReader,
  parsePackedHeader,
  readPackedManifest,
  windowPermutation,
  writePackedManifest,
} from './packed/index.js';
export type { ReadOptions } from './read.js';
export { readDataset } from './read.js';
export {
  batchFromRecords,
  castBatch,
  inferSchema,
  isJsonField,
  META_INT,
  META_JSON,
  META_NULL,
  recordsFromBatch,
  SchemaInferrer,
  schemasEqual,
  unifyFields,
  unifySchemas,
} from './schema.js';
export type { DoneInfo, ShardSpec, SplitOptions } from './shard.js';
export { DoneMarkers, parseShardSpec, shardOf, splitIntoShards } from './shard.js';
export type { DatasetStats, FieldStats, FileStats, StatsOptions } from './stats.js';
export { datasetStats, typeText } from './stats.js';
export type { WriteCompression, WriteOptions, WriteSummary } from './write.js';
export { DEFAULT_ROW_GROUP_BYTES, DEFAULT_ROW_GROUP_ROWS, writeDataset } from './write.js';
