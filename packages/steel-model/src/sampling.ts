// Next-token choice as HF transformers (4.39) does it: the repetition-penalty processor, then (when sampling) the
// temperature, top-k and top-p warpers in that order, then argmax (greedy) or a draw from the softmax.
// Pure functions over one row of logits; the model that produces the logits is someone else's business.
import { Rng } from './rng.js';

export interface SamplingOptions {
  /** false (default) = greedy argmax; true = sample from the processed distribution. */
  doSample?: boolean;
  /** Default 1 (off). Only used when sampling, as in HF. */
  temperature?: number;
  /** Keep the k highest scores (ties at the k-th value are kept). Default 50 (HF's), 0 = off. Sampling only. */
  topK?: number;
  /** Nucleus: keep the smallest set of top tokens whose probability reaches topP. Default 1 (off). Sampling only. */
  topP?: number;
  /** > 1 discourages tokens already in the sequence (prompt included). Default 1 (off). Also applies to greedy. */
  repetitionPenalty?: number;
}

/** HF GenerationConfig keys -> SamplingOptions (HF defaults for absent keys). */
export function samplingFromGenerationConfig(gen: Record<string, unknown>): Required<SamplingOptions> {
  const num = (key: string, fallback: number) => (typeof gen[key] === 'number' ? (gen[key] as number) : fallback);
  return {
    doSample: gen.do_sample === true,
    temperature: num('temperature', 1),
    topK: num('top_k', 50),
    topP: num('top_p', 1),
    repetitionPenalty: num('repetition_penalty', 1),
  };
}

function checkOptions(o: SamplingOptions): void {
  const bad = (name: string, v: unknown, allowed: string) => {
    throw new RangeError(`sampling: ${name} = ${v} is not allowed: expected ${allowed}`);
  };
  if (o.temperature !== undefined && !(o.temperature > 0 && Number.isFinite(o.temperature)))
    bad('temperature', o.temperature, 'a finite number > 0');
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 0))
    bad('topK', o.topK, 'an integer >= 0 (0 = off)');
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) bad('topP', o.topP, 'a number in (0, 1]');
  if (o.repetitionPenalty !== undefined && !(o.repetitionPenalty > 0 && Number.isFinite(o.repetitionPenalty))) {
    bad('repetitionPenalty', o.repetitionPenalty, 'a finite number > 0 (1 = off)');
  }
}

/**
 * The processed scores HF would sample from (a new Float64Array; -Infinity marks removed tokens).
 * `previous` are the ids of the whole sequence so far (prompt + generated), for the repetition penalty.
 */
export function processLogits(
  logits: ArrayLike<number>,
  previous: readonly number[],
  options: SamplingOptions = {},
): Float64Array {
  checkOptions(options);
  const V = logits.length;
  const s = Float64Array.from(logits);
  const penalty = options.repetitionPenalty ?? 1;
  if (penalty !== 1) {
    // RepetitionPenaltyLogitsProcessor: gather, scale (multiply negatives, divide positives), scatter; once per id.
    for (const id of new Set(previous)) {
      if (id < 0 || id >= V) continue;
      const v = s[id]!;
      s[id] = v < 0 ? v * penalty : v / penalty;
    }
  }
  if (!options.doSample) return s;
  const temperature = options.temperature ?? 1;
  if (temperature !== 1) for (let i = 0; i < V; i++) s[i] = s[i]! / temperature;
  const topK = Math.min(options.topK ?? 50, V);
  if (topK > 0 && topK < V) {
    // TopKLogitsWarper: remove scores strictly below the k-th largest.
    const kth = kthLargest(s, topK);
    for (let i = 0; i < V; i++) if (s[i]! < kth) s[i] = Number.NEGATIVE_INFINITY;
  }
  const topP = options.topP ?? 1;
  if (topP < 1) {
    // TopPLogitsWarper: ascending sort, cumulative softmax, drop the low tail whose mass <= 1 - top_p, keep >= 1.
    // Tokens already removed (-Infinity, e.g. by top-k) have probability exactly 0: in HF's ascending order they
    // come first and add 0 to the running sum, so sorting only the others gives the same result, and after top-k
    // that is ~k tokens instead of the whole vocabulary (the full sort cost ~50 ms per token at V = 151,936).
    const alive: number[] = [];
    for (let i = 0; i < V; i++) if (s[i]! > Number.NEGATIVE_INFINITY) alive.push(i);
    const order = alive.sort((a, b) => s[a]! - s[b]! || a - b);
    const probs = softmax(s);
    let cum = 0;
    for (let r = 0; r < order.length - 1; r++) {
      const i = order[r]!;
      cum += probs[i]!;
      if (cum <= 1 - topP) s[i] = Number.NEGATIVE_INFINITY;
      else break;
    }
  }
  return s;
}

