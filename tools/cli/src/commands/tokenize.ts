// `steel tokenize`: a thin shell over @steel/tokenizer's packTexts, reading through @steel/dataset.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DoneMarkers, ErrorReport, listDatasetFiles, parseShardSpec, readDataset, shardOf } from '@steel/dataset';
import { type EngineName, loadTokenizer, packTexts, VARIANT_NAMES, type VariantName } from '@steel/tokenizer';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { createProgress } from '../progress.js';

interface TokenizeOptions {
  input: string;
  out: string;
  textKey: string;
  variant: string;
  tokenizer?: string;
  /** fast | native | js; unset: the library's default (fast when its C++ addon is built, else native). */
  engine?: string;
  threads?: string;
  blockSize: string;
  chunkBlocks: string;
  steelCompat?: boolean;
  allowSpecial?: boolean;
  shard?: string;
  prefix?: string;
  errors?: string;
  arrow?: string;
  overwrite?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export interface TokenizeSummary {
  input: string;
  out: string;
  /** true when this shard's done-marker existed and nothing was redone. */
  skipped: boolean;
  shard: string;
  sources: number;
  documents: number;
  rejected: number;
  tokens: number;
  shards: number;
  manifest: string;
  bytes: number;
  seconds: number;
  mbPerSecond: number;
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new CliError(`${flag} must be a positive integer, got '${v}'`);
  }
  return n;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function runTokenize(opts: TokenizeOptions): Promise<TokenizeSummary> {
  const t0 = performance.now();
  if (!opts.input) throw new CliError('--input <file|dir> is required');
  if (!opts.out) throw new CliError('--out <dir> is required');
  if (!opts.textKey || opts.textKey.trim() === '') throw new CliError('--text-key must not be empty');
  if (!(VARIANT_NAMES as readonly string[]).includes(opts.variant)) {
    throw new CliError(`--variant must be one of ${VARIANT_NAMES.join(', ')}, got '${opts.variant}'`);
  }
  if (opts.engine !== undefined && !['fast', 'native', 'js'].includes(opts.engine)) {
    throw new CliError(`--engine must be fast, native or js, got '${opts.engine}'`);
  }
  const threads = opts.threads === undefined ? undefined : positiveInt('--threads', opts.threads);
  const blockSize = positiveInt('--block-size', opts.blockSize);
  const chunkBlocks = positiveInt('--chunk-blocks', opts.chunkBlocks);
  let shard = { index: 0, count: 1 };
  if (opts.shard !== undefined) {
    try {
      shard = parseShardSpec(opts.shard);
    } catch (err) {
      throw new CliError(`--shard: ${message(err)}`);
    }
  }
  const width = Math.max(5, String(shard.count).length);
  const pad = (n: number) => String(n).padStart(width, '0');
  const prefix = opts.prefix ?? (shard.count > 1 ? `part-${pad(shard.index)}-of-${pad(shard.count)}` : 'part');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(prefix)) {
    throw new CliError(`--prefix must be letters, digits, '.', '_' or '-', got '${prefix}'`);
  }
  const manifestName = shard.count > 1 ? `manifest-${prefix}.json` : 'manifest.json';
  const shardText = `${shard.index}/${shard.count}`;

  let files: string[];
  try {
    files = shardOf(await listDatasetFiles(opts.input), shard.index, shard.count);
  } catch (err) {
    throw new CliError(`--input ${opts.input}: ${message(err)}`);
  }

  const markers = new DoneMarkers(opts.out);
  const done = await markers.info(prefix).catch(() => undefined);
  if (done && !opts.overwrite) {
    const d = done as Partial<TokenizeSummary>;
    return {
      input: opts.input,
      out: opts.out,
      skipped: true,
      shard: shardText,
      sources: files.length,
      documents: d.documents ?? 0,
      rejected: d.rejected ?? 0,
      tokens: d.tokens ?? 0,
      shards: d.shards ?? 0,
      manifest: join(opts.out, manifestName),
      bytes: d.bytes ?? 0,
      seconds: 0,
      mbPerSecond: 0,
    };
  }
  // An unfinished earlier attempt of this shard left files under our prefix: they are redone from scratch.
  const ours = new RegExp(`^${prefix.replace(/[.]/g, '\\.')}_\\d{10}\\.bin$`);
  const removeOurs = async () => {
    const existing = await readdir(opts.out).catch(() => [] as string[]);
    for (const f of existing) if (ours.test(f)) await rm(join(opts.out, f), { force: true });
  };
  await removeOurs();

  let tokenizer: Awaited<ReturnType<typeof loadTokenizer>>;
  try {
    tokenizer = await loadTokenizer({
      variant: opts.variant as VariantName,
      ...(opts.engine ? { engine: opts.engine as EngineName } : {}),
      ...(threads ? { threads } : {}),
      ...(opts.tokenizer ? { path: opts.tokenizer } : {}),
    });
  } catch (err) {
    throw new CliError(`${message(err)}${opts.tokenizer ? ' (--tokenizer)' : ''}`);
  }

