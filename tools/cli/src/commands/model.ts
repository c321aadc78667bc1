// `steel model init`: a freshly initialised Steel model as an HF-style folder (config.json, generation_config.json,
// model.safetensors or shards). A thin shell over @steel/steel-model's initModelFolder.
import {
  CheckpointError,
  countParameters,
  initModelFolder,
  loadConfig,
  PRESETS,
  SafetensorsError,
  SteelConfigError,
  SteelModel,
  type WriteDtype,
} from '@steel/steel-model';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { createProgress } from '../progress.js';

interface InitOptions {
  config: string;
  out: string;
  seed: string;
  dtype: string;
  maxShardSize?: string;
  force?: boolean;
  json?: boolean;
  quiet?: boolean;
}

const DTYPES: Record<string, WriteDtype> = {
  f32: 'F32',
  float32: 'F32',
  f16: 'F16',
  float16: 'F16',
  bf16: 'BF16',
  bfloat16: 'BF16',
};

/** "5GB", "500MB", "2000000" -> bytes (decimal units, as transformers' max_shard_size). */
function parseBytes(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$/i.exec(value.trim());
  if (!m) throw new CliError(`--max-shard-size must be a size like 5GB, 500MB or a byte count, got '${value}'`);
  const scale = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9 }[(m[2] ?? 'B').toUpperCase() as 'B' | 'KB' | 'MB' | 'GB'];
  const bytes = Math.floor(Number(m[1]) * scale);
  if (bytes < 1) throw new CliError(`--max-shard-size must be at least 1 byte, got '${value}'`);
  return bytes;
}

export async function runModelInit(opts: InitOptions) {
  const seed = Number(opts.seed);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new CliError(`--seed must be a non-negative integer, got '${opts.seed}'`);
  const dtype = DTYPES[opts.dtype.toLowerCase()];
  if (!dtype) throw new CliError(`--dtype must be one of f32, f16, bf16, got '${opts.dtype}'`);
  const maxShardBytes = opts.maxShardSize === undefined ? undefined : parseBytes(opts.maxShardSize);
  try {
    const config = await loadConfig(opts.config);
    const count = countParameters(config);
    const progress = createProgress({
      label: 'init',
      unit: 'params',
      total: count.total,
      quiet: opts.quiet || count.total < 50_000_000,
    });
    const t0 = performance.now();
    const saved = await initModelFolder(opts.out, config, {
      seed,
      dtype,
      maxShardBytes,
      overwrite: opts.force,
      onTensor: (_name, n) => progress.tick(n),
    });
    progress.done();
    return {
      out: saved.dir,
      files: saved.files,
      parameters: count.total,
      tensors: count.tensors,
      bytes: saved.bytes,
      dtype,
      seed,
      seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
    };
  } catch (err) {
    // the library says "allow overwrite"; on the command line that is --force
    if (err instanceof SteelConfigError || err instanceof CheckpointError)
      throw new CliError(err.message.replace('allow overwrite', 'pass --force'));
    throw err;
  }
}

/** "1,2,3" (spaces allowed) -> token ids; checked against the vocabulary later by the model. */
export function parseIds(value: string, flag = '--ids'): number[] {
  const parts = value.split(',').map((x) => x.trim());
  if (parts.length === 0 || parts.some((x) => !/^\d+$/.test(x))) {
    throw new CliError(`${flag} must be comma-separated non-negative integers like 1,2,3, got '${value}'`);
  }
  return parts.map(Number);
}

/** Loads a model folder for the model commands; library errors become one-line CLI errors. */
export async function loadSteelModel(dir: string, threads?: string): Promise<SteelModel> {
  const n = threads === undefined ? undefined : Number(threads);
  if (n !== undefined && !(Number.isInteger(n) && n > 0))
    throw new CliError(`--threads must be a positive integer, got '${threads}'`);
  try {
    return await SteelModel.load(dir, n ? { threads: n } : {});
  } catch (err) {
    throw asCliError(err);
  }
}

