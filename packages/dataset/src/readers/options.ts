import type { ErrorReport } from '../errors.js';
import type { DatasetFormat } from '../format.js';

export interface ReadOptions {
  /** Force a format instead of detecting it from the extension (for a folder: only files of this format). */
  format?: DatasetFormat;
  /** Rows per emitted RecordBatch for text formats, and the parquet read batch size (default 4096). */
  batchRows?: number;
  /** Keep only these fields; dotted paths reach into objects ('meta.title'); output columns are named by the path. */
  fields?: string[];
  /** Fields every record must have as a non-null string (e.g. the text key); others are rejected and reported. */
  requiredFields?: string[];
  /** Where rejected records are counted and listed. Without it they are still skipped, counted in a private report. */
  errors?: ErrorReport;
  /** Stops reading between batches. */
  signal?: AbortSignal;
  /** A single jsonl line / json array element / csv record larger than this is rejected (default 256 MiB). */
  maxRecordBytes?: number;
}

export const DEFAULT_BATCH_ROWS = 4096;
export const DEFAULT_MAX_RECORD_BYTES = 256 * 1024 * 1024;
