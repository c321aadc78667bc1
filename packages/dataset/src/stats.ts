// datasetStats: rows, bytes, fields and types of a dataset, per file and in total (reads every file once).
import { stat } from 'node:fs/promises';
import { type DataType, type Field, type Schema, Type } from 'apache-arrow';
import { ErrorReport } from './errors.js';
import { type DatasetFormat, detectFormat, listDatasetFiles } from './format.js';
import { readDataset } from './read.js';
import { isJsonField, unifySchemas } from './schema.js';

export interface FieldStats {
  name: string;
  /** Arrow type as text ('Utf8', 'Int64', 'Struct<{...}>'); 'json' for a field holding JSON text (mixed types). */
  type: string;
  nullable: boolean;
}

export interface FileStats {
  path: string;
  format: DatasetFormat;
  bytes: number;
  rows: number;
  /** Records rejected while reading (malformed lines...). */
  rejected: number;
  fields: FieldStats[];
}

export interface DatasetStats {
  files: FileStats[];
  rows: number;
  bytes: number;
  rejected: number;
  fields: FieldStats[];
}

export interface StatsOptions {
  /** Called with the number of rows of each batch read (progress). */
  onRows?: (rows: number) => void;
  signal?: AbortSignal;
}

/** Reads every record once (streaming) and reports rows, bytes on disk, and the unified fields. */
export async function datasetStats(input: string | string[], opts: StatsOptions = {}): Promise<DatasetStats> {
  const files = await listDatasetFiles(input);
  if (files.length === 0) throw new Error(`no dataset files in ${Array.isArray(input) ? input.join(', ') : input}`);
  const out: FileStats[] = [];
  const schemas: Schema[] = [];
  for (const path of files) {
    const errors = new ErrorReport();
    const fileSchemas: Schema[] = [];
    let rows = 0;
    for await (const batch of readDataset(path, { errors, signal: opts.signal })) {
      rows += batch.numRows;
      fileSchemas.push(batch.schema);
      opts.onRows?.(batch.numRows);
    }
    const schema = unifySchemas(fileSchemas);
    schemas.push(schema);
    out.push({
      path,
      format: detectFormat(path).format,
      bytes: (await stat(path)).size,
      rows,
      rejected: errors.rejected,
      fields: describeFields(schema.fields),
    });
  }
  return {
    files: out,
    rows: out.reduce((a, f) => a + f.rows, 0),
    bytes: out.reduce((a, f) => a + f.bytes, 0),
    rejected: out.reduce((a, f) => a + f.rejected, 0),
    fields: describeFields(unifySchemas(schemas).fields),
  };
}

function describeFields(fields: readonly Field[]): FieldStats[] {
  return fields.map((f) => ({ name: f.name, type: typeText(f), nullable: f.nullable }));
}

/** A compact type name: json for JSON-text fields, nested types spelled out. */
export function typeText(f: Field): string {
  if (isJsonField(f)) return 'json';
  return dataTypeText(f.type);
}

function dataTypeText(t: DataType): string {
  const kids = (t.children ?? []) as Field[];
  if (t.typeId === Type.Struct) return `Struct<${kids.map((c) => `${c.name}: ${typeText(c)}`).join(', ')}>`;
  if (t.typeId === Type.List || t.typeId === Type.FixedSizeList) return `List<${typeText(kids[0]!)}>`;
  return String(t);
}
