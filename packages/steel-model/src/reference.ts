// A plain-loops reference forward of SteelForCausalLM (llm.c style, float64 accumulation, one sequence).
// It is slow on purpose: it documents the math of spec §1 line by line and is the independent check that the
// ONNX graphs are tested against. Use it for tiny configs only.
import { dims, type SteelConfig } from './config.js';
import { CheckpointError } from './errors.js';
import type { LogitsStep } from './sampling.js';

/** Weights by HF name (float32 or float64 values, row-major, Linear weights [out, in]). */
export type ReferenceWeights = ReadonlyMap<string, ArrayLike<number>>;

type Vec = Float64Array;

/**
 * Per-call state for cached decoding, as HF's DynamicCache: keys (after RoPE) and values of every layer for the
 * positions already processed. Soft-MoE v1/v2/v3 keep no state across calls (each call mixes only its own tokens,
 * which is why cached decoding differs from a full recompute, spec §1.7); the causal v3 variant keeps running
 * dispatch sums so that cached decoding equals the full recompute.
 */
export class ReferenceCache {
  /** Number of positions already in the cache. */
  length = 0;
  /** Per layer: [length x kvDim] keys (after RoPE) and values, row-major. */
  readonly keys: Vec[];
  readonly values: Vec[];
  /** Per layer, causal Soft-MoE only: running max, sum of exp and exp-weighted sum of x̂ for every slot. */
  readonly moe: { max: Vec; sum: Vec; acc: Vec }[];

  constructor(config: SteelConfig) {
    const slots = dims(config).experts * dims(config).slots;
    this.keys = Array.from({ length: config.num_hidden_layers }, () => new Float64Array(0));
    this.values = Array.from({ length: config.num_hidden_layers }, () => new Float64Array(0));
    this.moe = Array.from({ length: config.num_hidden_layers }, () => ({
      max: new Float64Array(slots).fill(Number.NEGATIVE_INFINITY),
      sum: new Float64Array(slots),
      acc: new Float64Array(slots * config.hidden_size),
    }));
  }
}

export interface ReferenceOutput {
  /** [T x vocab_size] row-major, T = ids.length of this call. */
  logits: Float64Array;
  /** Final hidden states after model.norm, [T x hidden_size]. */
  hidden: Float64Array;
  /** Output of every decoder layer (residual stream after the FFN), [T x hidden_size] each: for layer-by-layer
   * debugging of other implementations against the goldens' `hidden.{l}` tensors. */
  layers: Float64Array[];
}

function weight(weights: ReferenceWeights, name: string, size: number): ArrayLike<number> {
  const w = weights.get(name);
  if (!w) throw new CheckpointError(`reference forward: missing weight ${name}`);
  if (w.length !== size)
    throw new CheckpointError(`reference forward: ${name} has ${w.length} values, expected ${size}`);
  return w;
}

/** y[t, o] = sum_i x[t, i] W[o, i] (+ b[o]): nn.Linear with W stored [out, in]. */
function linear(x: Vec, rows: number, inDim: number, W: ArrayLike<number>, outDim: number, b?: ArrayLike<number>): Vec {
  const y = new Float64Array(rows * outDim);
  for (let t = 0; t < rows; t++) {
    const xo = t * inDim;
    for (let o = 0; o < outDim; o++) {
      const wo = o * inDim;
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inDim; i++) s += x[xo + i]! * W[wo + i]!;
      y[t * outDim + o] = s;
    }
  }
  return y;
}

/** SteelRMSNorm: x / sqrt(mean(x^2) + eps), then times the weight (fp32 path; no dtype rounding here). */
function rmsNorm(x: Vec, rows: number, d: number, w: ArrayLike<number>, eps: number): Vec {
  const y = new Float64Array(rows * d);
  for (let t = 0; t < rows; t++) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += x[t * d + i]! ** 2;
    const r = 1 / Math.sqrt(ss / d + eps);
    for (let i = 0; i < d; i++) y[t * d + i] = w[i]! * (x[t * d + i]! * r);
  }
  return y;
}

