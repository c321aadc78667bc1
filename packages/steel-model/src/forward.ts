// The Steel forward pass as an ONNX graph on @steel/graph (spec §1.2-§1.9): parameters are graph inputs named by
// their HF state-dict names, so a trainer feeds them each step and asks `grad(loss, params)` for their gradients.
// The same builder makes the inference graphs: with `kvCache`, past keys/values (and, for the causal Soft-MoE,
// the running dispatch state) are inputs and the updated ones are outputs.
import {
  attention,
  checkpoint,
  type DType,
  Graph,
  lmHeadCrossEntropy,
  lmHeadTokenNll,
  lowest,
  rmsNorm,
  rotary,
  type Value,
} from '@steel/graph';
import { dims, type SteelConfig, validateConfig } from './config.js';
import { parameterSpecs } from './params.js';
import { ropeTables } from './reference.js';

export type Dim = number | string;

export interface ForwardOptions {
  /** Batch size: a number, or a name for a dim fed at run time (default 'batch'). */
  batch?: Dim;
  /** Sequence length of this call: a number or a name (default 'seq'). Training graphs should use numbers. */
  seq?: Dim;
  /** Add a `targets` input [B, T] (int64, -100 = ignore) and a `loss` output: mean next-token cross-entropy through
   * the vocabulary-chunked LM head (no [B·T, V] logits are materialized for the loss). `'tokens'`: no output, but
   * `tokenNll` [B, T] (0 where ignored) for sequence-level losses built on top (DPO). */
  withLoss?: boolean | 'tokens';
  /**
   * Packed / padded rows where every sample must be computed as if alone: inputs `segment_ids` int64 [B, T] (1..max
   * = which sample of the row a token belongs to, 0 = padding) and `position_ids` int64 [B, T] (RoPE positions, from
   * 0 in each sample). Attention stays inside a segment and Soft-MoE's softmaxes over the sequence (v2's combine,
   * v3's dispatch) run per segment with their own slots, so each sample gets exactly the logits of a forward of it
   * alone and padding influences nothing (Steel's HF SFT let right-padding enter the v3 dispatch). Not with kvCache.
   */
  segments?: { maxSegments: number };
  /**
   * With withLoss true: compute the LM head and loss only on `labelRows` positions, given by the input `label_index`
   * int64 [labelRows] (flat indices b*T + t; pad the list with positions whose target is -100). The loss is the same
   * mean over counted targets; for SFT, where only answers are labels, the vocabulary-sized part shrinks by the ratio.
   */
  labelRows?: number;
  /**
   * Take `inputs_embeds` float [B, T, d] (the embedding rows of the ids, looked up by the caller; HF's inputs_embeds)
   * instead of `input_ids`. A trainer then keeps the [V, d] embedding and its mostly-zero gradient out of the graph
   * and scatters the [B, T, d] gradient of `inputs_embeds` itself. The graph has no model.embed_tokens.weight input
   * unless the LM head is tied to it.
   */
  inputsEmbeds?: boolean;
  /** Which logits to output: 'all' [B, T, V], 'last' [B, 1, V] (generation), 'none'. Default: 'none' with
   * withLoss, else 'all'. */
  logits?: 'all' | 'last' | 'none';
  /** Vocabulary chunks of the LM-head loss (default 8). */
  lossChunks?: number;
  /** Run Soft-MoE v3 causally (as FFN_type softmoe_v3_causal) even if the config says softmoe_v3. */
  causalMoe?: boolean;
  /** Inference graph with a KV cache: inputs `past.{l}.key|value` [B, kvHeads, past, headDim] (past may be 0),
   * outputs `present.{l}.key|value` [B, kvHeads, past+T, headDim]; positions start at `past`. */
  kvCache?: boolean;
  /** Float type of parameters and activations (default float32; float64 graphs need Session optimization 'basic'). */
  dtype?: 'float32' | 'float64';
  /** Values of the parameters to bake into the model as initializers (serialize with `{ paramsAs: 'initializers' }`):
   * inference sessions then need no parameter feeds and ORT can pre-pack the weights. */
  weights?: ReadonlyMap<string, Float32Array | Float64Array>;
  /** Activation checkpointing per decoder layer (@steel/graph's checkpoint(): gradient-exact; the graph README
   * measured no peak-RSS saving in ORT 1.30 yet, so measure before relying on it). Ignored with kvCache. */
  remat?: boolean;
  /** Rows of the RoPE tables baked into the graph (default: seq if a number and no cache, else
   * max_position_embeddings). Positions beyond it are an ORT Gather error. */
  maxPositions?: number;
}

