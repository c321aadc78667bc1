// The `steel-dj` command (also `steel dj`): process / merge / analyze / format over the library calls. Results go to
// stdout (JSON with --json), progress and warnings to stderr; every failure is one line and a non-zero exit.

import { dirname, join } from 'node:path';
import { DoneMarkers, parseShardSpec } from '@steel/dataset';
import { Command, CommanderError } from 'commander';
import { analyzeRecipe } from './analyze.js';
import { formatSource, SOURCE_FORMATTERS } from './formatters.js';
import type { OpReport } from './pipeline.js';
import { type LoadedRecipe, loadRecipe } from './recipe.js';
import { runRecipe } from './run-recipe.js';
import { mergeRecipeShards, runRecipeShard, shardWorkPath } from './shards.js';

/** Where the CLI writes: stdout for results, stderr for progress, warnings and errors. */
export interface DjCliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: DjCliIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

/** A usage or input problem: printed as one line, exit code 1. */
export class DjCliError extends Error {
  override name = 'DjCliError';
}

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new DjCliError(`${flag} must be a positive integer, got '${value}'`);
  return n;
}

/** A progress line on stderr every 2 s (and none with --quiet). */
function progressReporter(io: DjCliIo, label: string, quiet: boolean) {
  const start = Date.now();
  let last = start;
  let latest = 0;
  return {
    tick(n: number) {
      latest = n;
      const now = Date.now();
      if (quiet || now - last < 2000) return;
      last = now;
      io.err(`${label}: ${n} samples read (${Math.round(n / ((now - start) / 1000))}/s)\n`);
    },
    seconds: () => (Date.now() - start) / 1000,
    get latest() {
      return latest;
    },
  };
}

function opTable(ops: readonly OpReport[]): string {
  const w = Math.max(2, ...ops.map((o) => o.name.length));
  const head = `${'op'.padEnd(w)}  ${'in'.padStart(8)}  ${'kept'.padStart(8)}  ${'dropped'.padStart(8)}  ${'changed'.padStart(8)}  ${'errors'.padStart(6)}`;
  const rows = ops.map(
    (o) =>
      `${o.name.padEnd(w)}  ${String(o.in).padStart(8)}  ${String(o.out).padStart(8)}  ${String(o.in - o.out).padStart(8)}  ${String(o.kind === 'mapper' ? o.changed : '').padStart(8)}  ${String(o.errors).padStart(6)}`,
  );
  return `${[head, ...rows].join('\n')}\n`;
}

function opCounts(ops: readonly OpReport[]) {
  return ops.map((o) => ({
    op: o.name,
    kind: o.kind,
    in: o.in,
    kept: o.out,
    dropped: o.in - o.out,
    changed: o.changed,
    errors: o.errors,
    errorSamples: o.errorSamples,
  }));
}

function load(configPath: string, io: DjCliIo): LoadedRecipe {
  const recipe = loadRecipe(configPath);
  for (const w of recipe.warnings) io.err(`steel-dj: warning: ${w}\n`);
  return recipe;
}

function workDirOf(recipe: LoadedRecipe): string {
  const cfg = recipe.config;
  return typeof cfg.work_dir === 'string' ? cfg.work_dir : dirname(String(cfg.export_path));
}

export interface ProcessCommandOptions {
  config: string;
  shard?: string;
  np?: string;
  json?: boolean;
  force?: boolean;
  quiet?: boolean;
}