const silu = (z: number): number => z / (1 + Math.exp(-z));

/**
 * RoPE tables as SteelRotaryEmbedding builds them: inv_freq[j] = 1 / theta^(2j/hd) and angle = pos * inv_freq in
 * float32 (Math.fround marks each fp32 rounding), cos/sin of width hd = the hd/2 angles repeated twice.
 */
export function ropeTables(config: SteelConfig, positions: number[]): { cos: Vec; sin: Vec } {
  const hd = dims(config).headDim;
  const half = hd / 2;
  const f = Math.fround;
  const invFreq = new Float64Array(half);
  for (let j = 0; j < half; j++) invFreq[j] = f(1 / f(f(config.rope_theta) ** f((2 * j) / hd)));
  const cos = new Float64Array(positions.length * hd);
  const sin = new Float64Array(positions.length * hd);
  positions.forEach((pos, t) => {
    for (let i = 0; i < hd; i++) {
      const angle = f(f(pos) * invFreq[i % half]!);
      cos[t * hd + i] = f(Math.cos(angle));
      sin[t * hd + i] = f(Math.sin(angle));
    }
  });
  return { cos, sin };
}

/** In place on [T x heads*hd]: v' = v*cos + rotate_half(v)*sin, rotate_half(v) = concat(-v[hd/2:], v[:hd/2]). */
function applyRope(x: Vec, rows: number, heads: number, hd: number, cos: Vec, sin: Vec): void {
  const half = hd / 2;
  const tmp = new Float64Array(hd);
  for (let t = 0; t < rows; t++) {
    for (let h = 0; h < heads; h++) {
      const o = (t * heads + h) * hd;
      for (let i = 0; i < hd; i++) tmp[i] = x[o + i]!;
      for (let i = 0; i < hd; i++) {
        const rot = i < half ? -tmp[i + half]! : tmp[i - half]!;
        x[o + i] = tmp[i]! * cos[t * hd + i]! + rot * sin[t * hd + i]!;
      }
    }
  }
}

function concat(a: Vec, b: Vec): Vec {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Causal scaled-dot-product attention with GQA: query head h reads KV head floor(h / groups). */
function attention(config: SteelConfig, q: Vec, rows: number, K: Vec, V: Vec, past: number): Vec {
  const { headDim: hd, kvGroups, kvDim } = dims(config);
  const H = config.num_attention_heads;
  const out = new Float64Array(rows * H * hd);
  const scale = 1 / Math.sqrt(hd);
  const scores = new Float64Array(past + rows);
  for (let t = 0; t < rows; t++) {
    const visible = past + t + 1; // causal: keys at absolute positions 0..past+t
    for (let h = 0; h < H; h++) {
      const kvh = Math.floor(h / kvGroups);
      const qo = (t * H + h) * hd;
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < visible; j++) {
        let s = 0;
        for (let i = 0; i < hd; i++) s += q[qo + i]! * K[j * kvDim + kvh * hd + i]!;
        scores[j] = s * scale;
        if (scores[j]! > max) max = scores[j]!;
      }
      let sum = 0;
      for (let j = 0; j < visible; j++) {
        scores[j] = Math.exp(scores[j]! - max);
        sum += scores[j]!;
      }
      for (let j = 0; j < visible; j++) {
        const p = scores[j]! / sum;
        for (let i = 0; i < hd; i++) out[qo + i] = out[qo + i]! + p * V[j * kvDim + kvh * hd + i]!;
      }
    }
  }
  return out;
}

