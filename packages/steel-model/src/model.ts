// SteelModel: a loaded checkpoint with ONNX Runtime sessions for full-sequence logits, the next-token loss and its
// gradients, and cached step-by-step decoding (prefill + decode share one graph with past/present KV inputs).
import { grad, lowest, type ort, Session, type SessionOptions, tensor } from '@steel/graph';
import { loadModelFolder } from './checkpoint.js';
import { dims, type SteelConfig, validateConfig } from './config.js';
import {
  buildForward,
  cacheNames,
  cacheShape,
  type ForwardGraph,
  type ForwardOptions,
  isCausalMoe,
  nextTargets,
} from './forward.js';
import { type GenerateOptions, generateTokens, type LogitsStep, samplingFromGenerationConfig } from './sampling.js';

type Tensor = ort.Tensor;

export interface SteelModelOptions {
  /** ORT intra-op threads (default: ORT's choice, all cores). */
  threads?: number;
  /** Run a softmoe_v3 checkpoint with the causal Soft-MoE (not what HF does; see the README). */
  causalMoe?: boolean;
  /** Bake the weights into the inference sessions (logits, step) as initializers instead of feeding them on every
   * call. Default false: measured on steel-small it made neither prefill nor decode faster, while session creation
   * went from ~1 s to ~3-9 s and peak RSS from ~0.5 GB to ~1.4 GB (copies of the weights in the model bytes and
   * in ORT). Feeding costs nothing: ORT reads the Float32Arrays in place. The grads session always feeds them. */
  bakeWeights?: boolean;
  /** Extra ORT session options. */
  session?: SessionOptions;
}

/** A chat message as the tokenizer's template takes it. */
export interface ChatMessage {
  role: string;
  content: string;
}

/** The part of @steel/tokenizer's QwenTokenizer that chat() uses (structural, so no hard dependency). */
export interface ChatTokenizer {
  encodeChat(messages: ChatMessage[], options?: { addGenerationPrompt?: boolean }): Promise<number[]>;
  createStreamDecoder(): { push(ids: number | number[]): string; end(): string };
}

/** KV cache of one sequence (batch 1) between step() calls. */
export class StepCache {
  /** Positions already processed. */
  length = 0;
  /** Cache tensors by graph input name (`past.*`). */
  readonly tensors: Map<string, Tensor>;
  constructor(config: SteelConfig, causalMoe: boolean) {
    this.tensors = new Map();
    const S = config.n_experts * config.slots_per_expert;
    for (const n of cacheNames(config, causalMoe)) {
      const shape = cacheShape(config, n, 1, 0);
      const size = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(size);
      // causal Soft-MoE before any token: log-sum-exp "minus infinity" (finite, so 0 * mean stays 0)
      if (n.endsWith('.moe_lse')) data.fill(lowest('float32'));
      if (n.endsWith('.moe_lse') && size !== S) throw new Error('internal: moe_lse size');
      this.tensors.set(`past.${n}`, tensor(data, shape));
    }
  }
}

export interface GradsResult {
  loss: number;
  /** L2 norm of each parameter's gradient, by HF name (state-dict order). */
  gradNorms: Record<string, number>;
  /** Full gradients, when asked for. */
  grads?: Map<string, Float32Array>;
}

function ids64(ids: readonly number[], V: number, where: string): BigInt64Array {
  if (ids.length === 0) throw new RangeError(`${where}: ids is empty`);
  return BigInt64Array.from(
    ids.map((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= V)
        throw new RangeError(`${where}: ids[${i}] = ${id} is not a token id (valid: integers 0..${V - 1})`);
      return BigInt(id);
    }),
  );
}

export class SteelModel {
  private readonly paramFeeds: Record<string, Tensor> = {};
  private logitsSession?: Promise<{ session: Session; fwd: ForwardGraph; feeds: Record<string, Tensor> }>;
  private stepSession?: Promise<{ session: Session; fwd: ForwardGraph; feeds: Record<string, Tensor> }>;
  private gradSessions = new Map<number, Promise<{ session: Session; names: string[] }>>();
  readonly causalMoe: boolean;
  private readonly weights: ReadonlyMap<string, Float32Array>;
  private readonly bake: boolean;