export interface ForwardGraph {
  graph: Graph;
  config: SteelConfig;
  /** Parameter inputs by HF name, in state-dict order (a tied lm_head is embed_tokens). */
  params: Map<string, Value>;
  /** int64 [B, T] (absent with inputsEmbeds). */
  inputIds?: Value;
  /** float [B, T, d], with inputsEmbeds. */
  inputsEmbeds?: Value;
  /** int64 [B, T] next-token targets aligned with positions (targets[t] = ids[t+1]; -100 ignored), with withLoss. */
  targets?: Value;
  /** float [B, T, V] (or [B, 1, V] for 'last'), an output named 'logits'. */
  logits?: Value;
  /** scalar loss, an output named 'loss' (this is the value before the output's renaming Identity: differentiate
   * it with `grad(loss, [...params.values()])`). */
  loss?: Value;
  /** With withLoss 'tokens': next-token NLL per position [B, T] (0 where the target is ignored); not an output. */
  tokenNll?: Value;
  /** With labelRows: the int64 [labelRows] input. */
  labelIndex?: Value;
  /** With segments: the int64 [B, T] inputs. */
  segmentIds?: Value;
  positionIds?: Value;
  /** With kvCache: names of the cache inputs and matching outputs, in order. */
  cacheInputs: string[];
  cacheOutputs: string[];
  /** Whether the Soft-MoE of this graph is the causal variant (it has extra cache entries). */
  causalMoe: boolean;
}

/** Names of one layer's cache tensors (inputs are `past.*`, outputs `present.*`). */
export function cacheNames(config: SteelConfig, causalMoe: boolean): string[] {
  const out: string[] = [];
  for (let l = 0; l < config.num_hidden_layers; l++) {
    out.push(`${l}.key`, `${l}.value`);
    if (causalMoe) out.push(`${l}.moe_lse`, `${l}.moe_mean`);
  }
  return out;
}

/** Whether a config + option runs the causal Soft-MoE. */
export function isCausalMoe(config: SteelConfig, causalMoe?: boolean): boolean {
  return config.FFN_type === 'softmoe_v3_causal' || (!!causalMoe && config.FFN_type === 'softmoe_v3');
}

interface Ctx {
  g: Graph;
  shapes: Map<string, Value>;
  B: Dim;
  T: Dim;
  config: SteelConfig;
  dtype: DType;
  P: (name: string) => Value;
  /** Packed rows (ForwardOptions.segments). */
  seg?: Segments;
}

interface Segments {
  G: number;
  /** float [B, T, G]: token t belongs to segment g+1 (all 0 for padding). */
  onehot: Value;
  /** float [B, G, T, 1]: 0 where token t is in segment g+1, lowest elsewhere (per-segment softmax over T). */
  perSegmentBias: Value;
  /** float [B, 1, T, T]: 0 where query i may see key j (same segment, j <= i), lowest elsewhere. */
  attnBias: Value;
}

/** The masks of packed rows, built once per graph from segment ids [B, T]. */
function segmentMasks(g: Graph, seg: Value, G: number, dtype: DType): Segments {
  return g.noGrad(() => {
    const T = seg.shape[1]!;
    const low = g.scalar(lowest(dtype), dtype);
    const groups = g.ints(Array.from({ length: G }, (_, i) => i + 1));
    const member = g.equal(g.unsqueeze(seg, [2]), groups); // [B,T,G]
    const onehot = g.cast(member, dtype);
    const perSegmentBias = g.unsqueeze(g.where(g.transpose(member, [0, 2, 1]), 0, low), [3]); // [B,G,T,1]
    const col = g.unsqueeze(g.range(T), [0]);
    const row = g.unsqueeze(g.range(T), [1]);
    const causal = g.where(g.lessOrEqual(col, row), 0, low); // [T,T]
    const same = g.equal(g.unsqueeze(seg, [2]), g.unsqueeze(seg, [1])); // [B,T,T]
    const attnBias = g.unsqueeze(g.where(same, causal, low), [1]); // [B,1,T,T]
    return { G, onehot, perSegmentBias, attnBias };
  });
}