/** One expert / MLP block on `rows` vectors: SteelMLP (raw) or SteelSENet (senet, double SwiGLU). */
function mlpBlock(config: SteelConfig, weights: ReferenceWeights, prefix: string, x: Vec, rows: number): Vec {
  const d = config.hidden_size;
  const I = dims(config).innerSize;
  const w = (n: string, size: number) => weight(weights, `${prefix}.${n}.weight`, size);
  if (config.mlp_type === 'raw') {
    const g = linear(x, rows, d, w('gate_proj', I * d), I);
    const u = linear(x, rows, d, w('up_proj', I * d), I);
    for (let k = 0; k < g.length; k++) g[k] = silu(g[k]!) * u[k]!;
    return linear(g, rows, I, w('down_proj', d * I), d);
  }
  const g1 = linear(x, rows, d, w('gate_up_proj', I * d), I);
  const u1 = linear(x, rows, d, w('up_proj', I * d), I);
  for (let k = 0; k < g1.length; k++) g1[k] = silu(g1[k]!) * u1[k]!;
  const g2 = linear(g1, rows, I, w('gate_down_proj', d * I), d);
  const u2 = linear(g1, rows, I, w('down_proj', d * I), d);
  for (let k = 0; k < g2.length; k++) g2[k] = silu(g2[k]!) * u2[k]!; // no projection after the second gate
  return g2;
}

/** F.normalize(v, dim): v / max(||v||_2, 1e-12), rows of length d. */
function l2NormalizeRows(x: Vec, rows: number, d: number): Vec {
  const y = new Float64Array(rows * d);
  for (let t = 0; t < rows; t++) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += x[t * d + i]! ** 2;
    const r = 1 / Math.max(Math.sqrt(ss), 1e-12);
    for (let i = 0; i < d; i++) y[t * d + i] = x[t * d + i]! * r;
  }
  return y;
}

/**
 * Soft-MoE v3 logits L[t, s] = x̂_t · φ̂_s with s = n*P + p, φ̂ = scale * phi / ||phi[:, n, p]|| (phi stored [d, E, P]).
 */
function softMoeV3Logits(config: SteelConfig, weights: ReferenceWeights, prefix: string, xh: Vec, rows: number): Vec {
  const d = config.hidden_size;
  const S = config.n_experts * config.slots_per_expert;
  const phi = weight(weights, `${prefix}.phi`, d * S);
  const scale = weight(weights, `${prefix}.scale`, 1)[0]!;
  const phiHat = new Float64Array(d * S); // [d, S]
  for (let s = 0; s < S; s++) {
    let ss = 0;
    for (let k = 0; k < d; k++) ss += phi[k * S + s]! ** 2;
    const r = scale / Math.max(Math.sqrt(ss), 1e-12);
    for (let k = 0; k < d; k++) phiHat[k * S + s] = phi[k * S + s]! * r;
  }
  const L = new Float64Array(rows * S);
  for (let t = 0; t < rows; t++) {
    for (let s = 0; s < S; s++) {
      let v = 0;
      for (let k = 0; k < d; k++) v += xh[t * d + k]! * phiHat[k * S + s]!;
      L[t * S + s] = v;
    }
  }
  return L;
}

/** Softmax of each row of a [rows x cols] matrix, in place. */
function softmaxRows(x: Vec, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < cols; c++) max = Math.max(max, x[r * cols + c]!);
    let sum = 0;
    for (let c = 0; c < cols; c++) {
      x[r * cols + c] = Math.exp(x[r * cols + c]! - max);
      sum += x[r * cols + c]!;
    }
    for (let c = 0; c < cols; c++) x[r * cols + c] = x[r * cols + c]! / sum;
  }
}

/** Softmax of each column of a [rows x cols] matrix (over the sequence axis), into a new array. */
function softmaxColumns(x: Vec, rows: number, cols: number): Vec {
  const y = new Float64Array(x.length);
  for (let c = 0; c < cols; c++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let r = 0; r < rows; r++) max = Math.max(max, x[r * cols + c]!);
    let sum = 0;
    for (let r = 0; r < rows; r++) {
      y[r * cols + c] = Math.exp(x[r * cols + c]! - max);
      sum += y[r * cols + c]!;
    }
    for (let r = 0; r < rows; r++) y[r * cols + c] = y[r * cols + c]! / sum;
  }
  return y;
}

