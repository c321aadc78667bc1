// `steel model init`: a freshly initialised Steel model as an HF-style folder (config.json, generation_config.json,
// model.safetensors or shards). A thin shell over @steel/steel-model's initModelFolder.
import {
  CheckpointError,
  countParameters,
  initModelFolder,
  loadConfig,
  SteelConfigError,
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
    if (err instanceof SteelConfigError || err instanceof CheckpointError) throw new CliError(err.message);
    throw err;
  }
}

export function registerModel(program: Command): void {
  const model = program.command('model').description('Steel model folders (HF-style: config.json + safetensors)');
  model
    .command('init')
    .description('write a freshly initialised model folder (init per the Steel spec, seeded)')
    .requiredOption(
      '--config <config>',
      'a preset (steel-1b, steel-small, steel-tiny), a config.json, or a model folder',
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
}