/**
 * The k-th largest value of `s` counting repeats (= ascending sort, index length - k), with a size-k min-heap:
 * O(V log k) and ~1 ms at V = 151,936, k = 50, where sorting a copy took ~30 ms. A row containing NaN takes the
 * sort (which orders NaN last), so the result is the same for every input.
 */
export function kthLargest(s: ArrayLike<number>, k: number): number {
  const n = s.length;
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new RangeError(`kthLargest: k = ${k} with ${n} values`);
  const heap = new Float64Array(k);
  let size = 0;
  for (let i = 0; i < n; i++) {
    const v = s[i]!;
    if (Number.isNaN(v)) return Float64Array.from(s).sort()[n - k]!;
    if (size < k) {
      // sift up
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (heap[p]! <= v) break;
        heap[c] = heap[p]!;
        c = p;
      }
      heap[c] = v;
    } else if (v > heap[0]!) {
      // replace the minimum, sift down
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        if (l >= k) break;
        const m = l + 1 < k && heap[l + 1]! < heap[l]! ? l + 1 : l;
        if (heap[m]! >= v) break;
        heap[c] = heap[m]!;
        c = m;
      }
      heap[c] = v;
    }
  }
  return heap[0]!;
}

/** softmax of a score row (-Infinity -> 0). */
export function softmax(scores: ArrayLike<number>): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, scores[i]!);
  const p = new Float64Array(scores.length);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    p[i] = Math.exp(scores[i]! - max);
    sum += p[i]!;
  }
  for (let i = 0; i < p.length; i++) p[i] = p[i]! / sum;
  return p;
}

/** First index of the maximum (torch.argmax's tie rule). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Chooses the next token: greedy argmax of the processed scores, or a draw from their softmax using `rng`. */
export function chooseToken(
  logits: ArrayLike<number>,
  previous: readonly number[],
  options: SamplingOptions,
  rng: Rng,
): number {
  const scores = processLogits(logits, previous, options);
  if (!options.doSample) return argmax(scores);
  const p = softmax(scores);
  const u = rng.uniform();
  let cum = 0;
  for (let i = 0; i < p.length; i++) {
    cum += p[i]!;
    if (u < cum) return i;
  }
  return argmax(p); // rounding left u above the total: take the most likely token
}

/** One model call: feed the ids not yet seen (prompt first, then one token at a time), get the last position's logits. */
export type LogitsStep = (newIds: number[]) => ArrayLike<number> | Promise<ArrayLike<number>>;

export interface GenerateOptions extends SamplingOptions {
  /** Maximum number of new tokens (default 64). */
  maxNewTokens?: number;
  /** Generation stops after emitting any of these ids (the stop token is yielded, as HF keeps eos in the output). */
  stopTokens?: readonly number[];
  /** Seed of the sampling RNG (default 0). */
  seed?: number;
}

/**
 * Streams generated token ids: one step call with the prompt (prefill), then one per token with the token just
 * chosen, exactly the call pattern of HF generate with a KV cache.
 */
export async function* generateTokens(
  step: LogitsStep,
  prompt: readonly number[],
  options: GenerateOptions = {},
): AsyncGenerator<number> {
  if (prompt.length === 0) throw new RangeError('generateTokens: the prompt is empty');
  const maxNew = options.maxNewTokens ?? 64;
  if (!Number.isInteger(maxNew) || maxNew < 0)
    throw new RangeError(`generateTokens: maxNewTokens = ${maxNew}: expected an integer >= 0`);
  checkOptions(options);
  const stop = new Set(options.stopTokens ?? []);
  const rng = new Rng(options.seed ?? 0, 'sampling');
  const sequence = [...prompt];
  let feed = [...prompt];
  for (let n = 0; n < maxNew; n++) {
    const logits = await step(feed);
    const token = chooseToken(logits, sequence, options, rng);
    sequence.push(token);
    yield token;
    if (stop.has(token)) return;
    feed = [token];
  }
}