/** Per-segment softmax over the sequence of logits L [B, T, S]: [B, G, T, S] (each segment's tokens sum to 1). */
function softmaxPerSegment(g: Graph, L: Value, seg: Segments): Value {
  return g.softmax(g.add(g.unsqueeze(L, [1]), seg.perSegmentBias), 2);
}

/** Slot outputs per segment Y [B, G, S, d] back to tokens: [B, T, S, d] (each token reads its own segment's). */
function slotsOfToken(c: Ctx, Y: Value, seg: Segments): Value {
  const { g } = c;
  const S = c.config.n_experts * c.config.slots_per_expert;
  const d = c.config.hidden_size;
  const flat = g.reshape(Y, [0, seg.G, S * d]); // [B,G,S*d]
  return g.reshape(g.matmul(seg.onehot, flat), [0, -1, S, d]); // [B,T,S,d]
}

/**
 * nn.Linear: x W^T (+ b), W [out, in]. One Gemm with transB over all rows, with the bias folded in: no Transpose node
 * per weight, which ORT removes (into FusedMatMul) only at optimization level 'extended' or higher and otherwise runs,
 * copying the weight on every call (for the LM head 150k x d floats).
 */
function linear(c: Ctx, x: Value, name: string, bias = false): Value {
  return linearWith(c.g, x, c.P(`${name}.weight`), bias ? c.P(`${name}.bias`) : null, c.shapes);
}

/** `shapes` caches the runtime output shapes of named lead dims (one Shape/Slice/Concat per distinct shape). */
function linearWith(g: Graph, x: Value, W: Value, b: Value | null, shapes?: Map<string, Value>): Value {
  const inDim = x.shape[x.rank - 1]!;
  const outDim = W.shape[0]!;
  if (x.rank === 2) return g.gemm(x, W, b, { transB: true });
  const rows = g.reshape(x, [-1, inDim]);
  const y = g.gemm(rows, W, b, { transB: true });
  const lead = x.shape.slice(0, -1);
  if (lead.every((d) => typeof d === 'number')) return g.reshape(y, [...lead, outDim]);
  const key = `${lead.join(',')}|${outDim}`;
  let shape = shapes?.get(key);
  if (!shape) {
    shape = g.concat([g.slice(g.shapeOf(x), [0], [x.rank - 1]), g.ints([outDim as number])], 0);
    shapes?.set(key, shape);
  }
  return g.reshape(y, shape, [...lead, outDim]);
}

/** SteelMLP (raw SwiGLU) or SteelSENet (double SwiGLU) on [..., d]. */
function mlpBlock(c: Ctx, x: Value, prefix: string): Value {
  const { g } = c;
  if (c.config.mlp_type === 'raw') {
    const h = g.mul(g.silu(linear(c, x, `${prefix}.gate_proj`)), linear(c, x, `${prefix}.up_proj`));
    return linear(c, h, `${prefix}.down_proj`);
  }
  const h = g.mul(g.silu(linear(c, x, `${prefix}.gate_up_proj`)), linear(c, x, `${prefix}.up_proj`));
  return g.mul(g.silu(linear(c, h, `${prefix}.gate_down_proj`)), linear(c, h, `${prefix}.down_proj`));
}

/** F.normalize over `axis`: v / max(||v||, 1e-12). */
function l2Normalize(c: Ctx, v: Value, axis: number): Value {
  return c.g.div(v, c.g.max(c.g.reduceL2(v, axis, true), 1e-12));
}

