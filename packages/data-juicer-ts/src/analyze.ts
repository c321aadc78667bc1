// Data-Juicer's analyzer: every Filter of a recipe computes its stats on every sample, nothing is dropped, and each
// stat is summarised like pandas `describe` (count, mean, std with ddof 1, min, linear-interpolated percentiles, max).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ErrorReport, type ErrorSummary, readDataset, recordsFromBatch } from '@steel/dataset';
import { Filter } from './op.js';
import { analysisHtml, correlationMatrix, correlationSvg, histogramSvg } from './plots.js';
import { svgToPng } from './png.js';
import type { LoadedRecipe } from './recipe.js';
import { RecipeError } from './recipe.js';
import { parseDatasetPath } from './run-recipe.js';
import { getField, type Sample, STATS_KEY } from './sample.js';

export interface StatSummary {
  key: string;
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** e.g. { "25%": 3, "50%": 7, "75%": 9 } */
  percentiles: Record<string, number>;
}

/** numpy/pandas linear-interpolated quantile of sorted values. */
function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function pctLabel(q: number): string {
  return `${+(q * 100).toFixed(6)}%`;
}

/** pandas-style describe of one stat. */
export function describeStat(key: string, values: number[], percentiles = [0.25, 0.5, 0.75]): StatSummary {
  const n = values.length;
  if (n === 0)
    return { key, count: 0, mean: Number.NaN, std: Number.NaN, min: Number.NaN, max: Number.NaN, percentiles: {} };
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : Number.NaN;
  return {
    key,
    count: n,
    mean,
    std,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    percentiles: Object.fromEntries(percentiles.map((q) => [pctLabel(q), quantile(sorted, q)])),
  };
}

export interface AnalyzeResult {
  samples: number;
  summaries: StatSummary[];
  /** Samples a filter failed on (their other stats still count). */
  errors: number;
  input: ErrorSummary;
  statsPath: string;
  overallCsvPath: string;
  overallMdPath: string;
  /** One `<stat>.svg` (histogram + box plot) per stat, in work_dir/analysis. */
  plotPaths: string[];
  /** work_dir/analysis/index.html: the table and every plot on one page. */
  htmlPath: string;
  /** The stats in the order of `correlation`'s rows and columns. */
  correlationKeys: string[];
  /** Pearson correlation of every pair of stats over the samples that have both (pandas `corr()`). */
  correlation: number[][];
  /** work_dir/analysis/correlation.svg: the heat-map of `correlation`. */
  correlationPath: string;
  /** With `png: true`: `<stat>.png` per stat and `correlation.png`, rasterised from the SVGs. */
  pngPaths: string[];
}

export interface AnalyzeOptions {
  /** Called after each input batch with the number of samples analysed so far. */
  onProgress?: (samples: number) => void;
  /** Histogram bins (default 50). */
  bins?: number;
  /** Also write a PNG next to every SVG (needs the optional dependency @resvg/resvg-js). */
  png?: boolean;
}

/** Compute every filter's stats over `samples` without dropping any; returns the samples with stats and the errors. */
export function computeAllStats(filters: Filter[], samples: Sample[]): { samples: Sample[]; errors: number } {
  let errors = 0;
  const out = samples.map((s) => {
    let cur = s;
    for (const f of filters) {
      try {
        cur = f.computeStats(cur);
      } catch {
        errors++;
      }
    }
    return cur;
  });
  return { samples: out, errors };
}

