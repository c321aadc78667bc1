// What the trainer needs from a model: its parameters (names, shapes, initial values) and a builder of the
// next-token loss on a @steel/graph Graph. Steel's `buildForward` is one implementation (`steelModel`); `tinyLm` is a
// small LM built directly from graph blocks (tests, benchmarks, and a model that does not need steel-model).
import { Graph, lmHeadCrossEntropy, rmsNorm, type Value } from '@steel/graph';
import {
  buildForward,
  dims,
  type ForwardGraph,
  initParameter,
  parameterSpecs,
  type SteelConfig,
  validateConfig,
} from '@steel/steel-model';
import { mulberry32 } from './rng.js';

export interface ParamDef {
  name: string;
  shape: number[];
}

export interface LossGraph {
  graph: Graph;
  /** Scalar mean next-token loss (targets equal to -100 are ignored). */
  loss: Value;
  /** Parameter values by name (graph inputs with the same names). */
  params: Map<string, Value>;
  /** Names of the int64 [B, T] inputs. */
  idsInput: string;
  targetsInput: string;
  /** Further inputs the step feeds each run (packed-row segment/position ids, reference log-probs, ...). */
  extraInputs?: { name: string; dtype: 'int64' | 'float32'; shape: number[] }[];
  /** Further outputs read back after each run (e.g. DPO's per-pair rewards). */
  extraOutputs?: string[];
  /**
   * Built with `hostEmbedding`: the graph takes the embedding rows of the ids as `input` (float [B, T, d]) instead
   * of `idsInput`, and the embedding parameter `param` is in `params` only when `tied` (used by the LM head too).
   */
  embedding?: { input: Value; param: string; tied: boolean };
}

/** Options of `ModelDefinition.buildLoss`: one micro-batch shape. */
export interface LossShape {
  batch: number;
  seq: number;
  lossChunks?: number;
  /**
   * Packed rows (Steel models): inputs `segment_ids` / `position_ids` [B, T], every sample computed as if alone
   * (see @steel/steel-model's `segments`); at most this many samples per row.
   */
  maxSegments?: number;
  /** LM head + loss only on this many positions (input `label_index`, see @steel/steel-model's `labelRows`). */
  labelRows?: number;
  /** Look the embedding rows up outside the graph (see `LossGraph.embedding`); a model may ignore this. */
  hostEmbedding?: boolean;
}

export interface ModelDefinition {
  /** A short description for logs and checkpoints ("steel", "tiny-lm"). */
  kind: string;
  params: ParamDef[];
  /** Builds forward + loss for a fixed micro-batch shape. */
  buildLoss(opts: LossShape): LossGraph;
  /** Initial values of every parameter. */
  init(seed: number): Map<string, Float32Array>;
  /** The Steel config when this is a Steel model (checkpoints are then HF-style folders). */
  steelConfig?: SteelConfig;
  /** Plain-JSON description saved in checkpoints (enough to rebuild the definition). */
  describe(): Record<string, unknown>;
  /** Matmul FLOPs of forward + backward per token (for MFU), estimated as 6 x dense params touched per token. */
  flopsPerToken(seq: number): number;
}

/** The Steel model (spec §1) through @steel/steel-model's `buildForward`; parameters are named by HF names. */
export function steelModel(config: SteelConfig): ModelDefinition {
  validateConfig(config);
  const specs = parameterSpecs(config);
  return {
    kind: 'steel',
    params: specs.map((s) => ({ name: s.name, shape: s.shape })),
    steelConfig: config,
    buildLoss({ batch, seq, lossChunks, maxSegments, labelRows, hostEmbedding }) {
      const f = buildForward(config, {
        batch,
        seq,
        withLoss: true,
        lossChunks: lossChunks ?? 8,
        ...(maxSegments ? { segments: { maxSegments } } : {}),
        ...(labelRows ? { labelRows } : {}),
        ...(hostEmbedding ? { inputsEmbeds: true } : {}),
      });
      return {
        graph: f.graph,
        loss: f.loss!,
        params: f.params,
        idsInput: 'input_ids',
        targetsInput: 'targets',
        ...steelEmbedding(f),
        extraInputs: [
          ...(maxSegments ? segmentInputs(batch, seq) : []),
          ...(labelRows ? [{ name: 'label_index', dtype: 'int64' as const, shape: [labelRows] }] : []),
        ],
      };
    },
    init(seed) {
      const out = new Map<string, Float32Array>();
      for (const s of specs) out.set(s.name, initParameter(s, seed));
      return out;
    },
    describe() {
      return { kind: 'steel' };
    },
    flopsPerToken(seq) {
      return steelFlopsPerToken(config, seq);
    },
  };
}

/** `LossGraph.embedding` of a Steel forward built with inputsEmbeds (nothing otherwise). */
export function steelEmbedding(f: ForwardGraph): Pick<LossGraph, 'embedding'> {
  if (!f.inputsEmbeds) return {};
  return {
    embedding: { input: f.inputsEmbeds, param: 'model.embed_tokens.weight', tied: !!f.config.tie_word_embeddings },
  };
}

/** The packed-row inputs of a Steel graph built with `segments`. */
export function segmentInputs(batch: number, seq: number): NonNullable<LossGraph['extraInputs']> {
  return [
    { name: 'segment_ids', dtype: 'int64', shape: [batch, seq] },
    { name: 'position_ids', dtype: 'int64', shape: [batch, seq] },
  ];
}

/**
 * Matmul FLOPs per token of one training step (forward + backward = 3 x forward) for a Steel config, counting
 * what runs: attention projections, attention scores (causal average T/2 is not used; full T, as PyTorch computes
 * it), the Soft-MoE v3 experts on S slots per sequence (not per token), dispatch/combine, the LM head.
 */