/** Soft-MoE v3 logits L [B, T, S] = x̂ · (scale · phi / ||phi col||), and x̂ itself. */
function v3Logits(c: Ctx, x: Value, prefix: string): { xh: Value; L: Value } {
  const { g } = c;
  const d = c.config.hidden_size;
  const S = c.config.n_experts * c.config.slots_per_expert;
  const xh = l2Normalize(c, x, -1);
  const phi = c.P(`${prefix}.phi`); // [d, E, P]
  const phin = g.mul(l2Normalize(c, phi, 0), c.P(`${prefix}.scale`));
  return { xh, L: g.matmul(xh, g.reshape(phin, [d, S])) };
}

/**
 * Experts applied to slot groups: xs [B, S, ...rest, d], expert e takes slots e*P..e*P+P-1. The slots axis goes first
 * and each expert gets its rows as one 2-D [P*B*rest, d] block: a handful of nodes per layer instead of a Reshape
 * pair around every expert Linear (node count dominates decode time for small models).
 */
function expertsOnSlots(c: Ctx, xs: Value, prefix: string): Value {
  const { g } = c;
  const E = c.config.n_experts;
  const P = c.config.slots_per_expert;
  const d = c.config.hidden_size;
  const S = E * P;
  const perm = xs.shape.map((_, i) => (i === 0 ? 1 : i === 1 ? 0 : i)); // swap axes 0 and 1 (its own inverse)
  const xt = g.transpose(xs, perm); // [S, B, ...rest, d]
  const flat = g.reshape(xt, [S, -1]); // [S, N*d]
  const parts = E === 1 ? [flat] : g.split(flat, 0, Array(E).fill(P)); // E x [P, N*d]
  // With named dims the builder cannot prove [P, N*d] -> [P*N, d] divides, so give the runtime target and the result.
  const N = xt.shape.slice(1, -1);
  const numeric = N.every((x) => typeof x === 'number');
  const toRows = (v: Value) =>
    numeric ? g.reshape(v, [-1, d]) : g.reshape(v, g.ints([-1, d]), [[P, ...N].join('*'), d]);
  const toSlots = (v: Value) => (numeric ? g.reshape(v, [P, -1]) : g.reshape(v, g.ints([P, -1]), [P, flat.shape[1]!]));
  const ys = parts.map((part, e) => toSlots(mlpBlock(c, toRows(part), `${prefix}.experts.${e}`)));
  const y = E === 1 ? ys[0]! : g.concat(ys, 0); // [S, N*d]
  return g.transpose(g.reshape(y, g.shapeOf(xt), xt.shape), perm);
}

interface MoeState {
  lse: Value; // [B, S]
  mean: Value; // [B, S, d]
}

/**
 * Causal Soft-MoE v3: position t's slot s input is the softmax(L[·, s])-weighted mean of x̂ over positions <= t
 * (plus, with a cache, the earlier calls' positions, carried as their log-sum-exp `lse` and weighted mean `mean`,
 * which enter the softmax as one extra key). Each position runs the experts on its own slots.
 */
