// A decoder-only ONNX model exported the usual way (optimum / HF exporters): inputs `input_ids`, `attention_mask`,
// optional `position_ids`, `past_key_values.{i}.key|value` [B, kvHeads, past, headDim]; outputs `logits` [B, T, V] and
// `present.{i}.key|value`. Scores answer letters with one prefill of the shared few-shot prefix (its KV cache is reused
// for every question of the subject) and a batched forward of the question suffixes; generates greedily.
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { continuationTokenIds } from './continuation-tokens.js';
import { EvalModelError } from './errors.js';
import { hfTokenizerFromFile } from './hf-tokenizer.js';
import type {
  ChoiceScoreRequest,
  ChoiceScorer,
  ChoiceScores,
  GenerateOptions,
  Generation,
  Generator,
  TextTokenizer,
} from './scorer.js';

export interface OnnxCausalLmOptions {
  /** Context length in tokens; default 4096 (or `max_position_embeddings` of a config.json beside the model). */
  maxContext?: number;
  /** Tokens per forward when filling the KV cache with a long prefix (bounds the [T, V] logits). Default 256. */
  prefillChunk?: number;
  /** Upper bound of batch rows x suffix tokens in one scoring forward. Default 1024. */
  maxBatchTokens?: number;
  /** ORT intra-op threads (default: ORT's choice). */
  threads?: number;
  /** Ids that end a generation; default: `<|im_end|>`, `<|endoftext|>`, `</s>`, `<|eot_id|>` when the vocab has them. */
  eosIds?: number[];
}

interface KvCache {
  /** Past tensors by input name, shape [B, kvHeads, length, headDim]. */
  tensors: Record<string, ort.Tensor>;
  length: number;
  batch: number;
}

interface PastInput {
  input: string;
  output: string;
  heads: number;
  headDim: number;
  type: 'float32' | 'float16';
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** log-softmax of row `row` of a [rows, V] view over `data`, gathered at `ids`. */
function logProbsAt(data: ArrayLike<number>, half: boolean, offset: number, vocab: number, ids: number[]): number[] {
  const at = half ? (i: number) => halfToFloat(data[i]!) : (i: number) => data[i]!;
  let max = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < vocab; v++) max = Math.max(max, at(offset + v));
  let sum = 0;
  for (let v = 0; v < vocab; v++) sum += Math.exp(at(offset + v) - max);
  const lse = max + Math.log(sum);
  return ids.map((id) => at(offset + id) - lse);
}

function int64(values: number[], dims: number[]): ort.Tensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}

function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

