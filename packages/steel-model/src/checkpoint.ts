// HF-style model folders: config.json, generation_config.json, and model.safetensors or shards
// (model-0000i-of-0000N.safetensors + model.safetensors.index.json). Writes go to a temp folder renamed into place.
import { randomBytes } from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { configToJson, PRESETS, parseConfig, presetConfig, type SteelConfig } from './config.js';
import { CheckpointError } from './errors.js';
import { DEFAULT_SEED, initParameter } from './init.js';
import { numel, type ParamSpec, parameterSpecs } from './params.js';
import { SafetensorsFile, type TensorToWrite, tensorBytes, type WriteDtype, writeSafetensors } from './safetensors.js';

export const CONFIG_FILE = 'config.json';
export const GENERATION_CONFIG_FILE = 'generation_config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';
/** transformers' default `max_shard_size` for save_pretrained. */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

const TORCH_DTYPE: Record<WriteDtype, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new CheckpointError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(`${file} is not valid JSON (${(err as Error).message})`);
  }
}

/** A config from a preset name, a config.json path, or a model folder containing config.json. */
export async function loadConfig(source: string): Promise<SteelConfig> {
  let file = source;
  const stat = await fs.stat(source).catch(() => null);
  if (!stat) {
    if (Object.hasOwn(PRESETS, source)) return presetConfig(source);
    throw new CheckpointError(
      `config not found: ${source} is neither an existing config.json or model folder nor a preset (${Object.keys(PRESETS).join(', ')})`,
    );
  }
  if (stat.isDirectory()) file = path.join(source, CONFIG_FILE);
  const json = await readJson(file);
  try {
    return parseConfig(json);
  } catch (err) {
    throw new CheckpointError(`${file}: ${(err as Error).message}`);
  }
}

/** generation_config.json for a config: Steel's released one (spec §4.1) for the Qwen vocabulary, else just ids. */
export function defaultGenerationConfig(config: SteelConfig): Record<string, unknown> {
  if (config.vocab_size === 151936 && config.eos_token_id === 151645) {
    return {
      bos_token_id: 151643,
      pad_token_id: 151643,
      eos_token_id: [151645, 151643],
      do_sample: true,
      top_p: 0.8,
      repetition_penalty: 1.1,
    };
  }
  const out: Record<string, unknown> = {};
  if (config.bos_token_id !== null) out.bos_token_id = config.bos_token_id;
  if (config.eos_token_id !== null) out.eos_token_id = config.eos_token_id;
  if (config.pad_token_id !== null) out.pad_token_id = config.pad_token_id;
  return out;
}

/** Where a folder's tensors live: one file or a sharded set (read through the index). */
export class ModelWeights {
  private constructor(
    readonly dir: string,
    private readonly files: Map<string, SafetensorsFile>,
    private readonly where: Map<string, SafetensorsFile>,
  ) {}

  /** Opens model.safetensors or model.safetensors.index.json in `dir` (headers checked, no tensor read yet). */
  static async open(dir: string): Promise<ModelWeights> {
    const indexPath = path.join(dir, WEIGHTS_INDEX_FILE);
    const single = path.join(dir, WEIGHTS_FILE);
    const files = new Map<string, SafetensorsFile>();
    const where = new Map<string, SafetensorsFile>();
    try {
      if (await exists(indexPath)) {
        const index = await readJson(indexPath);
        const map = (index as { weight_map?: unknown } | null)?.weight_map;
        if (map === null || typeof map !== 'object' || Array.isArray(map)) {
          throw new CheckpointError(`${indexPath}: weight_map is missing or not an object`);
        }
        for (const [name, file] of Object.entries(map as Record<string, unknown>)) {
          // A shard name must be a plain file in this folder: a hostile index must not read elsewhere.
          if (
            typeof file !== 'string' ||
            file !== path.basename(file) ||
            file === '..' ||
            file === '.' ||
            file === ''
          ) {
            throw new CheckpointError(
              `${indexPath}: weight_map[${JSON.stringify(name)}] = ${JSON.stringify(file)} is not a file name in the folder`,
            );
          }
          let shard = files.get(file);
          if (!shard) {
            shard = await SafetensorsFile.open(path.join(dir, file));
            files.set(file, shard);
          }
          if (!shard.has(name))
            throw new CheckpointError(`${indexPath}: ${name} is mapped to ${file}, which does not contain it`);
          where.set(name, shard);
        }
      } else if (await exists(single)) {
        const file = await SafetensorsFile.open(single);
        files.set(WEIGHTS_FILE, file);
        for (const t of file.tensors) where.set(t.name, file);
      } else {
        const pickle = ['pytorch_model.bin', 'pytorch_model.bin.index.json'].find((f) =>
          fsSync.existsSync(path.join(dir, f)),
        );
        throw new CheckpointError(
          pickle
            ? `${dir} has ${pickle} (PyTorch pickle), which is not read here: convert it to safetensors first (e.g. save_pretrained(..., safe_serialization=True))`
            : `${dir} has neither ${WEIGHTS_FILE} nor ${WEIGHTS_INDEX_FILE}`,
        );
      }
    } catch (err) {
      for (const f of files.values()) await f.close();
      throw err;
    }
    return new ModelWeights(dir, files, where);
  }

