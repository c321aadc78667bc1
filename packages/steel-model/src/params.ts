// The parameter table: HF state-dict names, shapes (Linear weights are [out, in]) and the initialiser of each,
// exactly as modeling_steel.py / softmoe_v3.py build them (spec §1.6-§1.11).
import { dims, type SteelConfig } from './config.js';

/** How a tensor starts: `_init_weights` (normal 0.02 for Linear/Embedding, zero biases), ones for RMSNorm, ... */
export type ParamInit =
  | { kind: 'normal'; std: number }
  | { kind: 'zeros' }
  | { kind: 'ones' }
  /** Embedding with a padding row (only when config.pad_token_id is set): normal, then that row zeroed. */
  | { kind: 'normal-pad-row'; std: number; padRow: number };

export interface ParamSpec {
  name: string;
  shape: number[];
  init: ParamInit;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function linear(prefix: string, out: number, inp: number, std: number, bias: boolean): ParamSpec[] {
  const specs: ParamSpec[] = [{ name: `${prefix}.weight`, shape: [out, inp], init: { kind: 'normal', std } }];
  if (bias) specs.push({ name: `${prefix}.bias`, shape: [out], init: { kind: 'zeros' } });
  return specs;
}

/** One expert / MLP block (`SteelMLP` for mlp_type raw, `SteelSENet` for senet) under `prefix`. */
function mlpBlock(config: SteelConfig, prefix: string): ParamSpec[] {
  const d = config.hidden_size;
  const inner = dims(config).innerSize;
  const std = config.initializer_range;
  if (config.mlp_type === 'raw') {
    return [
      ...linear(`${prefix}.gate_proj`, inner, d, std, false),
      ...linear(`${prefix}.up_proj`, inner, d, std, false),
      ...linear(`${prefix}.down_proj`, d, inner, std, false),
    ];
  }
  return [
    ...linear(`${prefix}.gate_up_proj`, inner, d, std, false),
    ...linear(`${prefix}.up_proj`, inner, d, std, false),
    ...linear(`${prefix}.gate_down_proj`, d, inner, std, false),
    ...linear(`${prefix}.down_proj`, d, inner, std, false),
  ];
}

function experts(config: SteelConfig, prefix: string): ParamSpec[] {
  const out: ParamSpec[] = [];
  for (let e = 0; e < config.n_experts; e++) out.push(...mlpBlock(config, `${prefix}.experts.${e}`));
  return out;
}

/** The FFN of one decoder layer, named `model.layers.{i}.mlp...` whatever its type. */
function ffn(config: SteelConfig, prefix: string): ParamSpec[] {
  const d = config.hidden_size;
  switch (config.FFN_type) {
    case 'raw':
      return mlpBlock(config, prefix);
    case 'softmoe_v1':
      // gating = nn.Linear(d, E) with bias: _init_weights gives it N(0, 0.02) and a zero bias.
      return [
        ...experts(config, prefix),
        ...linear(`${prefix}.gating`, config.n_experts, d, config.initializer_range, true),
      ];
    case 'softmoe_v2':
      // score = nn.Parameter(torch.randn(d, E*P)): std 1, untouched by _init_weights.
      return [
        ...experts(config, prefix),
        {
          name: `${prefix}.score`,
          shape: [d, config.n_experts * config.slots_per_expert],
          init: { kind: 'normal', std: 1 },
        },
      ];
    case 'softmoe_v3':
    case 'softmoe_v3_causal':
      // phi: LeCun normal std 1/sqrt(d) from the constructor; scale: ones(1). Registration order: phi, scale, experts.
      return [
        {
          name: `${prefix}.phi`,
          shape: [d, config.n_experts, config.slots_per_expert],
          init: { kind: 'normal', std: 1 / Math.sqrt(d) },
        },
        { name: `${prefix}.scale`, shape: [1], init: { kind: 'ones' } },
        ...experts(config, prefix),
      ];
  }
}

/** Every parameter of SteelForCausalLM in state-dict order. A tied lm_head is not listed (it is embed_tokens). */
export function parameterSpecs(config: SteelConfig): ParamSpec[] {
  const d = config.hidden_size;
  const { kvDim } = dims(config);
  const std = config.initializer_range;
  const embedInit: ParamInit =
    config.pad_token_id === null || config.pad_token_id === undefined
      ? { kind: 'normal', std }
      : { kind: 'normal-pad-row', std, padRow: config.pad_token_id };
  const specs: ParamSpec[] = [{ name: 'model.embed_tokens.weight', shape: [config.vocab_size, d], init: embedInit }];
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    specs.push(
      ...linear(`${p}.self_attn.q_proj`, d, d, std, true),
      ...linear(`${p}.self_attn.k_proj`, kvDim, d, std, true),
      ...linear(`${p}.self_attn.v_proj`, kvDim, d, std, true),
      ...linear(`${p}.self_attn.o_proj`, d, d, std, false),
      ...ffn(config, `${p}.mlp`),
      { name: `${p}.input_layernorm.weight`, shape: [d], init: { kind: 'ones' } },
      { name: `${p}.post_attention_layernorm.weight`, shape: [d], init: { kind: 'ones' } },
    );
  }
  specs.push({ name: 'model.norm.weight', shape: [d], init: { kind: 'ones' } });
  if (!config.tie_word_embeddings) specs.push(...linear('lm_head', config.vocab_size, d, std, false));
  return specs;
}

/** Parameter counts: total and by group (embeddings, attention, ffn, norms, lm_head). */
export interface ParamCount {
  total: number;
  embeddings: number;
  attention: number;
  ffn: number;
  norms: number;
  lmHead: number;
  tensors: number;
}

export function countParameters(config: SteelConfig): ParamCount {
  const c: ParamCount = { total: 0, embeddings: 0, attention: 0, ffn: 0, norms: 0, lmHead: 0, tensors: 0 };
  for (const s of parameterSpecs(config)) {
    const n = numel(s.shape);
    c.total += n;
    c.tensors++;
    if (s.name.startsWith('model.embed_tokens')) c.embeddings += n;
    else if (s.name.startsWith('lm_head')) c.lmHead += n;
    else if (s.name.includes('.self_attn.')) c.attention += n;
    else if (s.name.includes('.mlp.')) c.ffn += n;
    else c.norms += n;
  }
  return c;
}
