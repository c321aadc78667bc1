// Steel's config.json: the fields, their HF defaults, presets, and validation.
// Field names are config.json's own keys (snake_case, `FFN_type` included) so a config round-trips unchanged.
import { SteelConfigError } from './errors.js';

/** FFN blocks of `SteelDecoderLayer` (spec §1.7, §1.8), plus our causal variant of v3 (not in HF's Steel code). */
export const FFN_TYPES = ['raw', 'softmoe_v1', 'softmoe_v2', 'softmoe_v3', 'softmoe_v3_causal'] as const;
export type FfnType = (typeof FFN_TYPES)[number];
/** Expert / MLP blocks: `raw` = SwiGLU (`SteelMLP`), `senet` = double SwiGLU (`SteelSENet`). */
export const MLP_TYPES = ['raw', 'senet'] as const;
export type MlpType = (typeof MLP_TYPES)[number];

export interface SteelConfig {
  architectures: string[];
  auto_map: Record<string, string>;
  model_type: string;
  vocab_size: number;
  hidden_size: number;
  /** Divided by `mlp_div_ratio` (integer division) to get the expert / MLP inner width. */
  intermediate_size: number;
  mlp_div_ratio: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** < num_attention_heads means grouped-query attention (must divide it). */
  num_key_value_heads: number;
  hidden_act: string;
  rms_norm_eps: number;
  rope_theta: number;
  max_position_embeddings: number;
  use_sliding_window: boolean;
  sliding_window: number;
  max_window_layers: number;
  attention_dropout: number;
  tie_word_embeddings: boolean;
  bos_token_id: number | null;
  eos_token_id: number | number[] | null;
  /** Unset in Steel's config: then the embedding has no padding row. If set, init zeroes that row (HF behaviour). */
  pad_token_id: number | null;
  torch_dtype: string;
  use_cache: boolean;
  initializer_range: number;
  FFN_type: FfnType;
  mlp_type: MlpType;
  /** Ignored (not required) when FFN_type is `raw`. */
  n_experts: number;
  slots_per_expert: number;
  _attn_implementation?: string;
  transformers_version?: string;
  /** config.json keys this implementation does not know; written back unchanged. */
  extra: Record<string, unknown>;
}

/** Derived sizes used everywhere. */
export interface SteelDims {
  headDim: number;
  /** Query heads per KV head (1 = plain multi-head attention). */
  kvGroups: number;
  kvDim: number;
  /** Inner width of each expert / MLP block: intermediate_size // mlp_div_ratio. */
  innerSize: number;
  /** Experts actually instantiated (0 for FFN_type `raw`, which has one MLP block and no router). */
  experts: number;
  slots: number;
}

export function dims(config: SteelConfig): SteelDims {
  const headDim = config.hidden_size / config.num_attention_heads;
  const moe = config.FFN_type !== 'raw';
  return {
    headDim,
    kvGroups: config.num_attention_heads / config.num_key_value_heads,
    kvDim: config.num_key_value_heads * headDim,
    innerSize: Math.floor(config.intermediate_size / config.mlp_div_ratio),
    experts: moe ? config.n_experts : 0,
    slots: moe ? config.slots_per_expert : 0,
  };
}

/** Steel-LLM's released `config.json` (spec §1.1), field for field. */
const STEEL_1B: Omit<SteelConfig, 'extra'> = {
  architectures: ['SteelForCausalLM'],
  auto_map: {
    AutoConfig: 'configuration_steel.SteelConfig',
    AutoModelForCausalLM: 'modeling_steel.SteelForCausalLM',
  },
  model_type: 'qwen2',
  vocab_size: 151936,
  hidden_size: 1792,
  intermediate_size: 1792,
  mlp_div_ratio: 4,
  num_hidden_layers: 18,
  num_attention_heads: 32,
  num_key_value_heads: 32,
  hidden_act: 'silu',
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  max_position_embeddings: 32768,
  use_sliding_window: false,
  sliding_window: 32768,
  max_window_layers: 21,
  attention_dropout: 0,
  tie_word_embeddings: false,
  bos_token_id: 151643,
  eos_token_id: 151645,
  pad_token_id: null,
  torch_dtype: 'bfloat16',
  use_cache: true,
  initializer_range: 0.02,
  FFN_type: 'softmoe_v3',
  mlp_type: 'senet',
  n_experts: 6,
  slots_per_expert: 1,
  _attn_implementation: 'sdpa',
  transformers_version: '4.37.0',
};