export class OnnxCausalLm implements ChoiceScorer, Generator {
  readonly maxContext: number;
  private readonly pastInputs: PastInput[];
  private readonly hasPositionIds: boolean;
  private readonly hasCacheBranch: boolean;
  private readonly prefillChunk: number;
  private readonly maxBatchTokens: number;
  private readonly eosIds: Set<number>;
  private prefixCache: { key: string; ids: number[]; kv: KvCache } | undefined;
  /** Forward calls and tokens run, for benchmarks. */
  readonly stats = { forwards: 0, tokens: 0, prefixReuses: 0 };

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly tokenizer: TextTokenizer,
    opts: OnnxCausalLmOptions,
    readonly modelPath: string,
  ) {
    const inputs = new Map(session.inputMetadata.map((m) => [m.name, m]));
    for (const need of ['input_ids', 'attention_mask']) {
      if (!inputs.has(need)) {
        throw new EvalModelError(
          `${modelPath}: model has no '${need}' input (inputs: ${session.inputNames.join(', ')}); export a decoder-only model with input_ids, attention_mask, position_ids and past_key_values.*`,
        );
      }
    }
    if (!session.outputNames.includes('logits')) {
      throw new EvalModelError(
        `${modelPath}: model has no 'logits' output (outputs: ${session.outputNames.join(', ')})`,
      );
    }
    this.hasPositionIds = inputs.has('position_ids');
    this.hasCacheBranch = inputs.has('use_cache_branch');
    this.pastInputs = [...inputs.values()]
      .filter((m) => m.name.startsWith('past_key_values.'))
      .map((m) => {
        const output = m.name.replace('past_key_values.', 'present.');
        if (!session.outputNames.includes(output)) {
          throw new EvalModelError(`${modelPath}: input ${m.name} has no matching output ${output}`);
        }
        if (!m.isTensor || (m.type !== 'float32' && m.type !== 'float16')) {
          throw new EvalModelError(`${modelPath}: ${m.name} must be a float32 or float16 tensor`);
        }
        const [, heads, , headDim] = m.shape;
        if (typeof heads !== 'number' || typeof headDim !== 'number') {
          throw new EvalModelError(
            `${modelPath}: ${m.name} has symbolic heads/head_dim (shape ${JSON.stringify(m.shape)}); re-export with fixed [batch, kv_heads, past, head_dim]`,
          );
        }
        return { input: m.name, output, heads, headDim, type: m.type };
      });
    if (this.pastInputs.length === 0) {
      throw new EvalModelError(`${modelPath}: model has no past_key_values.* inputs (export it "with past")`);
    }
    this.maxContext = opts.maxContext ?? 4096;
    this.prefillChunk = opts.prefillChunk ?? 256;
    this.maxBatchTokens = opts.maxBatchTokens ?? 1024;
    const eos =
      opts.eosIds ??
      ['<|im_end|>', '<|endoftext|>', '</s>', '<|eot_id|>']
        .map((t) => tokenizer.tokenId(t))
        .filter((id): id is number => id !== undefined);
    this.eosIds = new Set(eos);
  }

  /**
   * Loads `model.onnx` + `tokenizer.json` from a folder (or explicit files). A `config.json` beside them, when
   * present, gives the default context length (`max_position_embeddings`).
   */
  static async load(
    location: string | { model: string; tokenizer: string | TextTokenizer },
    opts: OnnxCausalLmOptions = {},
  ): Promise<OnnxCausalLm> {
    const files =
      typeof location === 'string'
        ? { model: path.join(location, 'model.onnx'), tokenizer: path.join(location, 'tokenizer.json') }
        : location;
    if (!fs.existsSync(files.model)) throw new EvalModelError(`${files.model}: no such file`);
    const tokenizer = typeof files.tokenizer === 'string' ? hfTokenizerFromFile(files.tokenizer) : files.tokenizer;
    let maxContext = opts.maxContext;
    const config = path.join(path.dirname(files.model), 'config.json');
    if (maxContext === undefined && fs.existsSync(config)) {
      const n = JSON.parse(fs.readFileSync(config, 'utf8')).max_position_embeddings;
      if (Number.isInteger(n) && n > 0) maxContext = n;
    }
    const sessionOptions: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
    if (opts.threads) sessionOptions.intraOpNumThreads = opts.threads;
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(files.model, sessionOptions);
    } catch (err) {
      throw new EvalModelError(`${files.model}: onnxruntime cannot load it (${(err as Error).message})`);
    }
    return new OnnxCausalLm(session, tokenizer, { ...opts, ...(maxContext ? { maxContext } : {}) }, files.model);
  }

  async countTokens(text: string): Promise<number> {
    return (await this.tokenizer.encode(text)).length;
  }

  async release(): Promise<void> {
    this.prefixCache = undefined;
    await this.session.release();
  }

  private emptyCache(batch: number): KvCache {
    const tensors: Record<string, ort.Tensor> = {};
    for (const p of this.pastInputs) {
      const data = p.type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
      tensors[p.input] = new ort.Tensor(p.type, data, [batch, p.heads, 0, p.headDim]);
    }
    return { tensors, length: 0, batch };
  }

  /** Repeats a batch-1 cache `batch` times. */
  private expandCache(kv: KvCache, batch: number): KvCache {
    if (kv.batch !== 1) throw new Error('expandCache needs a batch-1 cache');
    if (batch === 1) return kv;
    const tensors: Record<string, ort.Tensor> = {};
    for (const p of this.pastInputs) {
      const t = kv.tensors[p.input]!;
      const src = t.data as Float32Array | Uint16Array;
      const out = new (src.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(src.length * batch);
      for (let b = 0; b < batch; b++) out.set(src, b * src.length);
      tensors[p.input] = new ort.Tensor(p.type, out, [batch, p.heads, kv.length, p.headDim]);
    }
    return { tensors, length: kv.length, batch };
  }

  /** One forward over `rows` (right-padded to the same length) after `past`. Returns logits and the new cache. */
  private async forward(rows: number[][], lengths: number[], past: KvCache) {
    const batch = rows.length;
    const t = rows[0]!.length;
    const total = past.length + t;
    const mask: number[] = [];
    const positions: number[] = [];
    rows.forEach((_, b) => {
      for (let j = 0; j < total; j++) mask.push(j < past.length + lengths[b]! ? 1 : 0);
      for (let j = 0; j < t; j++) positions.push(past.length + j);
    });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64(rows.flat(), [batch, t]),
      attention_mask: int64(mask, [batch, total]),
      ...past.tensors,
    };
    if (this.hasPositionIds) feeds.position_ids = int64(positions, [batch, t]);
    if (this.hasCacheBranch) feeds.use_cache_branch = new ort.Tensor('bool', [past.length > 0], [1]);
    const out = await this.session.run(feeds);
    this.stats.forwards++;
    this.stats.tokens += batch * t;
    const logits = out.logits!;
    const present: Record<string, ort.Tensor> = {};
    for (const p of this.pastInputs) present[p.input] = out[p.output]!;
    return { logits, kv: { tensors: present, length: total, batch } as KvCache };
  }

  /** Runs `ids` (batch 1) after `past` in chunks; returns the cache and the logits tensor of the last chunk. */
  private async prefill(ids: number[], past: KvCache) {
    let kv = past;
    let last: { logits: ort.Tensor; rows: number } | undefined;
    for (let i = 0; i < ids.length; i += this.prefillChunk) {
      const chunk = ids.slice(i, i + this.prefillChunk);
      const r = await this.forward([chunk], [chunk.length], kv);
      kv = r.kv;
      last = { logits: r.logits, rows: chunk.length };
    }
    return { kv, last };
  }

  private lastLogProbs(logits: ort.Tensor, row: number, tIndex: number, ids: number[]): number[] {
    const [, t, vocab] = logits.dims as number[];
    const half = logits.type === 'float16';
    return logProbsAt(logits.data as ArrayLike<number>, half, (row * t! + tIndex) * vocab!, vocab!, ids);
  }

  /** The KV cache of `prefixIds`, reusing the last one computed when the ids are the same. */
  private async prefixKv(prefixIds: number[]): Promise<KvCache> {
    const key = prefixIds.join(',');
    if (this.prefixCache?.key === key) {
      this.stats.prefixReuses++;
      return this.prefixCache.kv;
    }
    const { kv } = await this.prefill(prefixIds, this.emptyCache(1));
    this.prefixCache = { key, ids: prefixIds, kv };
    return kv;
  }

  async scoreChoices(
    requests: readonly ChoiceScoreRequest[],
    continuations: readonly string[],
  ): Promise<ChoiceScores[]> {
    // 1. Token ids: the prompt, the first token of each continuation as it follows this prompt, the shared prefix.
    const prepared: { ids: number[]; next: number[]; prefix: number[] }[] = [];
    for (const req of requests) {
      const { ids, next } = await continuationTokenIds(this.tokenizer, req.prompt, continuations);
      let prefix: number[] = [];
      if (req.sharedPrefix && req.prompt.startsWith(req.sharedPrefix)) {
        // The prefix's own tokens can differ from the prompt's at the boundary (e.g. "\n\n" merges differently when
        // text follows), so share the longest common run of ids; keep at least one suffix token for the logits.
        const p = await this.tokenizer.encode(req.sharedPrefix);
        prefix = p.slice(0, Math.min(commonPrefixLength(ids, p), ids.length - 1));
      }
      prepared.push({ ids, next, prefix });
    }
    // 2. Group by prefix, run the suffixes batched after the prefix's cache.
    const results: ChoiceScores[] = new Array(requests.length);
    const groups = new Map<string, number[]>();
    prepared.forEach((p, i) => {
      const key = p.prefix.join(',');
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    for (const members of groups.values()) {
      const prefix = prepared[members[0]!]!.prefix;
      const kv = prefix.length ? await this.prefixKv(prefix) : this.emptyCache(1);
      const bySize = [...members].sort(
        (a, b) => prepared[a]!.ids.length - prepared[b]!.ids.length, // similar lengths pad less
      );
      let i = 0;
      while (i < bySize.length) {
        const first = prepared[bySize[i]!]!;
        const firstLen = first.ids.length - prefix.length;
        if (firstLen > this.maxBatchTokens) {
          // Too long to batch: prefill all but the last token in chunks, then the last token alone.
          const suffix = first.ids.slice(prefix.length);
          const { kv: filled } = await this.prefill(suffix.slice(0, -1), kv);
          const r = await this.forward([[suffix.at(-1)!]], [1], filled);
          results[bySize[i]!] = {
            logProbs: this.lastLogProbs(r.logits, 0, 0, first.next),
            promptTokens: first.ids.length,
          };
          i++;
          continue;
        }
        const batch: number[] = [];
        while (i < bySize.length) {
          const len = prepared[bySize[i]!]!.ids.length - prefix.length;
          if (batch.length > 0 && (batch.length + 1) * len > this.maxBatchTokens) break;
          if (len > this.maxBatchTokens) break;
          batch.push(bySize[i]!);
          i++;
        }
        const suffixes = batch.map((k) => prepared[k]!.ids.slice(prefix.length));
        const lengths = suffixes.map((s) => s.length);
        const width = Math.max(...lengths);
        const rows = suffixes.map((s) => [...s, ...new Array<number>(width - s.length).fill(0)]);
        const r = await this.forward(rows, lengths, this.expandCache(kv, rows.length));
        batch.forEach((k, b) => {
          const p = prepared[k]!;
          results[k] = {
            logProbs: this.lastLogProbs(r.logits, b, lengths[b]! - 1, p.next),
            promptTokens: p.ids.length,
          };
        });
      }
    }
    return results;
  }

  async generate(prompt: string, opts: GenerateOptions = {}): Promise<Generation> {
    const maxNew = opts.maxNewTokens ?? 64;
    const ids = await this.tokenizer.encode(prompt);
    if (ids.length === 0) throw new EvalModelError('cannot generate from an empty prompt');
    const { kv: filled, last } = await this.prefill(ids, this.emptyCache(1));
    let kv = filled;
    let logits = last!.logits;
    let row = last!.rows - 1;
    const out: number[] = [];
    let text = '';
    while (out.length < maxNew && ids.length + out.length < this.maxContext) {
      const [, , vocab] = logits.dims as number[];
      const data = logits.data as ArrayLike<number>;
      const half = logits.type === 'float16';
      const base = row * vocab!;
      let best = 0;
      let bestValue = Number.NEGATIVE_INFINITY;
      for (let v = 0; v < vocab!; v++) {
        const x = half ? halfToFloat(data[base + v]!) : data[base + v]!;
        if (x > bestValue) {
          bestValue = x;
          best = v;
        }
      }
      if (this.eosIds.has(best)) break;
      out.push(best);
      if (opts.stop?.length) {
        text = await this.tokenizer.decode(out);
        const hit = opts.stop.map((s) => text.indexOf(s)).filter((k) => k >= 0);
        if (hit.length) {
          text = text.slice(0, Math.min(...hit));
          return { text, promptTokens: ids.length, newTokens: out.length };
        }
      }
      const r = await this.forward([[best]], [1], kv);
      kv = r.kv;
      logits = r.logits;
      row = 0;
    }
    text = await this.tokenizer.decode(out);
    return { text, promptTokens: ids.length, newTokens: out.length };
  }
}