/** `steel-dj process`: run a recipe (or one shard of it); returns the JSON it prints with --json. */
export async function processCommand(opts: ProcessCommandOptions, io: DjCliIo = processIo): Promise<unknown> {
  const recipe = load(opts.config, io);
  const workers = positiveInt('--np', opts.np);
  const progress = progressReporter(io, 'steel-dj process', opts.quiet === true);
  const runOpts = { workers, onProgress: (n: number) => progress.tick(n) };
  let result: Record<string, unknown>;
  if (opts.shard !== undefined) {
    let spec: { index: number; count: number };
    try {
      spec = parseShardSpec(opts.shard);
    } catch (e) {
      throw new DjCliError(`--shard: ${(e as Error).message}`);
    }
    const key = `shard-${spec.index}-of-${spec.count}`;
    const markers = new DoneMarkers(join(workDirOf(recipe), 'done'));
    const done = opts.force ? undefined : await markers.info(key);
    if (done) {
      result = { skipped: true, shard: spec, marker: join(markers.dir, `${key}.done.json`), previous: done };
      if (opts.json) io.out(`${JSON.stringify(result)}\n`);
      else
        io.out(
          `shard ${spec.index}/${spec.count} is already done (${String(done.finishedAt)}); skipped (use --force to redo)\n`,
        );
      return result;
    }
    const s = await runRecipeShard(recipe, opts.shard, runOpts);
    result = {
      skipped: false,
      shard: s.shard,
      files: s.files,
      exportPath: s.exportPath,
      written: s.written,
      droppedNoText: s.droppedNoText,
      input: s.input,
      ops: opCounts(s.ops),
      seconds: progress.seconds(),
    };
    await markers.markDone(key, { written: s.written, exportPath: s.exportPath, files: s.files });
    if (!opts.json) {
      io.out(opTable(s.ops));
      io.out(
        `shard ${spec.index}/${spec.count}: ${s.files.length} files, ${s.written} samples written to ${shardWorkPath(String(recipe.config.export_path), spec.index, spec.count)}; run \`steel-dj merge --config ${opts.config} --shards ${spec.count}\` after all shards\n`,
      );
    }
  } else {
    const s = await runRecipe(recipe, runOpts);
    result = {
      exportPath: s.exportPath,
      exportPaths: s.exportPaths,
      statsPath: s.statsPath,
      written: s.written,
      droppedNoText: s.droppedNoText,
      input: s.input,
      ops: opCounts(s.ops),
      tracePaths: s.tracePaths,
      resumedFrom: s.resumedFrom,
      seconds: progress.seconds(),
    };
    if (!opts.json) {
      io.out(opTable(s.ops));
      const rej = s.input.rejected ? `; ${s.input.rejected} malformed input records skipped` : '';
      const none = s.droppedNoText ? `; ${s.droppedNoText} samples without text dropped` : '';
      io.out(`${s.written} samples written to ${s.exportPaths.join(', ')} (stats: ${s.statsPath})${rej}${none}\n`);
    }
  }
  if (opts.json) io.out(`${JSON.stringify(result)}\n`);
  return result;
}

/** `steel-dj merge`: the global dedup pass over every shard's output. */
export async function mergeCommand(
  opts: { config: string; shards: string; json?: boolean },
  io: DjCliIo = processIo,
): Promise<unknown> {
  const recipe = load(opts.config, io);
  const count = positiveInt('--shards', opts.shards)!;
  const markers = new DoneMarkers(join(workDirOf(recipe), 'done'));
  const missing: number[] = [];
  for (let i = 0; i < count; i++) if (!(await markers.isDone(`shard-${i}-of-${count}`))) missing.push(i);
  if (missing.length)
    throw new DjCliError(
      `shards not done yet: ${missing.join(', ')} of ${count} (run steel-dj process --shard i/${count})`,
    );
  const s = await mergeRecipeShards(recipe, count);
  if (opts.json) io.out(`${JSON.stringify(s)}\n`);
  else {
    for (const d of s.dedup) io.out(`${d.name}: ${d.in} -> ${d.out} (dropped ${d.in - d.out})\n`);
    io.out(`${s.written} of ${s.read} samples written to ${s.outputs.join(', ')}\n`);
  }
  return s;
}

/** `steel-dj analyze`: every filter's stats, describe table, SVG plots and the HTML page. */
export async function analyzeCommand(
  opts: { config: string; json?: boolean; quiet?: boolean; bins?: string; png?: boolean },
  io: DjCliIo = processIo,
): Promise<unknown> {
  const recipe = load(opts.config, io);
  const progress = progressReporter(io, 'steel-dj analyze', opts.quiet === true);
  const r = await analyzeRecipe(recipe, {
    onProgress: (n) => progress.tick(n),
    bins: positiveInt('--bins', opts.bins),
    png: opts.png === true,
  });
  if (opts.json) io.out(`${JSON.stringify(r)}\n`);
  else {
    const pk = [...new Set(r.summaries.flatMap((s) => Object.keys(s.percentiles)))];
    const w = Math.max(4, ...r.summaries.map((s) => s.key.length));
    const num = (v: number | undefined) => (v === undefined ? '' : String(+v.toPrecision(5))).padStart(10);
    io.out(`${'stat'.padEnd(w)}  ${['mean', 'std', 'min', ...pk, 'max'].map((h) => h.padStart(10)).join('  ')}\n`);
    for (const s of r.summaries)
      io.out(
        `${s.key.padEnd(w)}  ${[s.mean, s.std, s.min, ...pk.map((k) => s.percentiles[k]), s.max].map(num).join('  ')}\n`,
      );
    io.out(`${r.samples} samples; stats: ${r.statsPath}; table: ${r.overallCsvPath}; page: ${r.htmlPath}\n`);
  }
  return r;
}

