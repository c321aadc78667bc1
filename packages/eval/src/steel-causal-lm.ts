// A Steel checkpoint folder (config.json + model.safetensors, @steel/steel-model) as a ChoiceScorer + Generator.
// Scoring recomputes every prompt from position 0 (`lastLogits`): Soft-MoE v3's dispatch softmax runs over the
// tokens of one call, so reusing a few-shot prefix's KV cache would change the numbers (steel-model README, "v3 and
// the cache"); the sharedPrefix hint is therefore ignored. The model runs batch 1 (padding would enter the same
// softmax), so "batched" means one forward per question. Generation is HF's cached path (`model.generate`), greedy.
import fs from 'node:fs';
import path from 'node:path';
import { SteelModel, type SteelModelOptions } from '@steel/steel-model';
import { loadTokenizer, type QwenTokenizer } from '@steel/tokenizer';
import { continuationTokenIdsBatch, gatherLogProbs } from './continuation-tokens.js';
import { EvalModelError } from './errors.js';
import { type ChatFormatter, chatMlFormatter } from './prompts.js';
import type {
  ChoiceScoreRequest,
  ChoiceScorer,
  ChoiceScores,
  GenerateOptions,
  Generation,
  Generator,
} from './scorer.js';

export interface SteelCausalLmOptions {
  /** Context in tokens; default and upper bound: config.json's max_position_embeddings. */
  maxContext?: number;
  /** ORT intra-op threads. */
  threads?: number;
  /** A tokenizer.json (or folder) to use instead of the model folder's own / the bundled Qwen1.5 one. */
  tokenizerPath?: string;
  /** Passed to SteelModel.load (e.g. `causalMoe`). */
  model?: SteelModelOptions;
}

/** Control tokens that end a generation when the vocabulary has them (besides the config's eos ids). */
const STOP_TOKENS = ['<|im_end|>', '<|endoftext|>'];

export class SteelCausalLm implements ChoiceScorer, Generator {
  readonly maxContext: number;
  /**
   * Model calls, the tokens they processed (prefixReuses stays 0: no KV reuse, see the file comment) and seconds
   * inside the model (the runner's "forward" time also holds the tokenization of the prompt + continuations).
   */
  readonly stats = { forwards: 0, tokens: 0, prefixReuses: 0, modelSeconds: 0 };
  /** The tokenizer's own chat template (Steel: Qwen1.5 ChatML), for runEvaluation's `chatFormatter`. */
  readonly chatFormatter: ChatFormatter;
  /** Where the tokenizer came from: the folder's tokenizer.json, a passed path, or `qwen1.5` (bundled). */
  readonly tokenizerOrigin: string;
  private readonly stopIds: number[];

  constructor(
    readonly model: SteelModel,
    readonly tokenizer: QwenTokenizer,
    opts: { maxContext?: number; tokenizerOrigin?: string } = {},
  ) {
    const cfg = model.config;
    if (tokenizer.vocabSize > cfg.vocab_size) {
      throw new EvalModelError(
        `the tokenizer has ${tokenizer.vocabSize} ids but the model's vocab_size is ${cfg.vocab_size}: ` +
          `ids ${cfg.vocab_size}..${tokenizer.vocabSize - 1} have no embedding row (use a model with the tokenizer's vocabulary, e.g. preset steel-tiny / steel-small for Qwen, or put the matching tokenizer.json in the folder)`,
      );
    }
    const limit = cfg.max_position_embeddings;
    if (opts.maxContext !== undefined && (!Number.isInteger(opts.maxContext) || opts.maxContext < 8)) {
      throw new EvalModelError(`maxContext = ${opts.maxContext}: expected an integer >= 8`);
    }
    this.maxContext = Math.min(opts.maxContext ?? limit, limit);
    this.tokenizerOrigin = opts.tokenizerOrigin ?? tokenizer.origin;
    const eos = cfg.eos_token_id;
    const ids = new Set<number>(Array.isArray(eos) ? eos : eos === null ? [] : [eos]);
    for (const t of STOP_TOKENS) {
      const id = tokenizer.tokenToId(t);
      if (id !== undefined) ids.add(id);
    }
    this.stopIds = [...ids];
    this.chatFormatter = templateFormatter(tokenizer);
  }