/** Named configs: `steel-1b` is the released model; the others keep its shape ratios at CPU-friendly sizes. */
export const PRESETS: Record<string, Omit<SteelConfig, 'extra'>> = {
  'steel-1b': STEEL_1B,
  /**
   * ~19.6 M parameters, almost all in the Qwen-vocabulary embedding and lm_head (151936 x 64 each): the smallest
   * model the Qwen tokenizer can drive (random-model runs of `steel eval`, CLI smoke tests).
   */
  'steel-tiny': {
    ...STEEL_1B,
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 4,
    max_position_embeddings: 1024,
    sliding_window: 1024,
    max_window_layers: 2,
    torch_dtype: 'float32',
  },
  /** ~0.09 B parameters with the real Qwen vocabulary (mostly embeddings): CPU demos and benchmarks. */
  'steel-small': {
    ...STEEL_1B,
    hidden_size: 256,
    intermediate_size: 1024,
    num_hidden_layers: 8,
    num_attention_heads: 4,
    num_key_value_heads: 4,
    max_position_embeddings: 4096,
    sliding_window: 4096,
    max_window_layers: 8,
    torch_dtype: 'float32',
  },
  /** ~0.2 M parameters, vocab 512 (steel-tiny's shape with a toy vocabulary): unit tests and golden fixtures. */
  'steel-micro': {
    ...STEEL_1B,
    vocab_size: 512,
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 4,
    max_position_embeddings: 1024,
    sliding_window: 1024,
    max_window_layers: 2,
    bos_token_id: null,
    eos_token_id: 1,
    torch_dtype: 'float32',
  },
};

/** A preset by name (a fresh copy), validated. */
export function presetConfig(name: string): SteelConfig {
  const preset = PRESETS[name];
  if (!preset) {
    throw new SteelConfigError('preset', name, `one of ${Object.keys(PRESETS).join(', ')}`);
  }
  return validateConfig({ ...structuredClone(preset), extra: {} });
}

// Defaults of the stock Qwen2 config class that configuration_steel.py is (spec §1.1): a config.json that omits
// a key gets what HF would give it. The Steel-only keys have no HF default and are required (slots_per_expert
// defaults to 1, as in softmoe_v3.py's hasattr check).
const HF_DEFAULTS: Partial<Omit<SteelConfig, 'extra'>> = {
  architectures: ['SteelForCausalLM'],
  auto_map: { ...STEEL_1B.auto_map },
  model_type: 'qwen2',
  vocab_size: 151936,
  hidden_size: 4096,
  intermediate_size: 22016,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  hidden_act: 'silu',
  max_position_embeddings: 32768,
  initializer_range: 0.02,
  rms_norm_eps: 1e-6,
  use_cache: true,
  tie_word_embeddings: false,
  rope_theta: 10000,
  use_sliding_window: false,
  sliding_window: 4096,
  max_window_layers: 28,
  attention_dropout: 0,
  bos_token_id: null,
  eos_token_id: null,
  pad_token_id: null,
  torch_dtype: 'float32',
  slots_per_expert: 1,
};

const KNOWN_KEYS = new Set<string>([...Object.keys(STEEL_1B), 'pad_token_id']);
const REQUIRED_KEYS = ['FFN_type', 'mlp_type', 'mlp_div_ratio'] as const;

/**
 * Reads a parsed config.json. Missing keys get the Qwen2 config defaults HF would use; unknown keys are kept in
 * `extra`; the result is validated (throws SteelConfigError naming the field).
 */
export function parseConfig(json: unknown): SteelConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new SteelConfigError(
      '(root)',
      json === null ? null : Array.isArray(json) ? 'array' : typeof json,
      'an object',
    );
  }
  const src = json as Record<string, unknown>;
  for (const key of REQUIRED_KEYS) {
    if (!(key in src)) throw new SteelConfigError(key, undefined, 'a value (Steel-specific key, no HF default)');
  }
  const out: Record<string, unknown> = { ...structuredClone(HF_DEFAULTS) };
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(src)) {
    if (KNOWN_KEYS.has(key)) out[key] = value;
    else extra[key] = value;
  }
  // Qwen2Config: num_key_value_heads None -> num_attention_heads.
  if (out.num_key_value_heads === undefined || out.num_key_value_heads === null) {
    out.num_key_value_heads = out.num_attention_heads;
  }
  if (out.FFN_type === 'raw' && out.n_experts === undefined) out.n_experts = 0;
  out.extra = extra;
  return validateConfig(out as unknown as SteelConfig);
}

