// Rejected records: counted by reason, optionally listed in a jsonl file that appears only when complete.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Why a record was rejected. */
export type RejectReason =
  | 'invalid-json'
  | 'invalid-utf8'
  | 'not-an-object'
  | 'missing-field'
  | 'null-field'
  | 'not-a-string'
  | 'line-too-long'
  | 'csv-error';

export interface RejectedRecord {
  file: string;
  /** 1-based line (jsonl, json lines, csv) or record number (json array, parquet, arrow) in `file`. */
  line: number;
  reason: RejectReason | string;
  field?: string;
  /** A short human explanation (parser message...). */
  message?: string;
}

export interface ErrorSummary {
  read: number;
  written: number;
  rejected: number;
  byReason: Record<string, number>;
}

export interface ErrorReportOptions {
  /** Write every rejected record as one JSON line here; the file appears (atomically) on `close()`. */
  sinkPath?: string;
}

/**
 * Collects rejected records. Readers call `record()` and `countRead()`; whoever writes calls `countWritten()`.
 * Memory stays bounded: rejected records go straight to the sink file, only counts are kept.
 */
export class ErrorReport {
  read = 0;
  written = 0;
  rejected = 0;
  readonly byReason: Record<string, number> = {};
  readonly sinkPath: string | undefined;
  private fd: number | undefined;
  private readonly tmpPath: string | undefined;

  constructor(opts: ErrorReportOptions = {}) {
    this.sinkPath = opts.sinkPath;
    if (opts.sinkPath) {
      this.tmpPath = join(
        dirname(opts.sinkPath),
        `.${basename(opts.sinkPath)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`,
      );
    }
  }

  record(rejected: RejectedRecord): void {
    this.rejected++;
    this.byReason[rejected.reason] = (this.byReason[rejected.reason] ?? 0) + 1;
    if (this.tmpPath) {
      if (this.fd === undefined) this.fd = openSync(this.tmpPath, 'w');
      const { file, line, reason, field, message } = rejected;
      writeSync(this.fd, `${JSON.stringify({ file, line, reason, field, message })}\n`);
    }
  }

  countRead(n = 1): void {
    this.read += n;
  }

  countWritten(n = 1): void {
    this.written += n;
  }

  summary(): ErrorSummary {
    return { read: this.read, written: this.written, rejected: this.rejected, byReason: { ...this.byReason } };
  }

  /** Finishes the sink file: fsync + rename, so it exists only complete (empty when nothing was rejected). */
  async close(): Promise<void> {
    if (!this.tmpPath || !this.sinkPath) return;
    if (this.fd === undefined) this.fd = openSync(this.tmpPath, 'w');
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
    renameSync(this.tmpPath, this.sinkPath);
  }

  /** Drops the unfinished sink file (on failure). */
  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.tmpPath) rmSync(this.tmpPath, { force: true });
  }
}