/** The FFN of one layer on the `rows` tokens of this call. */
function ffn(
  config: SteelConfig,
  weights: ReferenceWeights,
  layer: number,
  x: Vec,
  rows: number,
  cache?: ReferenceCache,
): Vec {
  const prefix = `model.layers.${layer}.mlp`;
  const d = config.hidden_size;
  const E = config.n_experts;
  const P = config.slots_per_expert;
  const S = E * P;
  switch (config.FFN_type) {
    case 'raw':
      return mlpBlock(config, weights, prefix, x, rows);

    case 'softmoe_v1': {
      // Dense soft gating: every expert on every token, weights softmax(gating(x)) over experts.
      const g = linear(
        x,
        rows,
        d,
        weight(weights, `${prefix}.gating.weight`, E * d),
        E,
        weight(weights, `${prefix}.gating.bias`, E),
      );
      softmaxRows(g, rows, E);
      const out = new Float64Array(rows * d);
      for (let e = 0; e < E; e++) {
        const y = mlpBlock(config, weights, `${prefix}.experts.${e}`, x, rows);
        for (let t = 0; t < rows; t++)
          for (let i = 0; i < d; i++) out[t * d + i] = out[t * d + i]! + g[t * E + e]! * y[t * d + i]!;
      }
      return out;
    }

    case 'softmoe_v2': {
      // logits = x·score; "dispatch" = softmax over slots (per token), "combine" = softmax over the sequence.
      const score = weight(weights, `${prefix}.score`, d * S);
      const logits = new Float64Array(rows * S);
      for (let t = 0; t < rows; t++) {
        for (let s = 0; s < S; s++) {
          let v = 0;
          for (let k = 0; k < d; k++) v += x[t * d + k]! * score[k * S + s]!;
          logits[t * S + s] = v;
        }
      }
      const combine = softmaxColumns(logits, rows, S);
      const dispatch = logits; // reused in place
      softmaxRows(dispatch, rows, S);
      const xs = new Float64Array(S * d); // dispatchᵀ · x
      for (let s = 0; s < S; s++)
        for (let t = 0; t < rows; t++)
          for (let i = 0; i < d; i++) xs[s * d + i] = xs[s * d + i]! + dispatch[t * S + s]! * x[t * d + i]!;
      const ys = new Float64Array(S * d);
      for (let e = 0; e < E; e++)
        ys.set(
          mlpBlock(config, weights, `${prefix}.experts.${e}`, xs.subarray(e * P * d, (e + 1) * P * d), P),
          e * P * d,
        );
      const out = new Float64Array(rows * d); // combine · ys
      for (let t = 0; t < rows; t++)
        for (let s = 0; s < S; s++)
          for (let i = 0; i < d; i++) out[t * d + i] = out[t * d + i]! + combine[t * S + s]! * ys[s * d + i]!;
      return out;
    }

    case 'softmoe_v3': {
      const xh = l2NormalizeRows(x, rows, d);
      const L = softMoeV3Logits(config, weights, prefix, xh, rows);
      const D = softmaxColumns(L, rows, S); // dispatch: over the sequence of THIS call (non-causal)
      const C = Float64Array.from(L);
      softmaxRows(C, rows, S); // combine: over experts x slots jointly
      const xs = new Float64Array(S * d);
      for (let s = 0; s < S; s++)
        for (let t = 0; t < rows; t++)
          for (let i = 0; i < d; i++) xs[s * d + i] = xs[s * d + i]! + D[t * S + s]! * xh[t * d + i]!;
      const ys = new Float64Array(S * d);
      for (let e = 0; e < E; e++)
        ys.set(
          mlpBlock(config, weights, `${prefix}.experts.${e}`, xs.subarray(e * P * d, (e + 1) * P * d), P),
          e * P * d,
        );
      const out = new Float64Array(rows * d);
      for (let t = 0; t < rows; t++)
        for (let s = 0; s < S; s++)
          for (let i = 0; i < d; i++) out[t * d + i] = out[t * d + i]! + C[t * S + s]! * ys[s * d + i]!;
      return out;
    }

    case 'softmoe_v3_causal': {
      // Position t's slots are dispatched from positions <= t only (online softmax over the prefix, carried in the
      // cache across calls), so each position runs the experts on its own slots: E*P expert calls per token.
      const xh = l2NormalizeRows(x, rows, d);
      const L = softMoeV3Logits(config, weights, prefix, xh, rows);
      const C = Float64Array.from(L);
      softmaxRows(C, rows, S);
      const state = cache
        ? cache.moe[layer]!
        : {
            max: new Float64Array(S).fill(Number.NEGATIVE_INFINITY),
            sum: new Float64Array(S),
            acc: new Float64Array(S * d),
          };
      const out = new Float64Array(rows * d);
      const xs = new Float64Array(S * d);
      for (let t = 0; t < rows; t++) {
        for (let s = 0; s < S; s++) {
          const l = L[t * S + s]!;
          const m = Math.max(state.max[s]!, l);
          const decay = Math.exp(state.max[s]! - m); // exp(-inf) = 0 on the first token
          const w = Math.exp(l - m);
          state.sum[s] = state.sum[s]! * decay + w;
          for (let i = 0; i < d; i++) state.acc[s * d + i] = state.acc[s * d + i]! * decay + w * xh[t * d + i]!;
          state.max[s] = m;
          for (let i = 0; i < d; i++) xs[s * d + i] = state.acc[s * d + i]! / state.sum[s]!;
        }
        for (let e = 0; e < E; e++) {
          const ys = mlpBlock(config, weights, `${prefix}.experts.${e}`, xs.subarray(e * P * d, (e + 1) * P * d), P);
          for (let p = 0; p < P; p++) {
            const c = C[t * S + e * P + p]!;
            for (let i = 0; i < d; i++) out[t * d + i] = out[t * d + i]! + c * ys[p * d + i]!;
          }
        }
      }
      return out;
    }
  }
}

