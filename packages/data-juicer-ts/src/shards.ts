// Cluster-scale runs: shard i of N processes a deterministic, contiguous slice of the input files with every op
// except the trailing deduplicators, whose hashes it only computes and keeps. A second pass over all shard outputs
// (in shard order = dataset order) applies the deduplicators globally and writes the final files, so the result
// equals a single-machine run.

import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import {
  batchFromRecords,
  ErrorReport,
  listDatasetFiles,
  parseShardSpec,
  readDataset,
  recordsFromBatch,
  shardOf,
  writeDataset,
} from '@steel/dataset';
import { Deduplicator, type Op } from './op.js';
import type { LoadedRecipe } from './recipe.js';
import { RecipeError } from './recipe.js';
import { parseDatasetPath, type RunRecipeOptions, type RunRecipeSummary, runRecipe } from './run-recipe.js';
import { HASH_KEY, MINHASH_KEY, type Sample, SIMHASH_KEY, STATS_KEY } from './sample.js';

function splitExt(path: string): [string, string] {
  const gz = path.endsWith('.gz') ? '.gz' : '';
  const p = gz ? path.slice(0, -3) : path;
  const ext = extname(p);
  return [p.slice(0, p.length - ext.length), ext + gz];
}

/** Where shard i of N writes its intermediate output (all fields, stats and hashes kept). */
export function shardWorkPath(exportPath: string, index: number, count: number): string {
  const [base, ext] = splitExt(exportPath);
  return `${base}.shard-${index}-of-${count}${ext}`;
}

/** Data-Juicer's shard naming for the final files: `<base>-<i>-of-<n>.<suffix>`. */
export function shardFinalPath(exportPath: string, index: number, count: number): string {
  const [base, ext] = splitExt(exportPath);
  return `${base}-${index}-of-${count}${ext}`;
}

/** The ops a shard runs and the trailing deduplicators left for the global pass. */
function splitTrailingDedups(ops: readonly Op[]): { local: Op[]; dedups: Deduplicator[] } {
  let k = ops.length;
  while (k > 0 && ops[k - 1] instanceof Deduplicator) k--;
  const misplaced = ops.slice(0, k).find((o) => o instanceof Deduplicator);
  if (misplaced)
    throw new RecipeError(
      `sharded runs need every deduplicator at the end of process; ${misplaced.name} is followed by other ops`,
    );
  return { local: ops.slice(0, k) as Op[], dedups: ops.slice(k) as Deduplicator[] };
}

/** Run shard `spec` ("i/N") of a recipe: its slice of the input files, all ops but the trailing deduplicators. */
export async function runRecipeShard(
  recipe: LoadedRecipe,
  spec: string,
  opts: RunRecipeOptions = {},
): Promise<RunRecipeSummary & { shard: { index: number; count: number }; files: string[] }> {
  const { index, count } = parseShardSpec(spec);
  const { local, dedups } = splitTrailingDedups(recipe.ops);
  const files = shardOf(
    await listDatasetFiles(parseDatasetPath(String(recipe.config.dataset_path)).paths),
    index,
    count,
  );
  const exportPath = shardWorkPath(String(recipe.config.export_path), index, count);
  const shardRecipe: LoadedRecipe = {
    ...recipe,
    ops: local,
    config: {
      ...recipe.config,
      dataset_path: files.join(' '),
      export_path: exportPath,
      keep_stats_in_res_ds: true,
      keep_hashes_in_res_ds: true,
      export_shard_size: 0,
      use_checkpoint: false,
    },
  };
  if (files.length === 0) {
    await writeDataset([], exportPath, { overwrite: true });
    return {
      inputs: [],
      exportPath,
      exportPaths: [exportPath],
      statsPath: '',
      written: 0,
      droppedNoText: 0,
      input: { read: 0, written: 0, rejected: 0, byReason: {} },
      ops: [],
      tracePaths: [],
      warnings: [],
      shard: { index, count },
      files,
    };
  }
  const summary = await runRecipe(shardRecipe, { ...opts, hashWith: dedups });
  return { ...summary, shard: { index, count }, files };
}