/** The config.json object for a config: known keys in a stable order, then the preserved unknown keys. */
export function configToJson(config: SteelConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(STEEL_1B)) {
    if (key === 'pad_token_id') continue; // written below only when set, as HF omits None ids it never had
    const value = (config as unknown as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  if (config.pad_token_id !== null && config.pad_token_id !== undefined) out.pad_token_id = config.pad_token_id;
  for (const [key, value] of Object.entries(config.extra ?? {})) out[key] = value;
  return out;
}

function positiveInt(config: SteelConfig, field: keyof SteelConfig): number {
  const v = config[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new SteelConfigError(String(field), v, 'a positive integer');
  }
  return v;
}

function finiteNumber(config: SteelConfig, field: keyof SteelConfig, min: number, inclusive: boolean): number {
  const v = config[field];
  if (typeof v !== 'number' || !Number.isFinite(v) || (inclusive ? v < min : v <= min)) {
    throw new SteelConfigError(String(field), v, `a finite number ${inclusive ? '>=' : '>'} ${min}`);
  }
  return v;
}

function bool(config: SteelConfig, field: keyof SteelConfig): void {
  if (typeof config[field] !== 'boolean') throw new SteelConfigError(String(field), config[field], 'true or false');
}

function tokenId(config: SteelConfig, field: 'bos_token_id' | 'pad_token_id' | 'eos_token_id'): void {
  const v = config[field];
  if (v === null || v === undefined) return;
  const ids = Array.isArray(v) ? v : [v];
  for (const id of ids) {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0 || id >= config.vocab_size) {
      throw new SteelConfigError(field, v, `null or token id(s) in [0, ${config.vocab_size - 1}] (vocab_size)`);
    }
  }
}

/** Checks every field the architecture uses; returns the same object. Throws SteelConfigError on the first problem. */
export function validateConfig(config: SteelConfig): SteelConfig {
  positiveInt(config, 'vocab_size');
  const hidden = positiveInt(config, 'hidden_size');
  const heads = positiveInt(config, 'num_attention_heads');
  const kvHeads = positiveInt(config, 'num_key_value_heads');
  positiveInt(config, 'num_hidden_layers');
  positiveInt(config, 'intermediate_size');
  positiveInt(config, 'mlp_div_ratio');
  positiveInt(config, 'max_position_embeddings');
  if (hidden % heads !== 0) {
    throw new SteelConfigError(
      'num_attention_heads',
      heads,
      `a divisor of hidden_size ${hidden} (head_dim = hidden_size / heads must be an integer)`,
    );
  }
  if ((hidden / heads) % 2 !== 0) {
    throw new SteelConfigError(
      'num_attention_heads',
      heads,
      `a value giving an even head_dim (rotate-half RoPE); hidden_size ${hidden} / ${heads} = ${hidden / heads}`,
    );
  }
  if (kvHeads > heads || heads % kvHeads !== 0) {
    throw new SteelConfigError('num_key_value_heads', kvHeads, `a divisor of num_attention_heads ${heads}`);
  }
  if (Math.floor(config.intermediate_size / config.mlp_div_ratio) < 1) {
    throw new SteelConfigError(
      'mlp_div_ratio',
      config.mlp_div_ratio,
      `at most intermediate_size ${config.intermediate_size} (inner width = intermediate_size // mlp_div_ratio >= 1)`,
    );
  }
  if (!(FFN_TYPES as readonly unknown[]).includes(config.FFN_type)) {
    throw new SteelConfigError('FFN_type', config.FFN_type, `one of ${FFN_TYPES.join(', ')}`);
  }
  if (!(MLP_TYPES as readonly unknown[]).includes(config.mlp_type)) {
    throw new SteelConfigError('mlp_type', config.mlp_type, `one of ${MLP_TYPES.join(', ')}`);
  }
  if (config.FFN_type !== 'raw') {
    positiveInt(config, 'n_experts');
    positiveInt(config, 'slots_per_expert');
  }
  if (config.hidden_act !== 'silu') {
    throw new SteelConfigError('hidden_act', config.hidden_act, '"silu" (the only activation implemented)');
  }
  finiteNumber(config, 'rms_norm_eps', 0, false);
  finiteNumber(config, 'rope_theta', 0, false);
  finiteNumber(config, 'initializer_range', 0, true);
  if (config.attention_dropout !== 0) {
    throw new SteelConfigError('attention_dropout', config.attention_dropout, '0 (dropout is not implemented)');
  }
  bool(config, 'tie_word_embeddings');
  bool(config, 'use_cache');
  bool(config, 'use_sliding_window');
  if (config.use_sliding_window) {
    throw new SteelConfigError('use_sliding_window', true, 'false (sliding-window attention is not implemented)');
  }
  tokenId(config, 'bos_token_id');
  tokenId(config, 'eos_token_id');
  tokenId(config, 'pad_token_id');
  if (!Array.isArray(config.architectures) || !config.architectures.every((a) => typeof a === 'string')) {
    throw new SteelConfigError('architectures', config.architectures, 'an array of strings');
  }
  if (typeof config.torch_dtype !== 'string') {
    throw new SteelConfigError('torch_dtype', config.torch_dtype, 'a string such as "float32" or "bfloat16"');
  }
  return config;
}
