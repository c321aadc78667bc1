// `steel demo`: the main job on the embedded corpus. Today: build the corpus, convert it between formats and
// summarize it. Later stages (clean -> tokenize -> pack -> train -> eval -> report) extend this command.
import fs from 'node:fs';
import path from 'node:path';
import { type CleanDemoOpCount, cleanDemoCorpus } from '@steel/data-juicer-ts';
import { batchFromRecords, datasetStats, readDataset, writeDataset } from '@steel/dataset';
import type { Command } from 'commander';
import { type CorpusOptions, type CorpusRecord, DEFAULT_CORPUS, demoCorpus } from '../demo/corpus.js';
import { CliError } from '../errors.js';
import { createProgress } from '../progress.js';
import { runTokenize, type TokenizeSummary } from './tokenize.js';

interface DemoOptions {
  out: string;
  tangFiles: string;
  songFiles: string;
  brownSamples: string;
  json?: boolean;
  quiet?: boolean;
}

function intOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new CliError(`--${name} must be an integer in [${min}, ${max}], got '${value}'`);
  }
  return n;
}

async function* corpusBatches(opts: CorpusOptions, onRows: (n: number) => void) {
  let rows: CorpusRecord[] = [];
  for (const rec of demoCorpus(opts)) {
    rows.push(rec);
    if (rows.length === 4096) {
      onRows(rows.length);
      yield batchFromRecords(rows as unknown as Record<string, unknown>[]);
      rows = [];
    }
  }
  if (rows.length) {
    onRows(rows.length);
    yield batchFromRecords(rows as unknown as Record<string, unknown>[]);
  }
}

export interface DemoSummary {
  out: string;
  corpus: {
    documents: number;
    characters: number;
    bySource: Record<string, { documents: number; characters: number }>;
  };
  formats: { format: string; path: string; bytes: number; rows: number; writeSeconds: number }[];
  fields: { name: string; type: string }[];
  clean: { read: number; written: number; ops: CleanDemoOpCount[]; output: string; seconds: number };
  tokenize: Pick<TokenizeSummary, 'documents' | 'tokens' | 'shards' | 'manifest' | 'seconds'> & {
    blockSize: number;
    windows: number;
  };
  seconds: number;
}

/** Small blocks: the demo trains a tiny model on CPU. */
const DEMO_BLOCK_SIZE = 256;
const DEMO_CHUNK_BLOCKS = 256;