  constructor(
    readonly config: SteelConfig,
    weights: ReadonlyMap<string, Float32Array>,
    readonly generationConfig: Record<string, unknown> | null = null,
    private readonly options: SteelModelOptions = {},
  ) {
    validateConfig(config);
    this.weights = weights;
    this.bake = options.bakeWeights ?? false;
    this.causalMoe = isCausalMoe(config, options.causalMoe);
    const fwd = buildForward(config, { batch: 1, seq: 1 }); // only to read parameter shapes
    for (const [name, v] of fwd.params) {
      const w = weights.get(name);
      if (!w) throw new Error(`SteelModel: missing weight ${name}`);
      this.paramFeeds[name] = tensor(w, v.shape as number[]);
    }
  }

  /** Loads an HF-style folder (config.json, generation_config.json, safetensors) into memory. */
  static async load(dir: string, options: SteelModelOptions = {}): Promise<SteelModel> {
    const { config, weights, generationConfig } = await loadModelFolder(dir);
    return new SteelModel(config, weights, generationConfig, options);
  }

  private sessionOptions(): SessionOptions {
    return { ...(this.options.threads ? { intraOpThreads: this.options.threads } : {}), ...this.options.session };
  }

  /** An inference session (weights baked unless bakeWeights is false) and the parameter feeds it still needs. */
  private async inferenceSession(
    opts: Omit<ForwardOptions, 'weights'>,
  ): Promise<{ session: Session; fwd: ForwardGraph; feeds: Record<string, Tensor> }> {
    if (!this.bake) {
      const fwd = buildForward(this.config, opts);
      return { session: await Session.create(fwd.graph, this.sessionOptions()), fwd, feeds: this.paramFeeds };
    }
    const fwd = buildForward(this.config, { ...opts, weights: this.weights });
    let bytes = 0;
    for (const w of this.weights.values()) bytes += w.byteLength;
    const so = this.sessionOptions();
    // protobuf caps a model at 2 GB: bigger weights go to ORT as external data (from memory)
    const model = { paramsAs: 'initializers' as const, ...(bytes > 1.5e9 ? { externalThreshold: 1 << 20 } : {}) };
    return { session: await Session.create(fwd.graph, { ...so, model: { ...model, ...so.model } }), fwd, feeds: {} };
  }

  /** Logits [T x V] of one sequence, all positions, in one call (no cache: positions 0..T-1). */
  async logits(ids: readonly number[]): Promise<Float32Array> {
    const input = ids64(ids, this.config.vocab_size, 'logits');
    if (ids.length > this.config.max_position_embeddings)
      throw new RangeError(
        `logits: ${ids.length} positions exceed max_position_embeddings ${this.config.max_position_embeddings}`,
      );
    this.logitsSession ??= this.inferenceSession({ batch: 1, causalMoe: this.causalMoe });
    const { session, feeds } = await this.logitsSession;
    const { outputs } = await session.run({ ...feeds, input_ids: tensor(input, [1, ids.length]) });
    return outputs.logits!.data as Float32Array;
  }

  /**
   * HF's next-token loss of one sequence (mean cross-entropy of ids[t+1] given ids[..t]) and the L2 norm of every
   * parameter's gradient. The graph is built for this sequence length (numeric dims build faster sessions).
   */
  async grads(ids: readonly number[], opts: { full?: boolean } = {}): Promise<GradsResult> {
    if (ids.length < 2) throw new RangeError('grads: need at least 2 ids (the loss predicts ids[1..] from ids[..-1])');
    const input = ids64(ids, this.config.vocab_size, 'grads');
    const T = ids.length;
    let entry = this.gradSessions.get(T);
    if (!entry) {
      const fwd = buildForward(this.config, { batch: 1, seq: T, withLoss: true, causalMoe: this.causalMoe });
      const names = [...fwd.params.keys()];
      grad(fwd.loss!, [...fwd.params.values()]).forEach((gv, i) => {
        fwd.graph.output(gv, `grad.${names[i]}`);
      });
      entry = Session.create(fwd.graph, this.sessionOptions()).then((session) => ({ session, names }));
      this.gradSessions.set(T, entry);
    }
    const { session, names } = await entry;
    const targets = BigInt64Array.from(nextTargets(ids).map(BigInt));
    const { outputs } = await session.run({
      ...this.paramFeeds,
      input_ids: tensor(input, [1, T]),
      targets: tensor(targets, [1, T]),
    });
    const gradNorms: Record<string, number> = {};
    const full = opts.full ? new Map<string, Float32Array>() : undefined;
    for (const n of names) {
      const data = outputs[`grad.${n}`]!.data as Float32Array;
      let ss = 0;
      for (let i = 0; i < data.length; i++) ss += data[i]! * data[i]!;
      gradNorms[n] = Math.sqrt(ss);
      full?.set(n, data);
    }
    return { loss: Number(outputs.loss!.data[0]), gradNorms, ...(full ? { grads: full } : {}) };
  }