export function asCliError(err: unknown): unknown {
  if (
    err instanceof SteelConfigError ||
    err instanceof CheckpointError ||
    err instanceof SafetensorsError ||
    err instanceof RangeError
  )
    return new CliError(err.message);
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES') return new CliError((err as Error).message);
  return err;
}

interface LogitsOptions {
  model: string;
  ids: string;
  json?: boolean;
  threads?: string;
}

/** `steel model logits`: logits [T][V] of one sequence (positions 0..T-1, no cache), as JSON. */
export async function runModelLogits(opts: LogitsOptions): Promise<number[][]> {
  const ids = parseIds(opts.ids);
  const model = await loadSteelModel(opts.model, opts.threads);
  try {
    const flat = await model.logits(ids).catch((e) => {
      throw asCliError(e);
    });
    const V = model.config.vocab_size;
    return ids.map((_, t) => Array.from(flat.subarray(t * V, (t + 1) * V)));
  } finally {
    await model.release();
  }
}

/** `steel model grads`: next-token loss of one sequence and the L2 norm of every parameter's gradient. */
export async function runModelGrads(
  opts: LogitsOptions,
): Promise<{ loss: number; grad_norms: Record<string, number> }> {
  const ids = parseIds(opts.ids);
  if (ids.length < 2) throw new CliError('--ids needs at least 2 ids for a next-token loss');
  const model = await loadSteelModel(opts.model, opts.threads);
  try {
    const { loss, gradNorms } = await model.grads(ids).catch((e) => {
      throw asCliError(e);
    });
    return { loss, grad_norms: gradNorms };
  } finally {
    await model.release();
  }
}

export function registerModel(program: Command): void {
  const model = program.command('model').description('Steel model folders (HF-style: config.json + safetensors)');
  model
    .command('init')
    .description('write a freshly initialised model folder (init per the Steel spec, seeded)')
    .requiredOption(
      '--config <config>',
      `a preset (${Object.keys(PRESETS).join(', ')}), a config.json, or a model folder`,
    )
    .requiredOption('--out <dir>', 'output folder (must not exist or be empty, unless --force)')
    .option('--seed <n>', 'RNG seed', '3407')
    .option('--dtype <dtype>', 'storage dtype: f32, f16 or bf16', 'f32')
    .option('--max-shard-size <size>', 'shard above this size (e.g. 2GB); default 5GB like transformers')
    .option('--force', 'replace a non-empty output folder')
    .option('--json', 'print a JSON summary on stdout')
    .option('--quiet', 'no progress on stderr')
    .action(async (opts: InitOptions) => {
      const summary = await runModelInit(opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        process.stdout.write(
          `wrote ${summary.out} (${summary.parameters.toLocaleString('en-US')} parameters, ${summary.dtype}, ${summary.files.join(', ')})\n`,
        );
      }
    });
  model
    .command('logits')
    .description('print the logits [T][V] of one sequence (float32, positions 0..T-1, no KV cache)')
    .requiredOption('--model <dir>', 'model folder (config.json + safetensors)')
    .requiredOption('--ids <ids>', 'token ids, comma-separated (e.g. 1,2,3)')
    .option('--json', 'print JSON (the only output format)')
    .option('--threads <n>', 'ONNX Runtime intra-op threads')
    .action(async (opts: LogitsOptions) => {
      const logits = await runModelLogits(opts);
      process.stdout.write(`${JSON.stringify(logits)}\n`);
    });
  model
    .command('grads')
    .description('print {loss, grad_norms: {hfName: l2norm}} for the next-token loss of one sequence')
    .requiredOption('--model <dir>', 'model folder (config.json + safetensors)')
    .requiredOption('--ids <ids>', 'token ids, comma-separated, at least 2')
    .option('--json', 'print JSON (the only output format)')
    .option('--threads <n>', 'ONNX Runtime intra-op threads')
    .action(async (opts: LogitsOptions) => {
      const result = await runModelGrads(opts);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });
}
