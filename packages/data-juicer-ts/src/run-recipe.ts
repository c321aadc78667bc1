// Execute a loaded recipe end to end: read `dataset_path` with @steel/dataset, run the ops, write `export_path`,
// the `<export>_stats.jsonl` stats file and (open_tracer) the trace files. The library core of `steel-dj process`.

import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import {
  batchFromRecords,
  ErrorReport,
  type ErrorSummary,
  readDataset,
  recordsFromBatch,
  writeDataset,
} from '@steel/dataset';
import type { Deduplicator } from './op.js';
import { type OpReport, Pipeline, type TraceEntry } from './pipeline.js';
import type { LoadedRecipe } from './recipe.js';
import { RecipeError } from './recipe.js';
import { getField, type Sample, STATS_KEY } from './sample.js';

export interface RunRecipeOptions {
  /** Replace existing outputs (default true, like Data-Juicer). */
  overwrite?: boolean;
  /** Rows per batch read (default 1000, Data-Juicer's batch_size). */
  batchRows?: number;
  /** Where rejected input records are listed as JSON lines (optional). */
  rejectedPath?: string;
  /** Worker threads for mappers and filters (default: the recipe's `np` if it sets one, else 1). Order is kept. */
  workers?: number;
  /** Modules each worker imports first, e.g. one registering user ops. */
  workerModules?: string[];
  /** Deduplicators whose hashes are computed and kept on every output sample instead of deduplicating (sharded runs). */
  hashWith?: Deduplicator[];
  /** Per-sample op failures (the sample is dropped, the run goes on). */
  onError?: (info: { op: string; index: number; error: Error; sample: Sample }) => void;
}

export interface RunRecipeSummary {
  inputs: string[];
  exportPath: string;
  statsPath: string;
  /** Samples written. */
  written: number;
  /** Samples dropped before the ops because their text field is missing or null (Data-Juicer drops None text). */
  droppedNoText: number;
  /** Input records rejected by the reader (malformed JSON, invalid UTF-8, ...). */
  input: ErrorSummary;
  ops: OpReport[];
  tracePaths: string[];
  warnings: string[];
}

/** Data-Juicer's dataset_path: paths, each optionally preceded by a mixture weight ("0.5 a.jsonl 1.0 dir/"). */
export function parseDatasetPath(value: string): { paths: string[]; weights: number[] } {
  const paths: string[] = [];
  const weights: number[] = [];
  let pending: number | null = null;
  for (const tok of value.trim().split(/\s+/).filter(Boolean)) {
    if (/^\d*\.?\d+(e[-+]?\d+)?$/i.test(tok) && pending === null) pending = Number(tok);
    else {
      paths.push(tok);
      weights.push(pending ?? 1);
      pending = null;
    }
  }
  return { paths, weights };
}

function statsPathFor(exportPath: string): string {
  const ext = extname(exportPath.replace(/\.gz$/, ''));
  const base = exportPath.replace(/\.gz$/, '').slice(0, exportPath.replace(/\.gz$/, '').length - ext.length);
  return `${base}_stats.jsonl`;
}

function writeTraces(dir: string, trace: TraceEntry[]): string[] {
  if (trace.length === 0) return [];
  mkdirSync(dir, { recursive: true });
  const files = new Map<string, string[]>();
  for (const t of trace) {
    const name = `${t.kind === 'deduplicator' ? 'duplicate' : t.kind}-${t.op}.jsonl`;
    const line =
      t.kind === 'mapper'
        ? { 'original text': t.original, processed_text: t.processed }
        : t.kind === 'filter'
          ? t.removed
          : { dup1: t.pair?.kept, dup2: t.pair?.removed };
    const list = files.get(name) ?? [];
    list.push(JSON.stringify(line));
    files.set(name, list);
  }
  return [...files].map(([name, lines]) => {
    const p = join(dir, name);
    writeFileSync(p, `${lines.join('\n')}\n`);
    return p;
  });
}