  /**
   * Logits [V] of the last position of `ids` in one call from position 0: the same numbers as the last row of
   * logits(ids) (HF's uncached forward on the whole sequence), without materializing [T, V]. This is the
   * `nextTokenLogits` for @steel/eval's functionCausalLm.
   */
  lastLogits(ids: readonly number[]): Promise<Float32Array> {
    return this.step(ids, this.newCache());
  }

  /** A fresh KV cache for step(). */
  newCache(): StepCache {
    return new StepCache(this.config, this.causalMoe);
  }

  /**
   * One cached call, as HF generate with past_key_values: feeds the ids after the cached ones and returns the
   * logits [V] of the last position; the cache advances. With Soft-MoE v3 each call mixes only its own tokens
   * (spec §1.7), so prefill-then-decode differs from logits() on the whole sequence, exactly as in HF.
   */
  async step(ids: readonly number[], cache: StepCache): Promise<Float32Array> {
    const input = ids64(ids, this.config.vocab_size, 'step');
    if (cache.length + ids.length > this.config.max_position_embeddings)
      throw new RangeError(
        `step: ${cache.length + ids.length} positions exceed max_position_embeddings ${this.config.max_position_embeddings}`,
      );
    this.stepSession ??= this.inferenceSession({ batch: 1, kvCache: true, logits: 'last', causalMoe: this.causalMoe });
    const { session, fwd, feeds: params } = await this.stepSession;
    const feeds: Record<string, Tensor> = { ...params, input_ids: tensor(input, [1, ids.length]) };
    for (const [n, t] of cache.tensors) feeds[n] = t;
    const { outputs } = await session.run(feeds);
    fwd.cacheOutputs.forEach((out, i) => {
      cache.tensors.set(fwd.cacheInputs[i]!, outputs[out]!);
    });
    cache.length += ids.length;
    return outputs.logits!.data as Float32Array;
  }

  /** A LogitsStep with its own cache (for generateTokens). */
  stepper(): LogitsStep {
    const cache = this.newCache();
    return (ids) => this.step(ids, cache);
  }

  /**
   * Streams generated token ids with the KV cache. Options default to generation_config.json (HF's defaults where
   * it is silent); stop tokens default to its eos_token_id.
   */
  generate(prompt: readonly number[], options: GenerateOptions = {}): AsyncGenerator<number> {
    return generateTokens(this.stepper(), prompt, { ...this.defaults(), ...options });
  }

  /** Default generation options from generation_config.json. */
  defaults(): GenerateOptions {
    const gen = this.generationConfig ?? {};
    const eos = gen.eos_token_id ?? this.config.eos_token_id;
    const stopTokens = (Array.isArray(eos) ? eos : eos === null || eos === undefined ? [] : [eos]).filter(
      (x): x is number => typeof x === 'number',
    );
    return { ...samplingFromGenerationConfig(gen), stopTokens };
  }

  /**
   * Chat through the tokenizer's template: renders the messages with the generation prompt and streams the reply
   * as text (characters split across tokens come out whole). The stop token (<|im_end|>) is not printed.
   */
  async *chat(
    tokenizer: ChatTokenizer,
    messages: ChatMessage[],
    options: GenerateOptions = {},
  ): AsyncGenerator<string> {
    const prompt = await tokenizer.encodeChat(messages, { addGenerationPrompt: true });
    const opts = { ...this.defaults(), ...options };
    const stop = new Set(opts.stopTokens ?? []);
    const dec = tokenizer.createStreamDecoder();
    for await (const id of generateTokens(this.stepper(), prompt, opts)) {
      if (stop.has(id)) break;
      const text = dec.push(id);
      if (text) yield text;
    }
    const rest = dec.end();
    if (rest) yield rest;
  }

  /** Releases the ORT sessions. */
  async release(): Promise<void> {
    const all: Promise<{ session: Session }>[] = [...this.gradSessions.values()];
    if (this.logitsSession) all.push(this.logitsSession);
    if (this.stepSession) all.push(this.stepSession);
    this.logitsSession = undefined;
    this.stepSession = undefined;
    this.gradSessions.clear();
    for (const p of all) await (await p).session.release();
  }

  /** Head dimension etc. of this model (convenience). */
  get dims() {
    return dims(this.config);
  }
}
