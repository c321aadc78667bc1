// Execute a loaded recipe end to end: read `dataset_path` with @steel/dataset, run the ops, write `export_path`,
// the `<export>_stats.jsonl` stats file and (open_tracer) the trace files. The library core of `steel-dj process`.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
import { jsonlEngineInputs, runJsonlEngine, splitJsonlExport } from './run-jsonl.js';
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
  /** Called after each input batch is read, with the number of records read so far (progress reporting). */
  onProgress?: (read: number) => void;
  /**
   * JSONL engine: bytes of input per unit of work (default 256 KiB). Smaller units balance workers better at the end
   * of a run; tests use tiny values to put chunk boundaries everywhere. Results never depend on it.
   */
  jsonlChunkBytes?: number;
}

export interface RunRecipeSummary {
  inputs: string[];
  exportPath: string;
  /** The files written: `[exportPath]`, or the `<base>-i-of-n` shards when export_shard_size > 0. */
  exportPaths: string[];
  /** use_checkpoint: the index of the first op this run executed (earlier ops were restored from work_dir/ckpt). */
  resumedFrom?: number;
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
  /**
   * Which engine ran: `jsonl` (uncompressed .jsonl in and out: byte ranges parsed and serialised by the threads that
   * run the ops, no Arrow round trip) or `arrow` (every other format, mixtures, mid-list deduplicators: @steel/dataset
   * RecordBatches). Decided by the formats and the op list, never by the number of workers.
   */
  engine?: 'jsonl' | 'arrow';
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
  if (cfg.use_checkpoint === true && !opts.hashWith) return runWithCheckpoints(recipe, opts);
  const shardSize = Number(cfg.export_shard_size ?? 0);
  if (!(Number.isFinite(shardSize) && shardSize >= 0))
    throw new RecipeError(
      `export_shard_size: expected a number of bytes >= 0, got ${JSON.stringify(cfg.export_shard_size)}`,
    );
  const exportPath = String(cfg.export_path);
  const statsPath = statsPathFor(exportPath);
  const workDir = typeof cfg.work_dir === 'string' ? cfg.work_dir : dirname(exportPath);
  mkdirSync(dirname(exportPath), { recursive: true });
  const workers = opts.workers ?? (recipe.explicitKeys.includes('np') ? Number(cfg.np) : 1);
  const traceNum = cfg.open_tracer ? Number(cfg.trace_num ?? 10) : 0;

  const jsonlFiles = await jsonlEngineInputs(paths, weights, exportPath, recipe.ops, opts.hashWith);
  if (jsonlFiles) {
    const errors = new ErrorReport(opts.rejectedPath ? { sinkPath: opts.rejectedPath } : {});
    let res: Awaited<ReturnType<typeof runJsonlEngine>>;
    try {
      res = await runJsonlEngine({
        files: jsonlFiles,
        exportPath,
        statsPath,
        overwrite: opts.overwrite ?? true,
        ops: recipe.ops,
        textKey: recipe.textKey,
        keepStats: cfg.keep_stats_in_res_ds === true,
        keepHashes: cfg.keep_hashes_in_res_ds === true,
        traceNum,
        hashWith: opts.hashWith,
        workers,
        workerModules: opts.workerModules,
        chunkBytes: opts.jsonlChunkBytes,
        errors,
        onError: opts.onError,
        onProgress: opts.onProgress,
      });
    } finally {
      await errors.close();
    }
    const tracePaths = writeTraces(join(workDir, 'trace'), res.trace);
    const exportPaths =
      shardSize > 0
        ? await splitJsonlExport(
            exportPath,
            shardSize,
            (i, n) => shardFinalName(exportPath, i, n),
            contiguousShardRanges,
          )
        : [exportPath];
    return {
      inputs: paths,
      exportPath,
      exportPaths,
      statsPath,
      written: res.written,
      droppedNoText: res.droppedNoText,
      input: errors.summary(),
      ops: res.ops,
      tracePaths,
      warnings,
      engine: 'jsonl',
    };
  }

