// `steel data convert` and `steel data stats`: thin shells over @steel/dataset.
import {
  DATASET_FORMATS,
  type DatasetFormat,
  datasetStats,
  detectFormat,
  ErrorReport,
  parseFieldList,
  readDataset,
  type WriteCompression,
  writeDataset,
} from '@steel/dataset';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { createProgress } from '../progress.js';

interface ConvertOptions {
  format?: string;
  inputFormat?: string;
  fields?: string;
  textKey?: string;
  errors?: string;
  compression?: string;
  rowGroupRows?: string;
  overwrite?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export interface ConvertSummary {
  input: string;
  output: string;
  format: DatasetFormat;
  read: number;
  written: number;
  rejected: number;
  byReason: Record<string, number>;
  bytes: number;
  seconds: number;
  errorsFile?: string;
}

const COMPRESSIONS: WriteCompression[] = ['none', 'gzip', 'zstd', 'snappy'];

function formatOption(flag: string, value: string | undefined): DatasetFormat | undefined {
  if (value === undefined) return undefined;
  if (!(DATASET_FORMATS as readonly string[]).includes(value)) {
    throw new CliError(`${flag} must be one of ${DATASET_FORMATS.join(', ')}, got '${value}'`);
  }
  return value as DatasetFormat;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function runConvert(input: string, output: string, opts: ConvertOptions): Promise<ConvertSummary> {
  const format = formatOption('--format', opts.format);
  const inputFormat = formatOption('--input-format', opts.inputFormat);
  let outFormat: DatasetFormat;
  try {
    outFormat = format ?? detectFormat(output).format;
  } catch (err) {
    throw new CliError(`${message(err)} (or pass --format)`);
  }
  if (opts.compression !== undefined && !COMPRESSIONS.includes(opts.compression as WriteCompression)) {
    throw new CliError(`--compression must be one of ${COMPRESSIONS.join(', ')}, got '${opts.compression}'`);
  }
  let rowGroupRows: number | undefined;
  if (opts.rowGroupRows !== undefined) {
    rowGroupRows = Number(opts.rowGroupRows);
    if (!Number.isInteger(rowGroupRows) || rowGroupRows < 1) {
      throw new CliError(`--row-group-rows must be a positive integer, got '${opts.rowGroupRows}'`);
    }
  }
  let fields: string[] | undefined;
  try {
    fields = opts.fields ? parseFieldList(opts.fields) : undefined;
  } catch (err) {
    throw new CliError(`--fields: ${message(err)}`);
  }
  if (opts.textKey !== undefined && opts.textKey.trim() === '') throw new CliError('--text-key must not be empty');
  // The text key is required, and kept when --fields selects a subset.
  if (fields && opts.textKey && !fields.includes(opts.textKey)) fields = [opts.textKey, ...fields];

  const errors = new ErrorReport(opts.errors ? { sinkPath: opts.errors } : {});
  const progress = createProgress({ label: 'convert', unit: 'rows', quiet: opts.quiet ?? false });
  const t0 = performance.now();
  try {
    const summary = await writeDataset(
      readDataset(input, {
        ...(inputFormat ? { format: inputFormat } : {}),
        ...(fields ? { fields } : {}),
        ...(opts.textKey ? { requiredFields: [opts.textKey] } : {}),
        errors,
      }),
      output,
      {
        format: outFormat,
        ...(opts.compression ? { compression: opts.compression as WriteCompression } : {}),
        ...(rowGroupRows ? { rowGroupRows } : {}),
        overwrite: opts.overwrite ?? false,
        onBatch: (rows) => progress.tick(rows),
      },
    );
    errors.countWritten(summary.rows);
    await errors.close();
    const s = errors.summary();
    return {
      input,
      output: summary.path,
      format: outFormat,
      read: s.read,
      written: s.written,
      rejected: s.rejected,
      byReason: s.byReason,
      bytes: summary.bytes,
      seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
      ...(opts.errors ? { errorsFile: opts.errors } : {}),
    };
  } catch (err) {
    errors.abort();
    throw new CliError(message(err));
  } finally {
    progress.done();
  }
}

function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

function printConvert(s: ConvertSummary): void {
  const reasons = Object.entries(s.byReason)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  const lines = [
    `${s.input} -> ${s.output} (${s.format}, ${humanBytes(s.bytes)}, ${s.seconds.toFixed(1)} s)`,
    `read ${s.read}, written ${s.written}, rejected ${s.rejected}${reasons ? ` (${reasons})` : ''}`,
  ];
  if (s.errorsFile) lines.push(`rejected records listed in ${s.errorsFile}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerData(program: Command): void {
  const data = program
    .command('data')
    .description('convert and inspect datasets: jsonl (.gz/.zst), json, csv, parquet, Arrow IPC');

  data
    .command('convert <input> <output>')
    .description(
      'convert a file or folder (any supported format) into one jsonl / jsonl.gz / json / csv / parquet / Arrow IPC file',
    )
    .option('--format <format>', `output format (${DATASET_FORMATS.join('|')}); default from the output extension`)
    .option('--input-format <format>', 'read inputs as this format whatever their extension')
    .option(
      '--fields <list>',
      'keep only these fields, comma-separated; dotted paths reach into objects (text,meta.title)',
    )
    .option(
      '--text-key <key>',
      'records whose <key> is missing, null or not a string are rejected and reported (the key is kept with --fields)',
    )
    .option('--errors <report.jsonl>', 'list every rejected record (file, line, reason) in this jsonl file')
    .option('--compression <codec>', 'parquet: zstd (default) | snappy | gzip | none; jsonl: none | gzip')
    .option('--row-group-rows <n>', 'parquet rows per row group (default 16384)')
    .option('--overwrite', 'replace the output if it exists')
    .option('--json', 'print the summary as JSON on stdout')
    .option('--quiet', 'no progress on stderr')
    .action(async (input: string, output: string, opts: ConvertOptions) => {
      const summary = await runConvert(input, output, opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else if (!opts.quiet) printConvert(summary);
    });

  data
    .command('stats <input>')
    .description('rows, bytes, field names and types of a file or folder, per file and in total')
    .option('--json', 'print the stats as JSON on stdout')
    .option('--quiet', 'no progress on stderr')
    .action(async (input: string, opts: { json?: boolean; quiet?: boolean }) => {
      const progress = createProgress({ label: 'stats', unit: 'rows', quiet: opts.quiet ?? false });
      let stats: Awaited<ReturnType<typeof datasetStats>>;
      try {
        stats = await datasetStats(input, { onRows: (n) => progress.tick(n) });
      } catch (err) {
        throw new CliError(message(err));
      } finally {
        progress.done();
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(stats)}\n`);
        return;
      }
      const out: string[] = [];
      for (const f of stats.files) {
        out.push(
          `${f.path}  ${f.format}  ${f.rows} rows  ${humanBytes(f.bytes)}${f.rejected ? `  ${f.rejected} rejected` : ''}`,
        );
      }
      out.push(
        `total: ${stats.files.length} files, ${stats.rows} rows, ${humanBytes(stats.bytes)}${stats.rejected ? `, ${stats.rejected} rejected` : ''}`,
      );
      out.push('fields:');
      for (const f of stats.fields) out.push(`  ${f.name}: ${f.type}${f.nullable ? ' (nullable)' : ''}`);
      process.stdout.write(`${out.join('\n')}\n`);
    });
}