  const errors = new ErrorReport(opts.errors ? { sinkPath: opts.errors } : {});
  const progress = createProgress({ label: `tokenize ${shardText}`, unit: 'docs', quiet: opts.quiet ?? false });
  const textKey = opts.textKey;
  async function* texts(): AsyncGenerator<string[]> {
    if (files.length === 0) return;
    // Batches of 1024 rows: parsing the next batch overlaps encoding the previous one on the native threads.
    const read = { fields: [textKey], requiredFields: [textKey], errors, batchRows: 1024 };
    for await (const batch of readDataset(files, read)) {
      const col = batch.getChild(textKey);
      if (!col) continue;
      const out: string[] = new Array(batch.numRows);
      for (let i = 0; i < batch.numRows; i++) out[i] = String(col.get(i));
      yield out;
    }
  }
  let result: Awaited<ReturnType<typeof packTexts>>;
  let lastDocs = 0;
  try {
    result = await packTexts(tokenizer, texts(), {
      outDir: opts.out,
      prefix,
      blockSize,
      chunkBlocks,
      steelCompat: opts.steelCompat ?? false,
      allowSpecial: opts.allowSpecial ?? false,
      overwrite: true,
      ...(opts.arrow ? { arrowOutput: opts.arrow } : {}),
      sources: files,
      manifestName,
      options: { textKey, shard: shardText, variant: opts.variant, tokenizerPath: opts.tokenizer ?? null },
      skippedDocuments: () => errors.summary().rejected,
      onProgress: ({ documents }) => {
        progress.tick(documents - lastDocs);
        lastDocs = documents;
      },
    });
    errors.countWritten(result.manifest.documents);
    await errors.close();
  } catch (err) {
    errors.abort();
    // No half-run left behind: the shard files of this attempt go (the manifest and done-marker were never written).
    await removeOurs();
    throw new CliError(message(err));
  } finally {
    progress.done();
  }
  const seconds = (performance.now() - t0) / 1000;
  const m = result.manifest;
  const summary: TokenizeSummary = {
    input: opts.input,
    out: opts.out,
    skipped: false,
    shard: shardText,
    sources: files.length,
    documents: m.documents,
    rejected: m.skippedDocuments,
    tokens: m.tokens,
    shards: m.shards.length,
    manifest: result.manifestPath,
    bytes: result.bytes,
    seconds: Number(seconds.toFixed(3)),
    mbPerSecond: Number((result.bytes / 1e6 / seconds).toFixed(3)),
  };
  await markers.markDone(prefix, { ...summary });
  return summary;
}

export function registerTokenize(program: Command): void {
  program
    .command('tokenize')
    .description(
      'tokenize a dataset with the Qwen tokenizer and pack it into lit-gpt LITPKDS .bin shards + manifest.json ' +
        '(<|im_end|> after every document, last file padded with <|endoftext|>)',
    )
    .requiredOption('--input <file|dir>', 'jsonl / json / csv / parquet / Arrow file or folder')
    .requiredOption('--out <dir>', 'output folder for the .bin shards and the manifest')
    .option('--text-key <key>', 'field holding the document text', 'text')
    .option('--variant <name>', `built-in vocabulary: ${VARIANT_NAMES.join(' | ')}`, 'qwen1.5')
    .option(
      '--tokenizer <path>',
      'use this tokenizer.json, or folder (tokenizer.json or vocab.json + merges.txt + tokenizer_config.json)',
    )
    .option(
      '--engine <name>',
      "fast (Steel's C++ BPE) | native (HF Rust) | js (pure JS); default: fast when its addon is built, else native",
    )
    .option('--threads <n>', 'threads of the fast engine (default: RAYON_NUM_THREADS, else the number of CPUs)')
    .option('--block-size <n>', 'training context length; windows are block-size + 1 tokens', '2048')
    .option(
      '--chunk-blocks <n>',
      'windows per file: chunk = (block-size + 1) * chunk-blocks (Steel used 204800)',
      '1024',
    )
    .option('--steel-compat', "Steel's rule: drop a last chunk that is at most 5% full")
    .option('--allow-special', 'split special-token strings inside documents into control ids (Steel did)')
    .option(
      '--shard <i/N>',
      'process input files shard i of N (0-based); each shard has its own prefix and done-marker',
    )
    .option('--prefix <name>', 'shard file prefix (default part, or part-<i>-of-<N> with --shard)')
    .option('--errors <report.jsonl>', 'list every rejected record (file, line, reason) in this jsonl file')
    .option('--arrow <file.arrow>', 'also write an Arrow IPC file with one input_ids list per document')
    .option('--overwrite', 'redo a shard even if its done-marker exists')
    .option('--json', 'print the summary as JSON on stdout')
    .option('--quiet', 'no progress on stderr')
    .action(async (opts: TokenizeOptions) => {
      const s = await runTokenize(opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(s)}\n`);
      else if (!opts.quiet) {
        process.stdout.write(
          s.skipped
            ? `shard ${s.shard} already done (${s.manifest}); pass --overwrite to redo it\n`
            : `${s.documents} documents (${s.rejected} rejected) -> ${s.tokens} tokens in ${s.shards} shards, ` +
                `${s.manifest} (${s.seconds.toFixed(1)} s, ${s.mbPerSecond} MB/s)\n`,
        );
      }
    });
}