  /**
   * Loads `dir` (config.json + model.safetensors or a sharded index) and its tokenizer: `opts.tokenizerPath`, else
   * the folder's tokenizer.json, else the bundled Qwen1.5 tokenizer.
   */
  static async load(dir: string, opts: SteelCausalLmOptions = {}): Promise<SteelCausalLm> {
    let model: SteelModel;
    try {
      model = await SteelModel.load(dir, { ...(opts.threads ? { threads: opts.threads } : {}), ...opts.model });
    } catch (err) {
      throw new EvalModelError(`${dir}: cannot load the Steel checkpoint: ${(err as Error).message}`);
    }
    const own = path.join(dir, 'tokenizer.json');
    const tokPath = opts.tokenizerPath ?? (fs.existsSync(own) ? own : undefined);
    let tokenizer: QwenTokenizer;
    try {
      tokenizer = await loadTokenizer(tokPath ? { path: tokPath } : { variant: 'qwen1.5' });
    } catch (err) {
      await model.release();
      throw new EvalModelError(`${tokPath ?? 'bundled qwen1.5 tokenizer'}: ${(err as Error).message}`);
    }
    try {
      return new SteelCausalLm(model, tokenizer, {
        ...(opts.maxContext !== undefined ? { maxContext: opts.maxContext } : {}),
        tokenizerOrigin: tokPath ?? 'qwen1.5',
      });
    } catch (err) {
      await model.release();
      throw err;
    }
  }

  async countTokens(text: string): Promise<number> {
    return (await this.tokenizer.encode(text)).length;
  }

  async scoreChoices(
    requests: readonly ChoiceScoreRequest[],
    continuations: readonly string[],
  ): Promise<ChoiceScores[]> {
    const out: ChoiceScores[] = [];
    const encoded = await continuationTokenIdsBatch(
      (texts) => this.tokenizer.encodeBatch(texts),
      requests.map((r) => r.prompt),
      continuations,
    );
    for (const { ids, next } of encoded) {
      // The runner trims examples to fit; a zero-shot prompt that is still too long keeps its last tokens.
      const fed = ids.length > this.maxContext ? ids.slice(ids.length - this.maxContext) : ids;
      const t0 = performance.now();
      const logits = await this.model.lastLogits(fed);
      this.stats.modelSeconds += (performance.now() - t0) / 1000;
      this.stats.forwards++;
      this.stats.tokens += fed.length;
      out.push({ logProbs: gatherLogProbs(logits, next), promptTokens: ids.length });
    }
    return out;
  }

  /**
   * Greedy generation with the KV cache (HF's cached path). The prompt may contain the chat template's control
   * tokens (`<|im_start|>` …): they are encoded as control ids.
   */
  async generate(prompt: string, g: GenerateOptions = {}): Promise<Generation> {
    const ids = await this.tokenizer.encode(prompt, { allowSpecial: true });
    if (ids.length === 0) throw new EvalModelError('cannot generate from an empty prompt');
    const room = this.maxContext - ids.length;
    if (room < 1) throw new EvalModelError(`prompt of ${ids.length} tokens leaves no room in ${this.maxContext}`);
    const maxNew = Math.min(g.maxNewTokens ?? 64, room);
    const stop = new Set(this.stopIds);
    const outIds: number[] = [];
    const dec = this.tokenizer.createStreamDecoder();
    let text = '';
    this.stats.forwards++;
    this.stats.tokens += ids.length;
    for await (const id of this.model.generate(ids, {
      doSample: false,
      repetitionPenalty: 1,
      maxNewTokens: maxNew,
      stopTokens: this.stopIds,
    })) {
      if (stop.has(id)) break;
      outIds.push(id);
      this.stats.forwards++;
      this.stats.tokens++;
      text += dec.push(id);
      if (g.stop?.length) {
        const hits = g.stop.map((s) => text.indexOf(s)).filter((k) => k >= 0);
        if (hits.length)
          return { text: text.slice(0, Math.min(...hits)), promptTokens: ids.length, newTokens: outIds.length };
      }
    }
    text += dec.end();
    return { text, promptTokens: ids.length, newTokens: outIds.length };
  }

  async release(): Promise<void> {
    await this.model.release();
  }
}

/** The tokenizer's Jinja chat template as a ChatFormatter; plain ChatML when the tokenizer has no usable template. */
function templateFormatter(tokenizer: QwenTokenizer): ChatFormatter {
  try {
    tokenizer.applyChatTemplate([{ role: 'user', content: 'x' }], { addGenerationPrompt: true });
  } catch {
    return chatMlFormatter(); // a bare tokenizer.json (no chat_template): Qwen's ChatML
  }
  return {
    format: (messages, opts = {}) =>
      tokenizer.applyChatTemplate(
        messages.map((m) => ({ role: m.role, content: m.content })),
        { addGenerationPrompt: opts.addGenerationPrompt ?? true },
      ),
  };
}