/**
 * Logits of SteelForCausalLM for one sequence (batch 1, no padding). With a cache, `ids` are the tokens after the
 * cached ones (positions cache.length..), exactly like one HF forward call with past_key_values; the cache is
 * updated. Without a cache, positions start at 0.
 */
export function referenceForward(
  config: SteelConfig,
  weights: ReferenceWeights,
  ids: readonly number[],
  cache?: ReferenceCache,
): ReferenceOutput {
  const d = config.hidden_size;
  const V = config.vocab_size;
  const { headDim: hd, kvDim } = dims(config);
  const H = config.num_attention_heads;
  const KV = config.num_key_value_heads;
  const T = ids.length;
  if (T === 0) throw new RangeError('referenceForward: ids is empty');
  const past = cache?.length ?? 0;
  const layers: Float64Array[] = [];

  // h0 = Embed[ids]
  const embed = weight(weights, 'model.embed_tokens.weight', V * d);
  let h: Vec = new Float64Array(T * d);
  ids.forEach((id, t) => {
    if (!Number.isInteger(id) || id < 0 || id >= V)
      throw new RangeError(`referenceForward: token id ${id} at ${t} is outside [0, ${V - 1}]`);
    for (let i = 0; i < d; i++) h[t * d + i] = embed[id * d + i]!;
  });
  const positions = ids.map((_, t) => past + t);
  const { cos, sin } = ropeTables(config, positions);

  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    // a = x + o_proj(Attn(RoPE(q), RoPE(k), v)) on RMSNorm_in(x)
    const xn = rmsNorm(h, T, d, weight(weights, `${p}.input_layernorm.weight`, d), config.rms_norm_eps);
    const q = linear(
      xn,
      T,
      d,
      weight(weights, `${p}.self_attn.q_proj.weight`, d * d),
      d,
      weight(weights, `${p}.self_attn.q_proj.bias`, d),
    );
    const k = linear(
      xn,
      T,
      d,
      weight(weights, `${p}.self_attn.k_proj.weight`, kvDim * d),
      kvDim,
      weight(weights, `${p}.self_attn.k_proj.bias`, kvDim),
    );
    const v = linear(
      xn,
      T,
      d,
      weight(weights, `${p}.self_attn.v_proj.weight`, kvDim * d),
      kvDim,
      weight(weights, `${p}.self_attn.v_proj.bias`, kvDim),
    );
    applyRope(q, T, H, hd, cos, sin);
    applyRope(k, T, KV, hd, cos, sin);
    let K = k;
    let Vv = v;
    if (cache) {
      K = cache.keys[l] = concat(cache.keys[l]!, k); // keys are cached after RoPE
      Vv = cache.values[l] = concat(cache.values[l]!, v);
    }
    const att = attention(config, q, T, K, Vv, past);
    const o = linear(att, T, d, weight(weights, `${p}.self_attn.o_proj.weight`, d * d), d);
    for (let i = 0; i < h.length; i++) o[i] = o[i]! + h[i]!;
    // y = a + FFN(RMSNorm_post(a))
    const an = rmsNorm(o, T, d, weight(weights, `${p}.post_attention_layernorm.weight`, d), config.rms_norm_eps);
    const f = ffn(config, weights, l, an, T, cache);
    for (let i = 0; i < o.length; i++) o[i] = o[i]! + f[i]!;
    h = o;
    layers.push(h);
  }
  if (cache) cache.length = past + T;

  const hidden = rmsNorm(h, T, d, weight(weights, 'model.norm.weight', d), config.rms_norm_eps);
  const head = config.tie_word_embeddings ? embed : weight(weights, 'lm_head.weight', V * d);
  const logits = linear(hidden, T, d, head, V);
  return { logits, hidden, layers };
}