/** `steel-dj format`: Steel's step 1 for one source. */
export async function formatCommand(
  opts: { source: string; input: string; output: string; fixBugs?: boolean; json?: boolean },
  io: DjCliIo = processIo,
): Promise<unknown> {
  if (!Object.hasOwn(SOURCE_FORMATTERS, opts.source))
    throw new DjCliError(
      `--source: unknown source '${opts.source}'; use one of ${Object.keys(SOURCE_FORMATTERS).join(', ')}`,
    );
  const s = await formatSource(opts.source, opts.input, opts.output, { fixBugs: opts.fixBugs === true });
  if (opts.json) io.out(`${JSON.stringify(s)}\n`);
  else {
    io.out(
      `${opts.source}: ${s.read} records read, ${s.written} written to ${s.output}, ${s.skipped} skipped by Steel's rules, ${s.failed} failed\n`,
    );
    for (const e of s.errorSamples) io.err(`steel-dj: format: ${e}\n`);
  }
  return s;
}

/** Adds process / merge / analyze / format to `program` (the `steel-dj` root, or `steel dj`). */
export function registerDjCommands(program: Command, io: DjCliIo = processIo): Command {
  program
    .command('process')
    .description('run a Data-Juicer recipe (dataset_path → ops → export_path + _stats.jsonl)')
    .requiredOption('--config <recipe>', 'recipe file (.yaml / .json, Data-Juicer keys)')
    .option('--shard <i/N>', 'process only shard i of N (0-based); a done-marker in work_dir/done skips it on re-runs')
    .option('--np <n>', 'worker threads for mappers and filters (overrides the recipe np)')
    .option('--force', 're-run a shard that is already marked done')
    .option('--json', 'print the summary as one JSON object')
    .option('--quiet', 'no progress lines on stderr')
    .action(async (o: ProcessCommandOptions) => {
      await processCommand(o, io);
    });
  program
    .command('merge')
    .description('after all --shard runs: global deduplication over the shards, final <export>-i-of-N files')
    .requiredOption('--config <recipe>', 'the recipe the shards ran')
    .requiredOption('--shards <N>', 'the shard count N')
    .option('--json', 'print the summary as one JSON object')
    .action(async (o: { config: string; shards: string; json?: boolean }) => {
      await mergeCommand(o, io);
    });
  program
    .command('analyze')
    .description(
      'stats of every filter (nothing dropped): percentiles, SVG histograms, correlation heat-map, work_dir/analysis/index.html',
    )
    .requiredOption('--config <recipe>', 'recipe file')
    .option('--bins <n>', 'histogram bins', '50')
    .option('--png', 'also write a PNG of every plot (needs the optional dependency @resvg/resvg-js)')
    .option('--json', 'print the result as one JSON object')
    .option('--quiet', 'no progress lines on stderr')
    .action(async (o: { config: string; json?: boolean; quiet?: boolean; bins?: string; png?: boolean }) => {
      await analyzeCommand(o, io);
    });
  program
    .command('format')
    .description(
      `Steel's step 1: raw source → {"text": ...} lines. Sources: ${Object.keys(SOURCE_FORMATTERS).join(', ')}`,
    )
    .requiredOption('--source <name>', 'source formatter name')
    .requiredOption('--input <path>', 'a raw file or a folder (Steel takes *.json* or *.parquet files)')
    .requiredOption('--output <file>', 'output .jsonl')
    .option('--fix-bugs', "repair Steel's documented bugs (rstrip character set, 10k+ upvotes, Baike separators)")
    .option('--json', 'print the summary as one JSON object')
    .action(async (o: { source: string; input: string; output: string; fixBugs?: boolean; json?: boolean }) => {
      await formatCommand(o, io);
    });
  return program;
}

/** The `steel-dj` program; `argv` is the user's arguments (without node and the script). Returns the exit code. */
export async function runDjCli(argv: readonly string[], io: DjCliIo = processIo): Promise<number> {
  const program = new Command('steel-dj')
    .description('Data-Juicer recipes in TypeScript: process, merge shards, analyze, format raw sources')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  registerDjCommands(program, io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    const message = err instanceof Error ? err.message : String(err);
    io.err(`steel-dj: ${message.split('\n')[0]}\n`);
    if (process.env.STEEL_DEBUG && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
    return 1;
  }
}