  names(): string[] {
    return [...this.where.keys()];
  }

  has(name: string): boolean {
    return this.where.has(name);
  }

  shape(name: string): number[] {
    return this.file(name).info(name).shape;
  }

  dtype(name: string): string {
    return this.file(name).info(name).dtype;
  }

  /** One tensor as float32 (converted from F16/BF16/F64 if stored so). */
  read(name: string): Promise<Float32Array> {
    return this.file(name).readFloat32(name);
  }

  private file(name: string): SafetensorsFile {
    const f = this.where.get(name);
    if (!f) throw new CheckpointError(`${this.dir}: no tensor named ${name}`);
    return f;
  }

  async close(): Promise<void> {
    for (const f of this.files.values()) await f.close();
  }
}

async function exists(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => null)) !== null;
}

/**
 * Checks a weight set against the config's parameter table: every parameter present with its exact shape.
 * Returns the names present but not expected (HF from_pretrained also only warns about those).
 */
export function checkWeightShapes(
  config: SteelConfig,
  shapeOf: (name: string) => number[] | undefined,
  names: Iterable<string>,
): string[] {
  const specs = parameterSpecs(config);
  const missing: string[] = [];
  for (const spec of specs) {
    const shape = shapeOf(spec.name);
    if (!shape) {
      missing.push(spec.name);
      continue;
    }
    if (shape.length !== spec.shape.length || shape.some((d, i) => d !== spec.shape[i])) {
      throw new CheckpointError(
        `${spec.name} has shape ${JSON.stringify(shape)}, the config needs ${JSON.stringify(spec.shape)}`,
      );
    }
  }
  if (missing.length) {
    const shown = missing.slice(0, 5).join(', ');
    throw new CheckpointError(
      `${missing.length} parameter(s) missing from the weights: ${shown}${missing.length > 5 ? ', ...' : ''}`,
    );
  }
  const expected = new Set(specs.map((s) => s.name));
  return [...names].filter((n) => !expected.has(n));
}

export interface LoadedModel {
  config: SteelConfig;
  generationConfig: Record<string, unknown> | null;
  /** float32 weights keyed by HF name (parameters of the table only). */
  weights: Map<string, Float32Array>;
  /** Tensors in the files that the config does not use (ignored). */
  unexpected: string[];
}

/** Loads a whole HF-style folder into memory as float32. */
export async function loadModelFolder(dir: string): Promise<LoadedModel> {
  const config = await loadConfig(path.join(dir, CONFIG_FILE));
  const genPath = path.join(dir, GENERATION_CONFIG_FILE);
  const generationConfig = (await exists(genPath)) ? ((await readJson(genPath)) as Record<string, unknown>) : null;
  const files = await ModelWeights.open(dir);
  try {
    const unexpected = checkWeightShapes(config, (n) => (files.has(n) ? files.shape(n) : undefined), files.names());
    const weights = new Map<string, Float32Array>();
    for (const spec of parameterSpecs(config)) weights.set(spec.name, await files.read(spec.name));
    return { config, generationConfig, weights, unexpected };
  } finally {
    await files.close();
  }
}

export interface SaveOptions {
  /** Storage dtype of the weights (default F32). config.json's torch_dtype is set to match. */
  dtype?: WriteDtype;
  /** Shard when the weights exceed this many bytes (default 5 GB, transformers' default). */
  maxShardBytes?: number;
  /** Default: defaultGenerationConfig(config). */
  generationConfig?: Record<string, unknown>;
  /** Replace an existing non-empty folder (default false: refuse). */
  overwrite?: boolean;
  /** Called after each tensor is produced (for progress): its name and element count. */
  onTensor?: (name: string, parameters: number) => void;
}

export interface SavedModel {
  dir: string;
  files: string[];
  parameters: number;
  bytes: number;
}

/** Weights to save: an in-memory map, or a function producing each tensor when it is written (streaming). */
export type WeightProvider = Map<string, Float32Array> | ((spec: ParamSpec) => Float32Array | Promise<Float32Array>);