export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const t0 = performance.now();
  const corpus: CorpusOptions = {
    tangFiles: intOption('tang-files', opts.tangFiles, 0, 58),
    songFiles: intOption('song-files', opts.songFiles, 0, 21),
    brownSamples: intOption('brown-samples', opts.brownSamples, 0, 500),
  };
  const out = path.resolve(opts.out);
  fs.mkdirSync(path.join(out, 'corpus'), { recursive: true });

  // 1. The raw corpus as jsonl, the format every stage reads.
  const progress = createProgress({ label: 'demo: corpus', unit: 'docs', quiet: opts.quiet ?? false });
  const formats: DemoSummary['formats'] = [];
  let t = performance.now();
  const jsonl = await writeDataset(
    corpusBatches(corpus, (n) => progress.tick(n)),
    path.join(out, 'corpus', 'corpus.jsonl'),
    { overwrite: true },
  );
  progress.done();
  formats.push({ format: 'jsonl', path: jsonl.path, bytes: jsonl.bytes, rows: jsonl.rows, writeSeconds: secs(t) });

  // 2. The same data as parquet and Arrow IPC, read back from the jsonl (what `steel data convert` does).
  for (const [format, file] of [
    ['parquet', 'corpus.parquet'],
    ['arrow', 'corpus.arrow'],
  ] as const) {
    t = performance.now();
    const w = await writeDataset(readDataset(jsonl.path), path.join(out, 'corpus', file), { format, overwrite: true });
    formats.push({ format, path: w.path, bytes: w.bytes, rows: w.rows, writeSeconds: secs(t) });
  }

  // 3. Summaries: per-source counts from the data itself, schema from the parquet file.
  const bySource: DemoSummary['corpus']['bySource'] = {};
  let documents = 0;
  let characters = 0;
  for await (const batch of readDataset(path.join(out, 'corpus', 'corpus.parquet'), { fields: ['source', 'text'] })) {
    const src = batch.getChild('source')!;
    const text = batch.getChild('text')!;
    for (let i = 0; i < batch.numRows; i++) {
      const s = String(src.get(i));
      const n = [...String(text.get(i) ?? '')].length;
      const entry = (bySource[s] ??= { documents: 0, characters: 0 });
      entry.documents++;
      entry.characters += n;
      documents++;
      characters += n;
    }
  }
  const stats = await datasetStats(path.join(out, 'corpus', 'corpus.parquet'));

  // 4. Clean with Data-Juicer ops (t2s for the Traditional-Chinese poems, Steel's text filters, exact dedup).
  const cleanProgress = createProgress({ label: 'demo: clean', unit: 'docs', quiet: opts.quiet ?? false });
  let cleanRead = 0;
  const clean = await cleanDemoCorpus({
    input: jsonl.path,
    outDir: path.join(out, 'clean'),
    onProgress: (read) => {
      cleanProgress.tick(read - cleanRead);
      cleanRead = read;
    },
  });
  cleanProgress.done();

  // 5. Tokenize with the Qwen tokenizer (Steel's ids) and pack into lit-gpt shards.
  const tok = await runTokenize({
    input: clean.exportPath,
    out: path.join(out, 'packed'),
    textKey: 'text',
    variant: 'qwen1.5',
    engine: 'native',
    blockSize: String(DEMO_BLOCK_SIZE),
    chunkBlocks: String(DEMO_CHUNK_BLOCKS),
    overwrite: true,
    quiet: opts.quiet ?? false,
  });

  const summary: DemoSummary = {
    out,
    corpus: { documents, characters, bySource },
    formats,
    fields: stats.fields.map((f) => ({ name: f.name, type: f.type })),
    clean: {
      read: clean.read,
      written: clean.written,
      ops: clean.ops,
      output: clean.exportPath,
      seconds: clean.seconds,
    },
    tokenize: {
      documents: tok.documents,
      tokens: tok.tokens,
      shards: tok.shards,
      manifest: tok.manifest,
      seconds: tok.seconds,
      blockSize: DEMO_BLOCK_SIZE,
      windows: Math.floor(tok.tokens / (DEMO_BLOCK_SIZE + 1)),
    },
    seconds: secs(t0),
  };
  fs.writeFileSync(path.join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

function secs(since: number): number {
  return Math.round(performance.now() - since) / 1000;
}

function printSummary(s: DemoSummary): void {
  const lines = [
    `Steel-TS demo: embedded corpus -> ${s.out}`,
    '',
    'source        documents   characters',
    ...Object.entries(s.corpus.bySource).map(
      ([src, v]) => `${src.padEnd(12)} ${String(v.documents).padStart(10)} ${String(v.characters).padStart(12)}`,
    ),
    `${'total'.padEnd(12)} ${String(s.corpus.documents).padStart(10)} ${String(s.corpus.characters).padStart(12)}`,
    '',
    'format      rows        bytes   write s',
    ...s.formats.map(
      (f) =>
        `${f.format.padEnd(8)} ${String(f.rows).padStart(7)} ${String(f.bytes).padStart(12)} ${f.writeSeconds.toFixed(2).padStart(9)}`,
    ),
    '',
    `fields: ${s.fields.map((f) => `${f.name}: ${f.type}`).join(', ')}`,
    '',
    `clean (${path.relative(process.cwd(), s.clean.output) || s.clean.output}): ${s.clean.read} -> ${s.clean.written} docs in ${s.clean.seconds.toFixed(1)} s`,
    ...s.clean.ops.map(
      (o) =>
        `  ${o.op.padEnd(36)} ${o.kind === 'mapper' ? `changed ${o.changed}` : `kept ${o.kept}, dropped ${o.dropped}`}${o.errors ? `, errors ${o.errors}` : ''}`,
    ),
    '',
    `tokenize (Qwen1.5 ids, <|im_end|> after each document): ${s.tokenize.documents} docs -> ${s.tokenize.tokens} tokens`,
    `  ${s.tokenize.shards} LITPKDS shard(s), ${s.tokenize.windows} windows of ${s.tokenize.blockSize + 1} tokens, ${s.tokenize.seconds.toFixed(1)} s; manifest ${s.tokenize.manifest}`,
    `done in ${s.seconds.toFixed(1)} s; summary in ${path.join(s.out, 'summary.json')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the main job on the embedded corpus (Tang/Song poetry, the Analects, the Brown Corpus)')
    .option('--out <dir>', 'output folder', 'demo-output')
    .option('--tang-files <n>', 'files of 1000 Tang poems to include (0-58)', String(DEFAULT_CORPUS.tangFiles))
    .option('--song-files <n>', 'files of 1000 Song ci to include (0-21)', String(DEFAULT_CORPUS.songFiles))
    .option('--brown-samples <n>', 'Brown Corpus samples to include (0-500)', String(DEFAULT_CORPUS.brownSamples))
    .option('--json', 'print the summary as JSON on stdout')
    .option('--quiet', 'no progress on stderr')
    .action(async (opts: DemoOptions) => {
      const summary = await runDemo(opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else printSummary(summary);
    });
}