  const pipeline = new Pipeline(recipe.ops, {
    keepStats: true,
    keepHashes: cfg.keep_hashes_in_res_ds === true,
    traceNum,
    onError: opts.onError,
    workers,
    workerModules: opts.workerModules,
  });
  await pipeline.prepare();
  const errors = new ErrorReport(opts.rejectedPath ? { sinkPath: opts.rejectedPath } : {});
  const textKey = recipe.textKey;
  let droppedNoText = 0;
  const batchRows = opts.batchRows ?? 1000;
  const reader = weights.some((w) => w !== 1)
    ? readMixture(paths, weights, batchRows, errors)
    : readDataset(paths, { batchRows, errors });
  let readSoFar = 0;
  const samples = (async function* () {
    for await (const batch of reader) {
      const recs = recordsFromBatch(batch) as Sample[];
      readSoFar += recs.length;
      opts.onProgress?.(readSoFar);
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
  const exportPaths = shardSize > 0 ? await splitExport(exportPath, shardSize) : [exportPath];
  return {
    inputs: paths,
    exportPath,
    exportPaths,
    statsPath,
    written,
    droppedNoText,
    input: errors.summary(),
    ops: pipeline.reports,
    tracePaths,
    warnings,
    engine: 'arrow',
  };
}

/** A small seeded generator (mulberry32): the mixture's deterministic shuffle. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Which rows of an n-row dataset a mixture weight selects, following Data-Juicer's MixtureFormatter: ceil(n·w) rows;
 * all rows in order when that is n; otherwise the first ceil(n·w) of a seeded shuffle (seed 42), cycling through the
 * shuffled rows again when w > 1. The count is Data-Juicer's; the shuffle is ours (not HF datasets' permutation).
 */
export function mixtureIndices(n: number, weight: number, seed = 42): number[] {
  const want = Math.ceil(n * Math.max(0, weight));
  if (want === n) return Array.from({ length: n }, (_, i) => i);
  if (n === 0) return [];
  const perm = Array.from({ length: n }, (_, i) => i);
  const rnd = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  return Array.from({ length: want }, (_, k) => perm[k % n]!);
}

/** Read each weighted dataset whole, subsample it with mixtureIndices, and stream the concatenation. */
async function* readMixture(
  paths: string[],
  weights: number[],
  batchRows: number,
  errors: ErrorReport,
): AsyncGenerator<ReturnType<typeof batchFromRecords>> {
  for (let k = 0; k < paths.length; k++) {
    if (weights[k] === 1) {
      yield* readDataset(paths[k]!, { batchRows, errors });
      continue;
    }
    const rows: Sample[] = [];
    for await (const b of readDataset(paths[k]!, { batchRows, errors }))
      rows.push(...(recordsFromBatch(b) as Sample[]));
    const idx = mixtureIndices(rows.length, weights[k]!);
    for (let i = 0; i < idx.length; i += batchRows)
      yield batchFromRecords(idx.slice(i, i + batchRows).map((j) => rows[j]!));
  }
}

/** Contiguous row ranges of Hugging Face `Dataset.shard(num_shards, i, contiguous=True)`. */
export function contiguousShardRanges(rows: number, shards: number): Array<[number, number]> {
  const div = Math.floor(rows / shards);
  const mod = rows % shards;
  return Array.from({ length: shards }, (_, i) => {
    const start = div * i + Math.min(i, mod);
    return [start, start + div + (i < mod ? 1 : 0)] as [number, number];
  });
}

/**
 * export_shard_size: split the written export into ceil(bytes / shardSize) contiguous shards named
 * `<base>-<i>-of-<n>.<suffix>` (bytes = the rows' UTF-8 JSON size, standing in for the Arrow size Data-Juicer uses),
 * then remove the single file. A result that fits in one shard stays one file.
 */
async function splitExport(exportPath: string, shardSize: number): Promise<string[]> {
  const rows: Sample[] = [];
  let bytes = 0;
  for await (const b of readDataset(exportPath)) {
    for (const r of recordsFromBatch(b) as Sample[]) {
      rows.push(r);
      bytes += Buffer.byteLength(JSON.stringify(r));
    }
  }
  const n = Math.ceil(bytes / shardSize);
  if (n <= 1) return [exportPath];
  const out: string[] = [];
  const ranges = contiguousShardRanges(rows.length, n);
  for (let i = 0; i < n; i++) {
    const [a, b] = ranges[i]!;
    const p = shardFinalName(exportPath, i, n);
    await writeDataset([batchFromRecords(rows.slice(a, b))], p, { overwrite: true });
    out.push(p);
  }
  rmSync(exportPath, { force: true });
  return out;
}

function shardFinalName(exportPath: string, i: number, n: number): string {
  const gz = exportPath.endsWith('.gz') ? '.gz' : '';
  const p = gz ? exportPath.slice(0, -3) : exportPath;
  const ext = extname(p);
  return `${p.slice(0, p.length - ext.length)}-${i}-of-${n}${ext}${gz}`;
}

interface CheckpointState {
  fingerprint: string;
  /** Index of the last finished op. */
  done: number;
  reports: OpReport[];
  droppedNoText: number;
  input: ErrorSummary;
}

/**
 * use_checkpoint: run the ops one at a time, saving the dataset after each finished op under work_dir/ckpt (with
 * stats and hashes) and the progress in ckpt/state.json. A re-run with the same dataset_path, text_keys and process
 * list resumes after the last finished op. The checkpoint folder is removed when the run completes.
 */
async function runWithCheckpoints(recipe: LoadedRecipe, opts: RunRecipeOptions): Promise<RunRecipeSummary> {
  const cfg = recipe.config;
  const workDir = typeof cfg.work_dir === 'string' ? cfg.work_dir : dirname(String(cfg.export_path));
  const ckptDir = join(workDir, 'ckpt');
  const statePath = join(ckptDir, 'state.json');
  const fingerprint = JSON.stringify({ d: cfg.dataset_path, t: cfg.text_keys, p: recipe.process });
  let state: CheckpointState | undefined;
  if (existsSync(statePath)) {
    const s = JSON.parse(readFileSync(statePath, 'utf8')) as CheckpointState;
    if (s.fingerprint === fingerprint) state = s;
    else rmSync(ckptDir, { recursive: true, force: true });
  }
  const ckptPath = (k: number) => join(ckptDir, `op-${k}.jsonl`);
  const reports: OpReport[] = state ? [...state.reports] : [];
  let droppedNoText = state?.droppedNoText ?? 0;
  let firstInput = state?.input;
  const start = state ? state.done + 1 : 0;
  const n = recipe.ops.length;
  if (n === 0) return runRecipe({ ...recipe, config: { ...cfg, use_checkpoint: false } }, opts);
  let last: RunRecipeSummary | undefined;
  const tracePaths: string[] = [];
  for (let k = start; k < n; k++) {
    const final = k === n - 1;
    const stage: LoadedRecipe = {
      ...recipe,
      ops: [recipe.ops[k]!],
      process: [recipe.process[k]!],
      warnings: k === start ? recipe.warnings : [],
      config: {
        ...cfg,
        use_checkpoint: false,
        work_dir: workDir,
        dataset_path: k === 0 ? cfg.dataset_path : ckptPath(k - 1),
        export_path: final ? cfg.export_path : ckptPath(k),
        keep_stats_in_res_ds: final ? cfg.keep_stats_in_res_ds : true,
        keep_hashes_in_res_ds: final ? cfg.keep_hashes_in_res_ds : true,
        export_shard_size: final ? cfg.export_shard_size : 0,
      },
    };
    last = await runRecipe(stage, opts);
    reports.push({ ...last.ops[0]!, index: k });
    if (k === 0) droppedNoText = last.droppedNoText;
    if (!firstInput) firstInput = last.input;
    tracePaths.push(...last.tracePaths);
    if (!final) {
      mkdirSync(ckptDir, { recursive: true });
      const next: CheckpointState = {
        fingerprint,
        done: k,
        reports,
        droppedNoText,
        input: firstInput,
      };
      writeFileSync(`${statePath}.tmp`, JSON.stringify(next));
      renameSync(`${statePath}.tmp`, statePath);
      if (k > 0) rmSync(join(ckptDir, `op-${k - 1}.jsonl`), { force: true });
      if (k > 0) rmSync(join(ckptDir, `op-${k - 1}_stats.jsonl`), { force: true });
    }
  }
  rmSync(ckptDir, { recursive: true, force: true });
  const done = last!;
  return {
    ...done,
    inputs: parseDatasetPath(String(cfg.dataset_path)).paths,
    droppedNoText,
    input: firstInput ?? done.input,
    ops: reports,
    tracePaths,
    warnings: [...recipe.warnings],
    resumedFrom: start,
  };
}