/**
 * Writes an HF-style folder atomically: everything goes to a sibling temp folder that is renamed to `dir` at the
 * end, so `dir` never holds a half-written model. Peak memory with a function provider is one tensor.
 */
export async function saveModelFolder(
  dir: string,
  config: SteelConfig,
  weights: WeightProvider,
  options: SaveOptions = {},
): Promise<SavedModel> {
  const dtype = options.dtype ?? 'F32';
  const maxShard = options.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  const target = path.resolve(dir);
  const targetStat = await fs.stat(target).catch(() => null);
  if (targetStat && !targetStat.isDirectory()) throw new CheckpointError(`${target} exists and is not a folder`);
  const existing = targetStat ? await fs.readdir(target) : null;
  if (existing?.length && !options.overwrite) {
    throw new CheckpointError(`${target} already exists and is not empty (choose another folder or allow overwrite)`);
  }
  const specs = parameterSpecs(config);
  const tensors: TensorToWrite[] = specs.map((spec) => ({
    name: spec.name,
    shape: spec.shape,
    dtype,
    data: async () => {
      const values = weights instanceof Map ? weights.get(spec.name) : await weights(spec);
      if (!values) throw new CheckpointError(`no weights given for ${spec.name}`);
      if (values.length !== numel(spec.shape)) {
        throw new CheckpointError(
          `${spec.name} has ${values.length} values, shape ${JSON.stringify(spec.shape)} needs ${numel(spec.shape)}`,
        );
      }
      options.onTensor?.(spec.name, values.length);
      return values;
    },
  }));

  // Greedy sharding in parameter order; a tensor larger than the limit gets a shard of its own.
  const shards: TensorToWrite[][] = [];
  let current: TensorToWrite[] = [];
  let currentBytes = 0;
  for (const t of tensors) {
    const n = tensorBytes(t.shape, t.dtype);
    if (current.length && currentBytes + n > maxShard) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(t);
    currentBytes += n;
  }
  if (current.length) shards.push(current);

  const parent = path.dirname(target);
  await fs.mkdir(parent, { recursive: true });
  const tmp = path.join(parent, `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(tmp);
  try {
    const files: string[] = [];
    const savedConfig: SteelConfig = { ...config, torch_dtype: TORCH_DTYPE[dtype] };
    await fs.writeFile(path.join(tmp, CONFIG_FILE), `${JSON.stringify(configToJson(savedConfig), null, 2)}\n`);
    files.push(CONFIG_FILE);
    const gen = options.generationConfig ?? defaultGenerationConfig(config);
    await fs.writeFile(path.join(tmp, GENERATION_CONFIG_FILE), `${JSON.stringify(gen, null, 2)}\n`);
    files.push(GENERATION_CONFIG_FILE);
    let bytes = 0;
    const metadata = { format: 'pt' }; // transformers refuses safetensors files without format=pt
    if (shards.length === 1) {
      bytes += (await writeSafetensors(path.join(tmp, WEIGHTS_FILE), shards[0]!, { metadata })).bytes;
      files.push(WEIGHTS_FILE);
    } else {
      const weightMap: Record<string, string> = {};
      let totalSize = 0;
      const width = 5;
      for (let i = 0; i < shards.length; i++) {
        const name = `model-${String(i + 1).padStart(width, '0')}-of-${String(shards.length).padStart(width, '0')}.safetensors`;
        for (const t of shards[i]!) {
          weightMap[t.name] = name;
          totalSize += tensorBytes(t.shape, t.dtype);
        }
        bytes += (await writeSafetensors(path.join(tmp, name), shards[i]!, { metadata })).bytes;
        files.push(name);
      }
      const index = { metadata: { total_size: totalSize }, weight_map: weightMap };
      await fs.writeFile(path.join(tmp, WEIGHTS_INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`);
      files.push(WEIGHTS_INDEX_FILE);
    }
    if (existing) {
      // Move the old folder aside first so `dir` is always either the old or the new model.
      const old = `${tmp}.old`;
      await fs.rename(target, old);
      await fs.rename(tmp, target);
      await fs.rm(old, { recursive: true, force: true });
    } else {
      await fs.rename(tmp, target);
    }
    return { dir: target, files, parameters: specs.reduce((a, s) => a + numel(s.shape), 0), bytes };
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

export interface InitOptions extends SaveOptions {
  seed?: number;
}

/** `steel model init`: a freshly initialised model written straight to a folder, one tensor in memory at a time. */
export function initModelFolder(dir: string, config: SteelConfig, options: InitOptions = {}): Promise<SavedModel> {
  const seed = options.seed ?? DEFAULT_SEED;
  return saveModelFolder(dir, config, (spec) => initParameter(spec, seed), options);
}
