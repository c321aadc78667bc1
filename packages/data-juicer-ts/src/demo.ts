// The cleaning stage of `npm run demo`: the built-in demo recipe (recipes/demo_clean.yaml: t2s for the Tang poems +
// the Steel text recipe's ops that make sense for poetry and English prose) over the demo corpus.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorSummary } from '@steel/dataset';
import { loadRecipe } from './recipe.js';
import { runRecipe } from './run-recipe.js';

/** Path of the shipped demo recipe (also right when this module runs from src/ in tests). */
export const DEMO_RECIPE_PATH = fileURLToPath(new URL('../recipes/demo_clean.yaml', import.meta.url));

export interface CleanDemoOptions {
  /** The corpus (jsonl/parquet/... file or folder) with a `text` field. */
  input: string;
  /** Output folder: clean.jsonl, clean_stats.jsonl, trace/. */
  outDir: string;
  /** Worker threads for mappers and filters (default 1). */
  workers?: number;
  /** Another recipe instead of the built-in one (its dataset_path / export_path are replaced). */
  recipePath?: string;
  /** Called with the number of records read so far (progress). */
  onProgress?: (read: number) => void;
}

export interface CleanDemoOpCount {
  op: string;
  kind: 'mapper' | 'filter' | 'deduplicator';
  in: number;
  kept: number;
  dropped: number;
  /** Mappers: samples whose text changed. */
  changed: number;
  errors: number;
}

export interface CleanDemoResult {
  recipePath: string;
  exportPath: string;
  statsPath: string;
  tracePaths: string[];
  read: number;
  written: number;
  input: ErrorSummary;
  ops: CleanDemoOpCount[];
  seconds: number;
  warnings: string[];
}

/** Run the demo cleaning recipe over `input`, writing to `outDir`; returns per-op kept/dropped counts. */
export async function cleanDemoCorpus(opts: CleanDemoOptions): Promise<CleanDemoResult> {
  const recipePath = opts.recipePath ?? DEMO_RECIPE_PATH;
  const recipe = loadRecipe(recipePath);
  recipe.config.dataset_path = opts.input;
  recipe.config.export_path = join(opts.outDir, 'clean.jsonl');
  recipe.config.work_dir = opts.outDir;
  const start = Date.now();
  const s = await runRecipe(recipe, { workers: opts.workers ?? 1, onProgress: opts.onProgress });
  return {
    recipePath,
    exportPath: s.exportPath,
    statsPath: s.statsPath,
    tracePaths: s.tracePaths,
    read: s.input.read,
    written: s.written,
    input: s.input,
    ops: s.ops.map((o) => ({
      op: o.name,
      kind: o.kind,
      in: o.in,
      kept: o.out,
      dropped: o.in - o.out,
      changed: o.changed,
      errors: o.errors,
    })),
    seconds: (Date.now() - start) / 1000,
    warnings: recipe.warnings,
  };
}
