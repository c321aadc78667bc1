// Data-Juicer recipes (YAML or JSON): the top-level keys and the ordered `process` list of one-key op maps.
// Unknown keys produce warnings, not errors; op names and parameters are validated through the registry.

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { defaultRegistry } from './builtin.js';
import type { Op } from './op.js';
import { ParamError, type ParamValues } from './params.js';
import type { OpRegistry } from './registry.js';

/** Data-Juicer's top-level recipe keys with their HEAD defaults. */
export const RECIPE_DEFAULTS = {
  project_name: 'hello_world',
  dataset_path: '',
  dataset: [] as unknown,
  generated_dataset_config: null as unknown,
  validators: [] as unknown,
  export_path: './outputs/hello_world/hello_world.jsonl',
  export_type: null as string | null,
  export_shard_size: 0,
  export_in_parallel: false,
  keep_stats_in_res_ds: false,
  keep_hashes_in_res_ds: false,
  np: 4,
  text_keys: 'text' as string | string[],
  suffixes: [] as string[],
  use_cache: true,
  ds_cache_dir: null as string | null,
  temp_dir: null as string | null,
  cache_compress: null as string | null,
  use_checkpoint: false,
  open_tracer: false,
  op_list_to_trace: [] as string[],
  trace_num: 10,
  op_fusion: false,
  fusion_strategy: 'probe',
  skip_op_error: true,
  open_monitor: true,
  executor_type: 'default',
  ray_address: 'auto',
  percentiles: [0.25, 0.5, 0.75],
  export_original_dataset: false,
  save_stats_in_one_file: false,
  work_dir: null as string | null,
  eoc_special_token: null as string | null,
  process: [] as unknown[],
};

export type RecipeConfig = typeof RECIPE_DEFAULTS & Record<string, unknown>;

export interface RecipeOpEntry {
  name: string;
  params: ParamValues;
}

export interface LoadedRecipe {
  /** Every top-level key, defaults filled in (unknown keys kept as given). */
  config: RecipeConfig;
  /** The `process` list as (name, params) pairs, in order. */
  process: RecipeOpEntry[];
  /** The ops, created and validated (text_key defaulting to the first of `text_keys`). */
  ops: Op[];
  /** The text key every op reads unless it sets its own. */
  textKey: string;
  /** Top-level keys the recipe itself set (the rest are defaults). */
  explicitKeys: string[];
  warnings: string[];
}

export class RecipeError extends Error {
  override name = 'RecipeError';
}

/** Parse a recipe object (already read from YAML/JSON). */
export function loadRecipeObject(
  raw: unknown,
  registry: OpRegistry = defaultRegistry,
  source = 'recipe',
): LoadedRecipe {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new RecipeError(`${source}: a recipe must be a mapping of keys (project_name, dataset_path, process, ...)`);
  const obj = raw as Record<string, unknown>;
  const warnings: string[] = [];
  for (const key of Object.keys(obj))
    if (!Object.hasOwn(RECIPE_DEFAULTS, key)) warnings.push(`${source}: unknown key "${key}" ignored`);
  const config = { ...RECIPE_DEFAULTS, ...obj } as RecipeConfig;
  const tk = config.text_keys;
  let textKey: string;
  if (typeof tk === 'string') textKey = tk;
  else if (Array.isArray(tk) && tk.length > 0 && tk.every((k) => typeof k === 'string')) {
    textKey = tk[0]!;
    if (tk.length > 1)
      warnings.push(
        `${source}: text_keys has ${tk.length} keys; only the first ("${textKey}") is used, as in Data-Juicer`,
      );
  } else throw new RecipeError(`${source}: text_keys must be a string or a non-empty list of strings`);
  if (obj.np !== undefined && !(Number.isInteger(obj.np) && (obj.np as number) >= 1))
    throw new RecipeError(`${source}: np must be a positive integer, got ${JSON.stringify(obj.np)}`);
  for (const k of ['op_fusion', 'export_in_parallel']) {
    if (config[k] === true) warnings.push(`${source}: "${k}: true" is accepted but has no effect here yet`);
  }
  if (config.executor_type !== 'default')
    warnings.push(`${source}: executor_type "${config.executor_type}" is ignored; ops run in this process`);
  if (!Array.isArray(config.process)) throw new RecipeError(`${source}: process must be a list of {op_name: {params}}`);
  const process: RecipeOpEntry[] = [];
  const ops: Op[] = [];
  config.process.forEach((item, i) => {
    const where = `${source}: process[${i}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item) || Object.keys(item).length !== 1)
      throw new RecipeError(
        `${where}: each item must be a one-key map {op_name: {params}}, got ${JSON.stringify(item)}`,
      );
    const [name, value] = Object.entries(item as Record<string, unknown>)[0]!;
    if (value !== null && (typeof value !== 'object' || Array.isArray(value)))
      throw new RecipeError(`${where} (${name}): parameters must be a map or empty, got ${JSON.stringify(value)}`);
    const params: ParamValues = { ...((value as ParamValues | null) ?? {}) };
    if (!Object.hasOwn(params, 'text_key')) params.text_key = textKey;
    process.push({ name, params });
    try {
      ops.push(registry.create(name, params));
    } catch (e) {
      if (e instanceof ParamError) throw new RecipeError(`${where}: ${e.message}`);
      throw e;
    }
  });
  return { config, process, ops, textKey, explicitKeys: Object.keys(obj), warnings };
}

/** Read and parse a recipe file (.yaml, .yml or .json). */
export function loadRecipe(path: string, registry: OpRegistry = defaultRegistry): LoadedRecipe {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RecipeError(`cannot read recipe ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { intAsBigInt: false });
  } catch (e) {
    throw new RecipeError(`${path}: not valid YAML/JSON: ${(e as Error).message}`);
  }
  return loadRecipeObject(raw, registry, path);
}
