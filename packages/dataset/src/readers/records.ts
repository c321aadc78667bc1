// Turns parsed JS values into RecordBatches: validation, field selection, schema inference.
import type { RecordBatch } from 'apache-arrow';
import type { ErrorReport } from '../errors.js';
import { checkRequired, selectFields } from '../fields.js';
import { batchFromRecords, type SchemaInferrer } from '../schema.js';

export class RecordBatcher {
  private records: Record<string, unknown>[] = [];

  constructor(
    private readonly errors: ErrorReport,
    private readonly inferrer: SchemaInferrer,
    private readonly batchRows: number,
    private readonly fields: string[] | undefined,
    private readonly required: string[] | undefined,
  ) {}

  /** Accepts or rejects one parsed value; returns a full batch when one is ready. */
  push(value: unknown, file: string, line: number): RecordBatch | undefined {
    this.errors.countRead();
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.errors.record({
        file,
        line,
        reason: 'not-an-object',
        message: `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`,
      });
      return undefined;
    }
    let rec = value as Record<string, unknown>;
    if (this.required) {
      const problem = checkRequired(rec, this.required);
      if (problem) {
        this.errors.record({ file, line, reason: problem.reason, field: problem.field });
        return undefined;
      }
    }
    if (this.fields) rec = selectFields(rec, this.fields);
    this.inferrer.observe(rec);
    this.records.push(rec);
    return this.records.length >= this.batchRows ? this.flush() : undefined;
  }

  /** The pending records as a batch (in the schema of everything seen so far), or undefined when none. */
  flush(): RecordBatch | undefined {
    if (this.records.length === 0) return undefined;
    const batch = batchFromRecords(this.records, this.inferrer.schema());
    this.records = [];
    return batch;
  }
}