function causalMoe(c: Ctx, x: Value, prefix: string, past?: MoeState): { out: Value; state?: MoeState } {
  const { g, dtype } = c;
  const S = c.config.n_experts * c.config.slots_per_expert;
  const { xh, L } = v3Logits(c, x, prefix); // xh [B,T,d], L [B,T,S]
  const comb = g.softmax(L, -1); // [B,T,S]
  const Lt = g.unsqueeze(g.transpose(L, [0, 2, 1]), [2]); // [B,S,1,T']
  const mask = c.seg
    ? c.seg.attnBias // [B,1,T,T']: same segment and causal
    : g.noGrad(() => {
        const visible = causalMaskLike(g, L);
        return g.where(visible, 0, g.scalar(lowest(dtype), dtype)); // [T,T']
      });
  let scores = g.add(Lt, mask); // [B,S,T,T']
  let values = g.unsqueeze(xh, [1]); // [B,1,T',d]
  if (past) {
    // the past as one key per slot: logit lse, value mean
    const pastScore = g.expand(g.unsqueeze(past.lse, [2, 3]), [c.B, S, c.T, 1]); // [B,S,T,1]
    scores = g.concat([pastScore, scores], -1);
    const xhS = g.expand(values, [c.B, S, c.T, c.config.hidden_size]); // [B,S,T',d]
    values = g.concat([g.unsqueeze(past.mean, [2]), xhS], 2);
  }
  const A = g.softmax(scores, -1); // [B,S,T,1+T']
  const xs = g.matmul(A, values); // [B,S,T,d]
  const ys = expertsOnSlots(c, xs, prefix); // [B,S,T,d]
  const out = g.squeeze(g.matmul(g.unsqueeze(comb, [2]), g.transpose(ys, [0, 2, 1, 3])), [2]); // [B,T,d]
  if (!past) return { out };
  // new state = the state at the last position of this call
  const allL = g.concat([g.unsqueeze(past.lse, [1]), L], 1); // [B,1+T,S]
  const m = g.reduceMax(allL, 1, true);
  const lse = g.squeeze(g.add(m, g.log(g.reduceSum(g.exp(g.sub(allL, m)), 1, true))), [1]); // [B,S]
  const mean = g.reshape(g.gather(xs, g.ints([-1]), 2), [0, 0, c.config.hidden_size]); // [B,S,d] (last position)
  return { out, state: { lse, mean } };
}

/** bool [T, T] lower-triangular (query t sees keys <= t) for L [B, T, S]. */
function causalMaskLike(g: Graph, L: Value): Value {
  const T = L.shape[1]!;
  const col = g.unsqueeze(g.range(T), [0]); // [1,T]
  const row = g.unsqueeze(g.range(T), [1]); // [T,1]
  return g.lessOrEqual(col, row);
}

/** The FFN of one layer on post-norm activations x [B, T, d]. */
function ffn(c: Ctx, x: Value, layer: number, causal: boolean, past?: MoeState): { out: Value; state?: MoeState } {
  const { g } = c;
  const prefix = `model.layers.${layer}.mlp`;
  const E = c.config.n_experts;
  switch (c.config.FFN_type) {
    case 'raw':
      return { out: mlpBlock(c, x, prefix) };
    case 'softmoe_v1': {
      // dense soft gating: every expert on every token, weights softmax over experts of gating(x)
      const w = g.softmax(linear(c, x, `${prefix}.gating`, true), -1); // [B,T,E]
      const ws = E === 1 ? [w] : g.split(w, -1, Array(E).fill(1));
      let out: Value | null = null;
      for (let e = 0; e < E; e++) {
        const y = g.mul(ws[e]!, mlpBlock(c, x, `${prefix}.experts.${e}`));
        out = out ? g.add(out, y) : y;
      }
      return { out: out! };
    }
    case 'softmoe_v2': {
      // logits = x·score; "dispatch" = softmax over slots, "combine" = softmax over the sequence (spec §1.8)
      const logits = g.matmul(x, c.P(`${prefix}.score`)); // [B,T,S]
      const dispatch = g.softmax(logits, -1);
      if (c.seg) {
        // per segment: slots from its own tokens, combine softmax over its own tokens
        const member = g.unsqueeze(g.transpose(c.seg.onehot, [0, 2, 1]), [3]); // [B,G,T,1]
        const Dm = g.mul(member, g.unsqueeze(dispatch, [1])); // [B,G,T,S]
        const xs = g.matmul(g.transpose(Dm, [0, 1, 3, 2]), g.unsqueeze(x, [1])); // [B,G,S,d]
        const ys = g.transpose(expertsOnSlots(c, g.transpose(xs, [0, 2, 1, 3]), prefix), [0, 2, 1, 3]); // [B,G,S,d]
        const perSeg = g.matmul(softmaxPerSegment(g, logits, c.seg), ys); // [B,G,T,d]
        return { out: g.reduceSum(g.mul(member, perSeg), 1) }; // each token takes its segment's row
      }
      const combine = g.softmax(logits, 1);
      const xs = g.matmul(g.transpose(dispatch, [0, 2, 1]), x); // [B,S,d]
      return { out: g.matmul(combine, expertsOnSlots(c, xs, prefix)) };
    }
    case 'softmoe_v3':
    case 'softmoe_v3_causal': {
      if (causal) return causalMoe(c, x, prefix, past);
      // dispatch: softmax over the sequence of this call (non-causal); combine: over experts x slots jointly
      const { xh, L } = v3Logits(c, x, prefix);
      const combine = g.softmax(L, -1);
      if (c.seg) {
        // each segment dispatches its own tokens to its own S slots; each token combines its segment's slots
        const D = softmaxPerSegment(g, L, c.seg); // [B,G,T,S]
        const xs = g.matmul(g.transpose(D, [0, 1, 3, 2]), g.unsqueeze(xh, [1])); // [B,G,S,d]
        const ys = g.transpose(expertsOnSlots(c, g.transpose(xs, [0, 2, 1, 3]), prefix), [0, 2, 1, 3]); // [B,G,S,d]
        const yt = slotsOfToken(c, ys, c.seg); // [B,T,S,d]
        return { out: g.squeeze(g.matmul(g.unsqueeze(combine, [2]), yt), [2]) };
      }
      const dispatch = g.softmax(L, 1);
      const xs = g.matmul(g.transpose(dispatch, [0, 2, 1]), xh); // [B,S,d]
      return { out: g.matmul(combine, expertsOnSlots(c, xs, prefix)) };
    }
  }
}