/** Run a recipe returned by loadRecipe / loadRecipeObject. */
export async function runRecipe(recipe: LoadedRecipe, opts: RunRecipeOptions = {}): Promise<RunRecipeSummary> {
  const cfg = recipe.config;
  const warnings = [...recipe.warnings];
  if (typeof cfg.dataset_path !== 'string' || cfg.dataset_path.trim() === '')
    throw new RecipeError('dataset_path: required: a file or folder (jsonl, json, parquet, csv, arrow)');
  const { paths, weights } = parseDatasetPath(cfg.dataset_path);
  if (paths.length === 0) throw new RecipeError(`dataset_path: no path in ${JSON.stringify(cfg.dataset_path)}`);
  if (weights.some((w) => w !== 1))
    warnings.push('dataset_path: mixture weights are not applied yet; every listed dataset is read in full');
  if (cfg.export_shard_size && cfg.export_shard_size > 0)
    warnings.push('export_shard_size: sharded export is not implemented yet; writing a single file');
  const exportPath = String(cfg.export_path);
  const statsPath = statsPathFor(exportPath);
  const workDir = typeof cfg.work_dir === 'string' ? cfg.work_dir : dirname(exportPath);
  mkdirSync(dirname(exportPath), { recursive: true });

  const pipeline = new Pipeline(recipe.ops, {
    keepStats: true,
    keepHashes: cfg.keep_hashes_in_res_ds === true,
    traceNum: cfg.open_tracer ? Number(cfg.trace_num ?? 10) : 0,
    onError: opts.onError,
    workers: opts.workers ?? (recipe.explicitKeys.includes('np') ? Number(cfg.np) : 1),
    workerModules: opts.workerModules,
  });
  await pipeline.prepare();
  const errors = new ErrorReport(opts.rejectedPath ? { sinkPath: opts.rejectedPath } : {});
  const textKey = recipe.textKey;
  let droppedNoText = 0;
  const reader = readDataset(paths, { batchRows: opts.batchRows ?? 1000, errors });
  const samples = (async function* () {
    for await (const batch of reader) {
      const recs = recordsFromBatch(batch) as Sample[];
      const withText = recs.filter((r) => {
        const v = getField(r, textKey);
        if (v === undefined || v === null) {
          droppedNoText++;
          return false;
        }
        return true;
      });
      if (withText.length) yield withText;
    }
  })();

  const statsTmp = join(dirname(statsPath), `.${basename(statsPath)}.tmp-${process.pid}`);
  const statsLines: string[] = [];
  let written = 0;
  const keepStats = cfg.keep_stats_in_res_ds === true;
  const out = (async function* () {
    for await (const batch of pipeline.runBatches(samples)) {
      const hashed: Sample[] = [];
      for (let s of batch) {
        try {
          for (const d of opts.hashWith ?? []) s = d.computeHash(s);
          hashed.push(s);
        } catch (e) {
          const error = e instanceof Error ? e : new Error(String(e));
          opts.onError?.({ op: 'hash', index: -1, error, sample: s });
        }
      }
      const rows = hashed.map((s) => {
        statsLines.push(JSON.stringify({ [STATS_KEY]: s[STATS_KEY] ?? {} }));
        if (keepStats) return s;
        const { [STATS_KEY]: _drop, ...rest } = s;
        return rest;
      });
      written += rows.length;
      yield batchFromRecords(rows);
    }
  })();
  try {
    await writeDataset(out, exportPath, { overwrite: opts.overwrite ?? true });
    writeFileSync(statsTmp, statsLines.length ? `${statsLines.join('\n')}\n` : '');
    renameSync(statsTmp, statsPath);
  } catch (e) {
    rmSync(statsTmp, { force: true });
    throw e;
  } finally {
    await errors.close();
  }
  const tracePaths = writeTraces(join(workDir, 'trace'), pipeline.trace);
  return {
    inputs: paths,
    exportPath,
    statsPath,
    written,
    droppedNoText,
    input: errors.summary(),
    ops: pipeline.reports,
    tracePaths,
    warnings,
  };
}