export interface MergeShardsSummary {
  /** Final files, one per shard, Data-Juicer shard naming. */
  outputs: string[];
  statsPaths: string[];
  read: number;
  written: number;
  /** Kept / read per deduplicator, in order. */
  dedup: Array<{ name: string; in: number; out: number }>;
}

/**
 * The global pass: read every shard's intermediate output (in shard order), apply the trailing deduplicators over all
 * of them, and write the final shard files plus their `_stats.jsonl`. Intermediate files are removed at the end.
 */
export async function mergeRecipeShards(recipe: LoadedRecipe, count: number): Promise<MergeShardsSummary> {
  const { dedups } = splitTrailingDedups(recipe.ops);
  const exportPath = String(recipe.config.export_path);
  const inputs = Array.from({ length: count }, (_, i) => shardWorkPath(exportPath, i, count));
  // Pass 1: the hash of every surviving sample, per deduplicator.
  const hashes: string[][] = dedups.map(() => []);
  let read = 0;
  for (const p of inputs) {
    for await (const batch of readDataset(p, { errors: new ErrorReport() })) {
      for (const r of recordsFromBatch(batch) as Sample[]) {
        dedups.forEach((d, k) => {
          hashes[k]!.push(String(r[d.hashKey]));
        });
        read++;
      }
    }
  }
  let alive = Array.from({ length: read }, (_, i) => i);
  const dedupSummary: MergeShardsSummary['dedup'] = [];
  dedups.forEach((d, k) => {
    const mask = d.keepMaskForHashes(alive.map((i) => hashes[k]![i]!));
    const next = alive.filter((_, j) => mask[j]);
    dedupSummary.push({ name: d.name, in: alive.length, out: next.length });
    alive = next;
  });
  const keep = new Uint8Array(read);
  for (const i of alive) keep[i] = 1;
  // Pass 2: write the survivors of each shard, stats split off, hash fields dropped unless kept.
  const keepStats = recipe.config.keep_stats_in_res_ds === true;
  const keepHashes = recipe.config.keep_hashes_in_res_ds === true;
  const outputs: string[] = [];
  const statsPaths: string[] = [];
  let pos = 0;
  let written = 0;
  for (let s = 0; s < count; s++) {
    const out = shardFinalPath(exportPath, s, count);
    const statsPath = `${splitExt(out)[0]}_stats.jsonl`;
    const statsLines: string[] = [];
    const rows = async function* () {
      for await (const batch of readDataset(inputs[s]!)) {
        const kept: Sample[] = [];
        for (const r of recordsFromBatch(batch) as Sample[]) {
          if (keep[pos++]) {
            statsLines.push(JSON.stringify({ [STATS_KEY]: r[STATS_KEY] ?? {} }));
            const o: Sample = { ...r };
            if (!keepStats) delete o[STATS_KEY];
            if (!keepHashes) {
              delete o[HASH_KEY];
              delete o[SIMHASH_KEY];
              delete o[MINHASH_KEY];
            }
            kept.push(o);
          }
        }
        written += kept.length;
        if (kept.length) yield batchFromRecords(kept);
      }
    };
    mkdirSync(dirname(out), { recursive: true });
    await writeDataset(rows(), out, { overwrite: true });
    const tmp = join(dirname(statsPath), `.${basename(statsPath)}.tmp-${process.pid}`);
    writeFileSync(tmp, statsLines.length ? `${statsLines.join('\n')}\n` : '');
    renameSync(tmp, statsPath);
    outputs.push(out);
    statsPaths.push(statsPath);
  }
  for (const p of inputs) rmSync(p, { force: true });
  return { outputs, statsPaths, read, written, dedup: dedupSummary };
}