/** Run a recipe's filters over its dataset in analysis mode and write the stats file and overall.csv/.md. */
export async function analyzeRecipe(recipe: LoadedRecipe, opts: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const cfg = recipe.config;
  if (typeof cfg.dataset_path !== 'string' || cfg.dataset_path.trim() === '')
    throw new RecipeError('dataset_path: required: a file or folder (jsonl, json, parquet, csv, arrow)');
  const filters = recipe.ops.filter((o): o is Filter => o instanceof Filter);
  for (const f of filters) await f.prepare();
  const exportPath = String(cfg.export_path);
  const statsPath = `${exportPath.replace(/(\.gz)?$/, '').replace(/\.[^./]+$/, '')}_stats.jsonl`;
  const workDir = typeof cfg.work_dir === 'string' ? cfg.work_dir : dirname(exportPath);
  const analysisDir = join(workDir, 'analysis');
  mkdirSync(analysisDir, { recursive: true });
  mkdirSync(dirname(statsPath), { recursive: true });
  const errors = new ErrorReport();
  const values = new Map<string, number[]>();
  // The same stats aligned by sample (NaN where a sample lacks one), for the correlations.
  const aligned = new Map<string, number[]>();
  const lines: string[] = [];
  let count = 0;
  let opErrors = 0;
  for await (const batch of readDataset(parseDatasetPath(cfg.dataset_path).paths, { batchRows: 1000, errors })) {
    const recs = (recordsFromBatch(batch) as Sample[]).filter((r) => getField(r, recipe.textKey) != null);
    const res = computeAllStats(filters, recs);
    opErrors += res.errors;
    for (const s of res.samples) {
      const row = count++;
      const stats = s[STATS_KEY] ?? {};
      lines.push(JSON.stringify({ [STATS_KEY]: stats }));
      for (const [k, v] of Object.entries(stats)) {
        if (typeof v !== 'number') continue;
        let arr = values.get(k);
        if (!arr) {
          arr = [];
          values.set(k, arr);
        }
        arr.push(v);
        let col = aligned.get(k);
        if (!col) {
          col = [];
          aligned.set(k, col);
        }
        while (col.length < row) col.push(Number.NaN);
        col.push(v);
      }
    }
    opts.onProgress?.(count);
  }
  await errors.close();
  const pcts = Array.isArray(cfg.percentiles) ? (cfg.percentiles as number[]) : [0.25, 0.5, 0.75];
  const summaries = [...values].map(([k, v]) => describeStat(k, v, pcts));
  writeFileSync(statsPath, lines.length ? `${lines.join('\n')}\n` : '');
  const rows = ['count', 'mean', 'std', 'min', ...pcts.map(pctLabel), 'max'];
  const cell = (s: StatSummary, r: string) =>
    r === 'count'
      ? s.count
      : r === 'mean'
        ? s.mean
        : r === 'std'
          ? s.std
          : r === 'min'
            ? s.min
            : r === 'max'
              ? s.max
              : s.percentiles[r];
  const csv = [
    `,${summaries.map((s) => s.key).join(',')}`,
    ...rows.map((r) => [r, ...summaries.map((s) => cell(s, r))].join(',')),
  ];
  const overallCsvPath = join(analysisDir, 'overall.csv');
  writeFileSync(overallCsvPath, `${csv.join('\n')}\n`);
  const md = [
    `| | ${summaries.map((s) => s.key).join(' | ')} |`,
    `|---|${summaries.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r} | ${summaries.map((s) => cell(s, r)).join(' | ')} |`),
  ];
  const overallMdPath = join(analysisDir, 'overall.md');
  writeFileSync(overallMdPath, `${md.join('\n')}\n`);
  const opOfStat: Record<string, string> = {};
  for (const f of filters) {
    if (!opOfStat[f.statKey]) opOfStat[f.statKey] = f.name;
  }
  const svgs: Record<string, string> = {};
  const plotPaths: string[] = [];
  for (const s of summaries) {
    svgs[s.key] = histogramSvg(s, values.get(s.key) ?? [], { bins: opts.bins });
    const p = join(analysisDir, `${s.key.replace(/[^A-Za-z0-9._-]/g, '_')}.svg`);
    writeFileSync(p, svgs[s.key]!);
    plotPaths.push(p);
  }
  const correlationKeys = summaries.map((s) => s.key);
  const correlation = correlationMatrix(correlationKeys.map((k) => aligned.get(k) ?? []));
  const corrSvg = correlationSvg(correlationKeys, correlation);
  const correlationPath = join(analysisDir, 'correlation.svg');
  writeFileSync(correlationPath, corrSvg);
  const pngPaths: string[] = [];
  if (opts.png)
    for (const [svgPath, svg] of [
      ...plotPaths.map((p, i) => [p, svgs[summaries[i]!.key]!] as const),
      [correlationPath, corrSvg] as const,
    ]) {
      const p = svgPath.replace(/\.svg$/, '.png');
      writeFileSync(p, svgToPng(svg));
      pngPaths.push(p);
    }
  const htmlPath = join(analysisDir, 'index.html');
  writeFileSync(
    htmlPath,
    analysisHtml({
      title: `Data analysis: ${String(cfg.project_name)}`,
      samples: count,
      errors: opErrors,
      summaries,
      svgs,
      opOfStat,
      correlationSvg: corrSvg,
    }),
  );
  return {
    plotPaths,
    htmlPath,
    correlationKeys,
    correlation,
    correlationPath,
    pngPaths,
    samples: count,
    summaries,
    errors: opErrors,
    input: errors.summary(),
    statsPath,
    overallCsvPath,
    overallMdPath,
  };
}