/**
 * Builds the Steel forward graph: inputs `input_ids` int64 [B, T] (+ `targets` with withLoss, + cache inputs),
 * one param input per HF tensor name, outputs `logits` and/or `loss` (+ `present.*`).
 */
export function buildForward(config: SteelConfig, options: ForwardOptions = {}): ForwardGraph {
  validateConfig(config);
  const dtype: DType = options.dtype ?? 'float32';
  const B = options.batch ?? 'batch';
  const T = options.seq ?? 'seq';
  const withLoss = options.withLoss ?? false;
  const logitsMode = options.logits ?? (withLoss ? 'none' : 'all');
  const kv = !!options.kvCache;
  const causal = isCausalMoe(config, options.causalMoe);
  if (!withLoss && logitsMode === 'none')
    throw new RangeError('buildForward: nothing to output (logits none, no loss)');
  if (withLoss && kv) throw new RangeError('buildForward: withLoss and kvCache do not go together');
  const packed = options.segments;
  if (packed && kv) throw new RangeError('buildForward: segments and kvCache do not go together');
  const labelRows = options.labelRows;
  if (labelRows !== undefined && (withLoss !== true || !Number.isInteger(labelRows) || labelRows < 1))
    throw new RangeError(`buildForward: labelRows needs withLoss: true and an integer >= 1, got ${labelRows}`);
  if (packed && (!Number.isInteger(packed.maxSegments) || packed.maxSegments < 1))
    throw new RangeError(`buildForward: segments.maxSegments must be an integer >= 1, got ${packed.maxSegments}`);

  const g = new Graph(kv ? 'steel_step' : withLoss ? 'steel_forward_loss' : 'steel_forward');
  const d = config.hidden_size;
  const { headDim: hd, kvGroups } = dims(config);
  const H = config.num_attention_heads;
  const KV = config.num_key_value_heads;
  const S = config.n_experts * config.slots_per_expert;

  const embedsIn = !!options.inputsEmbeds;
  const inputIds = embedsIn ? undefined : g.input('input_ids', 'int64', [B, T]);
  const inputsEmbeds = embedsIn ? g.input('inputs_embeds', dtype, [B, T, config.hidden_size]) : undefined;
  const targets = withLoss ? g.input('targets', 'int64', [B, T]) : undefined;
  const segmentIds = packed ? g.input('segment_ids', 'int64', [B, T]) : undefined;
  const positionIds = packed ? g.input('position_ids', 'int64', [B, T]) : undefined;
  const labelIndex = labelRows ? g.input('label_index', 'int64', [labelRows]) : undefined;
  const params = new Map<string, Value>();
  for (const spec of parameterSpecs(config)) {
    if (embedsIn && !config.tie_word_embeddings && spec.name === 'model.embed_tokens.weight') continue;
    const init = options.weights?.get(spec.name);
    if (options.weights && !init) throw new RangeError(`buildForward: weights has no ${spec.name}`);
    params.set(spec.name, g.param(spec.name, spec.shape, init ? { dtype, init } : { dtype }));
  }
  const P = (name: string): Value => {
    const v = params.get(name);
    if (!v) throw new Error(`buildForward: no parameter ${name}`);
    return v;
  };
  const c: Ctx = { g, shapes: new Map(), B, T, config, dtype, P };
  if (segmentIds) c.seg = segmentMasks(g, segmentIds, packed!.maxSegments, dtype);

  // cache inputs
  const cacheInputs: string[] = [];
  const cacheOutputs: string[] = [];
  const past: { key: Value; value: Value; moe?: MoeState }[] = [];
  if (kv) {
    for (let l = 0; l < config.num_hidden_layers; l++) {
      const key = g.input(`past.${l}.key`, dtype, [B, KV, 'past', hd]);
      const value = g.input(`past.${l}.value`, dtype, [B, KV, 'past', hd]);
      cacheInputs.push(key.name, value.name);
      let moe: MoeState | undefined;
      if (causal) {
        moe = {
          lse: g.input(`past.${l}.moe_lse`, dtype, [B, S]),
          mean: g.input(`past.${l}.moe_mean`, dtype, [B, S, d]),
        };
        cacheInputs.push(moe.lse.name, moe.mean.name);
      }
      past.push({ key, value, ...(moe ? { moe } : {}) });
    }
  }

  // RoPE tables (fp32 as HF builds them) baked in; rows gathered by position = past + 0..T-1
  const maxPos = options.maxPositions ?? (typeof T === 'number' && !kv ? T : config.max_position_embeddings);
  const tables = ropeTables(
    config,
    Array.from({ length: maxPos }, (_, i) => i),
  );
  const asDtype = (a: Float64Array) => (dtype === 'float64' ? Float64Array.from(a) : Float32Array.from(a));
  const cosTable = g.constant(asDtype(tables.cos), [maxPos, hd], dtype);
  const sinTable = g.constant(asDtype(tables.sin), [maxPos, hd], dtype);
  let cos: Value;
  let sin: Value;
  if (positionIds) {
    // per-row positions [B,T] -> [B,1,T,hd], broadcast over heads
    cos = g.unsqueeze(g.gather(cosTable, positionIds), [1]);
    sin = g.unsqueeze(g.gather(sinTable, positionIds), [1]);
  } else if (!kv && typeof T === 'number' && T === maxPos) {
    cos = cosTable;
    sin = sinTable;
  } else {
    let pos = g.range(T); // [T]
    if (kv) pos = g.add(pos, g.dimOf(past[0]!.key, 2));
    cos = g.gather(cosTable, pos); // [T, hd]
    sin = g.gather(sinTable, pos);
  }

  // h0 = Embed[ids]
  let h = inputsEmbeds ?? g.gather(P('model.embed_tokens.weight'), inputIds!); // [B,T,d]
  const heads = (v: Value, n: number) => g.transpose(g.reshape(v, [0, 0, n, hd]), [0, 2, 1, 3]); // [B,n,T,hd]
  const repeatKv = (v: Value) => {
    if (kvGroups === 1) return v;
    // [B,KV,S,hd] -> [B,KV,G,S,hd] (copies by Concat: an Expand would need the runtime dims) -> [B,H,S,hd]
    const u = g.unsqueeze(v, [2]);
    return g.reshape(g.concat(Array(kvGroups).fill(u), 2), [0, H, -1, hd]);
  };

  const layer = (l: number, h: Value): Value => {
    const p = `model.layers.${l}`;
    const xn = rmsNorm(h, P(`${p}.input_layernorm.weight`), config.rms_norm_eps);
    const q = rotary(heads(linear(c, xn, `${p}.self_attn.q_proj`, true), H), cos, sin);
    let k = rotary(heads(linear(c, xn, `${p}.self_attn.k_proj`, true), KV), cos, sin);
    let v = heads(linear(c, xn, `${p}.self_attn.v_proj`, true), KV);
    if (kv) {
      k = g.concat([past[l]!.key, k], 2); // keys cached after RoPE, as HF's DynamicCache
      v = g.concat([past[l]!.value, v], 2);
      cacheOutputs.push(g.output(k, `present.${l}.key`).name, g.output(v, `present.${l}.value`).name);
    }
    const att = attention(
      q,
      repeatKv(k),
      repeatKv(v),
      c.seg ? { bias: c.seg.attnBias, scale: 1 / Math.sqrt(hd) } : { causal: true, scale: 1 / Math.sqrt(hd) },
    ); // [B,H,T,hd]
    const merged = g.reshape(g.transpose(att, [0, 2, 1, 3]), [0, 0, d]);
    const a = g.add(h, linear(c, merged, `${p}.self_attn.o_proj`));
    const an = rmsNorm(a, P(`${p}.post_attention_layernorm.weight`), config.rms_norm_eps);
    const f = ffn(c, an, l, causal, kv && causal ? past[l]!.moe : undefined);
    if (kv && causal) {
      cacheOutputs.push(
        g.output(f.state!.lse, `present.${l}.moe_lse`).name,
        g.output(f.state!.mean, `present.${l}.moe_mean`).name,
      );
    }
    return g.add(a, f.out);
  };
  for (let l = 0; l < config.num_hidden_layers; l++) {
    // remat: the layer's activations are recomputed in the backward from its input (graph's checkpoint())
    h = options.remat && !kv ? checkpoint([h], (x: Value) => [layer(l, x)])[0]! : layer(l, h);
  }

  const hn = rmsNorm(h, P('model.norm.weight'), config.rms_norm_eps); // [B,T,d]
  const head = P(config.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'); // [V,d]
  const out: ForwardGraph = {
    graph: g,
    config,
    params,
    ...(inputIds ? { inputIds } : {}),
    ...(inputsEmbeds ? { inputsEmbeds } : {}),
    cacheInputs,
    cacheOutputs,
    causalMoe: causal,
  };
  if (segmentIds) {
    out.segmentIds = segmentIds;
    out.positionIds = positionIds!;
  }
  if (targets) {
    out.targets = targets;
    let rows = g.reshape(hn, [-1, d]);
    let flatTargets = g.reshape(targets, [-1]);
    if (labelIndex) {
      out.labelIndex = labelIndex;
      rows = g.gather(rows, labelIndex); // [K, d]: only the positions that carry a label
      flatTargets = g.gather(flatTargets, labelIndex);
    }
    if (withLoss === 'tokens') {
      const nll = lmHeadTokenNll(rows, head, flatTargets, { chunks: options.lossChunks ?? 8 });
      out.tokenNll = g.reshape(nll, g.shapeOf(targets), [B, T]);
    } else {
      const loss = lmHeadCrossEntropy(rows, head, flatTargets, { chunks: options.lossChunks ?? 8 });
      g.output(loss, 'loss');
      out.loss = loss; // the value itself: the renaming Identity of an output does not pass gradients
    }
  }
  if (logitsMode !== 'none') {
    const src = logitsMode === 'last' ? g.gather(hn, g.ints([-1]), 1) : hn; // [B,1,d]
    out.logits = linearWith(g, src, head, null, c.shapes);
    g.output(out.logits, 'logits');
  }
  return out;
}

/** Shape of one cache input for batch B and `past` cached positions (name from `cacheNames`). */
export function cacheShape(config: SteelConfig, name: string, batch: number, past: number): number[] {
  const { headDim } = dims(config);
  if (name.endsWith('.key') || name.endsWith('.value')) return [batch, config.num_key_value_heads, past, headDim];
  const S = config.n_experts * config.slots_per_expert;
  if (name.endsWith('.moe_lse')) return [batch, S];
  return [batch, S, config.hidden_size];
}

/** HF's next-token targets for one sequence: targets[t] = ids[t+1], the last position ignored (-100). */
export function nextTargets(ids: readonly number[], ignoreIndex = -100): number[] {
  return ids.map((_, t) => (t + 1 < ids.length ? ids[t + 1]! : ignoreIndex));
}