export function steelFlopsPerToken(c: SteelConfig, seq: number): number {
  const d = c.hidden_size;
  const H = c.num_attention_heads;
  const hd = d / H;
  const kv = c.num_key_value_heads * hd;
  const inner = dims(c).innerSize;
  const S = c.n_experts * c.slots_per_expert;
  const blockFlops = (c.mlp_type === 'senet' ? 4 : 3) * 2 * d * inner; // one expert/MLP on one vector
  let ffn: number;
  switch (c.FFN_type) {
    case 'raw':
      ffn = blockFlops;
      break;
    case 'softmoe_v1':
      ffn = c.n_experts * blockFlops + 2 * d * c.n_experts;
      break;
    case 'softmoe_v3_causal':
      ffn = S * blockFlops + 2 * 2 * d * S + 2 * 2 * seq * S * d;
      break;
    default:
      // v2/v3: S expert evaluations per sequence, + logits, dispatch, combine
      ffn = (S * blockFlops) / seq + 2 * d * S + 2 * 2 * S * d;
  }
  const attn = 2 * d * (d + 2 * kv) + 2 * d * d + 2 * 2 * seq * d;
  const perLayer = attn + ffn;
  const fwd = c.num_hidden_layers * perLayer + 2 * d * c.vocab_size;
  return 3 * fwd;
}

export interface TinyLmConfig {
  vocab: number;
  hidden: number;
  /** Width of the one SiLU MLP (default 2 x hidden). */
  inner?: number;
  /** Initial std of the weight matrices (default 0.02). */
  initStd?: number;
}

/**
 * A tiny LM from @steel/graph blocks: h = E[ids]; y = h + silu(rmsNorm(h) W1) W2; loss = CE(rmsNorm(y) Headᵀ)
 * with the vocabulary in chunks. Parameters: embed [V,d], norm1 [d], w1 [d,I], w2 [I,d], norm_f [d], head [V,d].
 */
export function tinyLm(cfg: TinyLmConfig): ModelDefinition {
  const V = cfg.vocab;
  const d = cfg.hidden;
  const I = cfg.inner ?? 2 * d;
  const std = cfg.initStd ?? 0.02;
  for (const [k, v] of Object.entries({ vocab: V, hidden: d, inner: I }))
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`tinyLm: ${k} must be a positive integer, got ${v}`);
  const params: ParamDef[] = [
    { name: 'embed', shape: [V, d] },
    { name: 'norm1', shape: [d] },
    { name: 'w1', shape: [d, I] },
    { name: 'w2', shape: [I, d] },
    { name: 'norm_f', shape: [d] },
    { name: 'head', shape: [V, d] },
  ];
  return {
    kind: 'tiny-lm',
    params,
    buildLoss({ batch, seq, lossChunks, maxSegments, labelRows, hostEmbedding }) {
      if (maxSegments || labelRows) throw new RangeError('tinyLm: packed rows and label rows need a Steel model');
      const g = new Graph('tiny_lm_loss');
      const embeds = hostEmbedding ? g.input('inputs_embeds', 'float32', [batch, seq, d]) : null;
      const ids = embeds ? null : g.input('input_ids', 'int64', [batch, seq]);
      const targets = g.input('targets', 'int64', [batch, seq]);
      const P = new Map<string, Value>();
      for (const p of params) if (!(embeds && p.name === 'embed')) P.set(p.name, g.param(p.name, p.shape));
      const h = embeds ?? g.gather(P.get('embed')!, ids!);
      const m = g.matmul(g.silu(g.matmul(rmsNorm(h, P.get('norm1')!, 1e-6), P.get('w1')!)), P.get('w2')!);
      const y = g.add(h, m);
      const rows = g.reshape(rmsNorm(y, P.get('norm_f')!, 1e-6), [batch * seq, d]);
      const loss = lmHeadCrossEntropy(rows, P.get('head')!, g.reshape(targets, [batch * seq]), {
        chunks: Math.min(lossChunks ?? 4, V),
      });
      g.output(loss, 'loss');
      return {
        graph: g,
        loss,
        params: P,
        idsInput: 'input_ids',
        targetsInput: 'targets',
        ...(embeds ? { embedding: { input: embeds, param: 'embed', tied: false } } : {}),
      };
    },
    init(seed) {
      const rand = mulberry32(seed);
      const out = new Map<string, Float32Array>();
      for (const p of params) {
        const n = p.shape.reduce((a, b) => a * b, 1);
        const a = new Float32Array(n);
        if (p.name.startsWith('norm')) a.fill(1);
        else for (let i = 0; i < n; i++) a[i] = gauss(rand) * std;
        out.set(p.name, a);
      }
      return out;
    },
    describe() {
      return { kind: 'tiny-lm', vocab: V, hidden: d, inner: I, initStd: std };
    },
    flopsPerToken() {
      return 3 * (2 * d * I * 2 + 2 * d * V);
    },
  };
}

function gauss(r: () => number): number {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** Rebuilds a definition from `describe()` output (checkpoints); Steel models come from their config instead. */
export function modelFromDescription(desc: Record<string, unknown>, steelConfig?: SteelConfig): ModelDefinition {
  if (desc.kind === 'steel') {
    if (!steelConfig) throw new Error('a steel model description needs its config.json');
    return steelModel(steelConfig);
  }
  if (desc.kind === 'tiny-lm') {
    return tinyLm({
      vocab: Number(desc.vocab),
      hidden: Number(desc.hidden),
      inner: Number(desc.inner),
      initStd: Number(desc.initStd),
    });
  }
  throw new Error(`unknown model kind ${JSON.stringify(desc.kind)} (known: steel, tiny-lm)`);
}