/**
 * HF's causal-LM loss: mean over t of -log softmax(logits[t])[labels[t+1]], skipping labels equal to ignoreIndex
 * (default -100). labels default to the input ids.
 */
export function nextTokenLoss(
  logits: ArrayLike<number>,
  vocabSize: number,
  labels: readonly number[],
  ignoreIndex = -100,
): number {
  const T = labels.length;
  if (logits.length !== T * vocabSize)
    throw new RangeError(`nextTokenLoss: ${logits.length} logits for ${T} labels x vocab ${vocabSize}`);
  let total = 0;
  let count = 0;
  for (let t = 0; t + 1 < T; t++) {
    const target = labels[t + 1]!;
    if (target === ignoreIndex) continue;
    if (!Number.isInteger(target) || target < 0 || target >= vocabSize)
      throw new RangeError(`nextTokenLoss: label ${target} at ${t + 1} outside [0, ${vocabSize - 1}]`);
    const o = t * vocabSize;
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < vocabSize; c++) max = Math.max(max, logits[o + c]!);
    let sum = 0;
    for (let c = 0; c < vocabSize; c++) sum += Math.exp(logits[o + c]! - max);
    total += Math.log(sum) + max - logits[o + target]!;
    count++;
  }
  return count ? total / count : Number.NaN;
}

/**
 * A LogitsStep over the reference forward with its own cache: each call feeds the new ids (HF's cached call
 * pattern) and returns the logits of the last position. For generateTokens on tiny models.
 */
export function referenceStep(
  config: SteelConfig,
  weights: ReferenceWeights,
): { step: LogitsStep; cache: ReferenceCache } {
  const cache = new ReferenceCache(config);
  const V = config.vocab_size;
  const step: LogitsStep = (ids) => referenceForward(config, weights, ids, cache).logits.subarray((ids.length - 1) * V);
  return { step, cache };
}
