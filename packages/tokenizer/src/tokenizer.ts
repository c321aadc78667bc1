// QwenTokenizer: one API over three engines (Steel's C++ BPE, HF Rust, pure-JS xenova) with identical ids.
import { availableParallelism } from 'node:os';
import { nativeKernelsStatus } from '@steel/kernels-native';
import { TokenBytes } from './byte-level.js';
import { ChatTemplate, type ChatTemplateOptions } from './chat-template.js';
import { checkIds, type DecodeOptions, describe, idsToBytes, StreamDecoder } from './decode.js';
import type { EncodeEngine, EngineName, FlatEncoding } from './engines/engine.js';
import { FastEngine, fastEngineUnsupportedReason } from './engines/fast.js';
import { JsEngine } from './engines/js.js';
import { NativeEngine } from './engines/native.js';
import { TokenizerError } from './errors.js';
import { loadPathSource, loadVariantSource, type TokenizerSource } from './tokenizer-json.js';
import { isVariantName, VARIANT_NAMES, type VariantName } from './variants.js';

export interface LoadTokenizerOptions {
  /** Built-in vocabulary variant. Default 'qwen1.5' (Steel). Ignored when `path` is given. */
  variant?: VariantName;
  /**
   * 'fast' (@steel/kernels-native's C++ BPE), 'native' (HF Rust binding) or 'js' (@xenova/transformers, portable).
   * Default: 'fast' when its C++ addon is built and the tokenizer is a Qwen2-style one it reproduces exactly, else
   * 'native'. An explicit 'fast' without the addon runs the kernel's JavaScript fallback.
   */
  engine?: EngineName;
  /**
   * Threads of the fast engine's encodeBatch. Default: RAYON_NUM_THREADS when set (the variable that caps the native
   * engine's threads, so one setting governs both), else the number of CPUs.
   */
  threads?: number;
  /**
   * The fast engine's kernel: 'auto' (default: C++ when built, else its JavaScript fallback), 'cpp' (error if the
   * addon is not built) or 'js'. Only with engine 'fast'; for checking the two against each other.
   */
  kernel?: 'auto' | 'cpp' | 'js';
  /** A tokenizer.json file, or a folder with tokenizer.json or vocab.json + merges.txt + tokenizer_config.json. */
  path?: string;
}

export interface EncodeOptions {
  /**
   * false (default): special-token strings such as `<|im_end|>` inside the text are plain text.
   * true: they become their control ids, as HF `encode` does.
   */
  allowSpecial?: boolean;
}

export interface EncodingWithOffsets {
  ids: number[];
  /** Per token, [start, end) in UTF-16 code units of the input string (HF's alignment, as JS string indices). */
  offsets: Array<[number, number]>;
}

const ENGINE_NAMES: readonly EngineName[] = ['fast', 'native', 'js'];

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
type WellFormedString = string & { isWellFormed?(): boolean };

/** Replaces lone surrogates by U+FFFD, as the UTF-8 conversion into any engine would. */
export function toWellFormed(text: string): string {
  // String.prototype.isWellFormed (Node 20) answers without the regex scan for the usual, well-formed text.
  if ((text as WellFormedString).isWellFormed?.() === true) return text;
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

function defaultThreads(): number {
  const env = process.env.RAYON_NUM_THREADS;
  const n = env === undefined ? Number.NaN : Number(env);
  return Number.isInteger(n) && n >= 1 ? n : availableParallelism();
}

function checkText(text: unknown, where: string): asserts text is string {
  if (typeof text !== 'string') throw new TokenizerError(`${where}: text must be a string, got ${describe(text)}`);
}

function checkEncodeOptions(opts: unknown, where: string): boolean {
  if (opts === undefined) return false;
  if (typeof opts !== 'object' || opts === null) {
    throw new TokenizerError(`${where}: options must be an object like {allowSpecial: true}, got ${describe(opts)}`);
  }
  const allow = (opts as EncodeOptions).allowSpecial;
  if (allow !== undefined && typeof allow !== 'boolean') {
    throw new TokenizerError(`${where}: allowSpecial must be a boolean, got ${describe(allow)}`);
  }
  return allow ?? false;
}

/** code-point index -> UTF-16 index, for the [0, cpCount] boundaries of `text`. */
function codePointToUtf16(text: string): Int32Array {
  const map = new Int32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    map[cp++] = i;
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) i++;
  }
  map[cp] = text.length;
  return map.subarray(0, cp + 1);
}

export class QwenTokenizer {
  readonly variant: VariantName | 'custom';
  /** Where the vocabulary came from (file path). */
  readonly origin: string;
  /** Number of token ids (vocabulary + added tokens), e.g. 151,646 for qwen1.5. */
  readonly vocabSize: number;
  /** Added tokens by content, e.g. {'<|im_end|>': 151645}. */
  readonly addedTokens: Readonly<Record<string, number>>;
  readonly eosToken: string | null;
  readonly padToken: string | null;
  private readonly bytes: TokenBytes;
  private readonly chat: ChatTemplate;
  /** Built on the first tokenToId call: a 151k-entry Map costs load time most users never need. */
  private tokenIds: Map<string, number> | undefined;
  private readonly vocabulary: { vocab: Readonly<Record<string, number>>; added: ReadonlyArray<[string, number]> };

  private constructor(
    private readonly engineImpl: EncodeEngine,
    source: TokenizerSource,
  ) {
    this.variant = source.variant;
    this.origin = source.origin;
    this.bytes = new TokenBytes(source.json);
    this.vocabSize = this.bytes.size;
    this.addedTokens = Object.fromEntries(source.json.added_tokens.map((t) => [t.content, t.id]));
    const tokenName = (v: unknown) =>
      typeof v === 'string' ? v : typeof v === 'object' && v && 'content' in v ? String(v.content) : null;
    this.eosToken = tokenName(source.config.eos_token);
    this.padToken = tokenName(source.config.pad_token);
    this.chat = new ChatTemplate(source.chatTemplate, {
      bos_token: tokenName(source.config.bos_token),
      eos_token: this.eosToken,
      pad_token: this.padToken,
    });
    this.vocabulary = {
      vocab: source.json.model.vocab,
      added: source.json.added_tokens.map((t) => [t.content, t.id] as [string, number]),
    };
  }

  /** @internal use loadTokenizer */
  static async create(options: LoadTokenizerOptions = {}): Promise<QwenTokenizer> {
    if (typeof options !== 'object' || options === null) {
      throw new TokenizerError(`loadTokenizer: options must be an object, got ${describe(options)}`);
    }
    const { variant = 'qwen1.5', engine, path } = options;
    if (!isVariantName(variant)) {
      throw new TokenizerError(
        `unknown tokenizer variant ${describe(variant)}; use one of ${VARIANT_NAMES.join(', ')}`,
      );
    }
    if (engine !== undefined && !ENGINE_NAMES.includes(engine)) {
      throw new TokenizerError(`unknown tokenizer engine ${describe(engine)}; use one of ${ENGINE_NAMES.join(', ')}`);
    }
    const threads = options.threads ?? defaultThreads();
    const kernel = options.kernel ?? 'auto';
    if (!['auto', 'cpp', 'js'].includes(kernel)) {
      throw new TokenizerError(`kernel must be one of auto, cpp, js, got ${describe(kernel)}`);
    }
    if (kernel !== 'auto' && engine !== 'fast') {
      throw new TokenizerError(`kernel: ${JSON.stringify(kernel)} needs engine: 'fast'`);
    }
    if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
      throw new TokenizerError(`threads must be an integer from 1 to 1024, got ${describe(threads)}`);
    }
    if (path !== undefined && (typeof path !== 'string' || path === '')) {
      throw new TokenizerError(`tokenizer path must be a non-empty string, got ${describe(path)}`);
    }
    const source = path !== undefined ? loadPathSource(path) : loadVariantSource(variant);
    return new QwenTokenizer(await createEngine(engine, source.json, threads, kernel), source);
  }

  get engine(): EngineName {
    return this.engineImpl.name;
  }

  /** The fast engine's kernel: 'cpp' (the addon) or 'js' (its fallback); null for the other engines. */
  get kernel(): 'cpp' | 'js' | null {
    return this.engineImpl instanceof FastEngine ? this.engineImpl.kernel.implementation : null;
  }

  /** Threads the fast engine's encodeBatch uses; null for the other engines (native: RAYON_NUM_THREADS). */
  get threads(): number | null {
    return this.engineImpl instanceof FastEngine ? this.engineImpl.threads : null;
  }

  /** Token ids of one text. No BOS/EOS is added (Qwen has none). */
  async encode(text: string, options?: EncodeOptions): Promise<number[]> {
    checkText(text, 'encode');
    const allow = checkEncodeOptions(options, 'encode');
    return this.engineImpl.encode(toWellFormed(text), allow);
  }

  /** Token ids of many texts, encoded in parallel (fast: `threads`; native: RAYON_NUM_THREADS threads). */
  async encodeBatch(texts: string[], options?: EncodeOptions): Promise<number[][]> {
    if (!Array.isArray(texts)) {
      throw new TokenizerError(`encodeBatch: texts must be an array of strings, got ${describe(texts)}`);
    }
    texts.forEach((t, i) => {
      checkText(t, `encodeBatch: texts[${i}]`);
    });
    const allow = checkEncodeOptions(options, 'encodeBatch');
    return this.engineImpl.encodeBatch(texts.map(toWellFormed), allow);
  }

  /**
   * Like encodeBatch, but all ids in one Int32Array: document i is ids[offsets[i] .. offsets[i + 1]). The fast
   * engine produces this directly (no JS array per document), which is what packing and Arrow columns want.
   */
  async encodeBatchFlat(texts: string[], options?: EncodeOptions): Promise<FlatEncoding> {
    if (!Array.isArray(texts)) {
      throw new TokenizerError(`encodeBatchFlat: texts must be an array of strings, got ${describe(texts)}`);
    }
    texts.forEach((t, i) => {
      checkText(t, `encodeBatchFlat: texts[${i}]`);
    });
    const allow = checkEncodeOptions(options, 'encodeBatchFlat');
    const clean = texts.map(toWellFormed);
    if (this.engineImpl.encodeBatchFlat) return this.engineImpl.encodeBatchFlat(clean, allow);
    const docs = await this.engineImpl.encodeBatch(clean, allow);
    const offsets = new Int32Array(docs.length + 1);
    docs.forEach((d, i) => {
      offsets[i + 1] = offsets[i]! + d.length;
    });
    const ids = new Int32Array(offsets[docs.length]!);
    docs.forEach((d, i) => {
      ids.set(d, offsets[i]!);
    });
    return { ids, offsets };
  }

  /**
   * Ids with offsets into `text` (UTF-16 indices). Native: HF's offsets. JS engine: computed from the token bytes
   * over NFC(text) — equal to HF's whenever the text is already NFC; otherwise they index NFC(text).
   */
  async encodeWithOffsets(text: string, options?: EncodeOptions): Promise<EncodingWithOffsets> {
    checkText(text, 'encodeWithOffsets');
    const allow = checkEncodeOptions(options, 'encodeWithOffsets');
    const clean = toWellFormed(text);
    const hf = await this.engineImpl.encodeWithOffsets?.(clean, allow);
    if (hf) {
      const { ids, offsets } = hf;
      const map = codePointToUtf16(clean);
      const last = map.length - 1;
      return {
        ids,
        offsets: offsets.map(([s, e]) => [map[Math.min(s, last)]!, map[Math.min(e, last)]!] as [number, number]),
      };
    }
    const ids = await this.engineImpl.encode(clean, allow);
    const nfc = clean.normalize('NFC');
    // byte index -> code-point index over NFC(text)
    const byteToCp: number[] = [];
    let cp = 0;
    for (const ch of nfc) {
      const c = ch.codePointAt(0)!;
      const len = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      for (let k = 0; k < len; k++) byteToCp.push(cp);
      cp++;
    }
    const map = codePointToUtf16(nfc);
    let b = 0;
    const offsets = ids.map((id) => {
      const n = this.bytes.get(id)!.length;
      const s = byteToCp[b] ?? cp;
      const e = n > 0 ? (byteToCp[b + n - 1] ?? cp - 1) + 1 : s;
      b += n;
      return [map[s]!, map[e]!] as [number, number];
    });
    return { ids, offsets };
  }

  /** Text of ids. Bytes that are not valid UTF-8 (a cut multi-byte character) become U+FFFD. */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    checkIds(ids, this.bytes, 'decode');
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(
      idsToBytes(ids, this.bytes, options.skipSpecialTokens ?? false),
    );
  }

  /** Raw bytes of ids (what decode turns into text). */
  decodeBytes(ids: ArrayLike<number>, options: DecodeOptions = {}): Uint8Array {
    checkIds(ids, this.bytes, 'decodeBytes');
    return idsToBytes(ids, this.bytes, options.skipSpecialTokens ?? false);
  }

  /** A decoder for generation that only ever emits complete characters. */
  createStreamDecoder(options: DecodeOptions = {}): StreamDecoder {
    return new StreamDecoder(this.bytes, options);
  }

  /** The chat string the tokenizer's Jinja template renders (Steel: ChatML with the default system prompt). */
  applyChatTemplate(messages: Array<{ role: string; content: string }>, options: ChatTemplateOptions = {}): string {
    return this.chat.render(messages, options);
  }

  /**
   * Ids of a rendered chat: the template's control tokens become control ids. A special-token string inside a
   * message's content would become a control id too (that is what HF's apply_chat_template(tokenize=True) does), so
   * by default it is refused with an error naming the message; pass `allowSpecialInContent: true` to accept it.
   */
  async encodeChat(
    messages: Array<{ role: string; content: string }>,
    options: ChatTemplateOptions & { allowSpecialInContent?: boolean } = {},
  ): Promise<number[]> {
    const text = this.applyChatTemplate(messages, options);
    if (!options.allowSpecialInContent) {
      const specials = Object.keys(this.addedTokens);
      messages.forEach((m, i) => {
        let found: string | undefined;
        let at = Number.POSITIVE_INFINITY;
        for (const sp of specials) {
          const k = m.content.indexOf(sp);
          if (k >= 0 && k < at) [found, at] = [sp, k];
        }
        if (found) {
          throw new TokenizerError(
            `encodeChat: messages[${i}].content contains the control token ${found} at index ${at}; ` +
              'remove it, or pass allowSpecialInContent: true to let it act as a control token',
          );
        }
      });
    }
    return this.encode(text, { allowSpecial: true });
  }

  /** The chat template source (Jinja). */
  get chatTemplate(): string {
    return this.chat.source;
  }

  tokenToId(token: string): number | undefined {
    if (!this.tokenIds) {
      this.tokenIds = new Map(Object.entries(this.vocabulary.vocab));
      for (const [content, id] of this.vocabulary.added) this.tokenIds.set(content, id);
    }
    return this.tokenIds.get(token);
  }

  /** Id of an added token by content; throws if the tokenizer has no such token. */
  specialTokenId(content: string): number {
    const id = this.addedTokens[content];
    if (id === undefined) {
      throw new TokenizerError(
        `this tokenizer has no added token ${JSON.stringify(content)}; it has ${Object.keys(this.addedTokens).join(', ')}`,
      );
    }
    return id;
  }
}

async function createEngine(
  engine: EngineName | undefined,
  json: TokenizerSource['json'],
  threads: number,
  kernel: 'auto' | 'cpp' | 'js',
): Promise<EncodeEngine> {
  if (engine === 'fast') return new FastEngine(json, { threads, kernel });
  if (engine === 'native') return new NativeEngine(json);
  if (engine === 'js') return JsEngine.create(json);
  // Default: the C++ kernel when it is built and covers this file; else HF's binding; where even that does not load
  // (a platform without its prebuilt binary), the kernel's JavaScript fallback or, for other files, xenova's.
  const fastFits = fastEngineUnsupportedReason(json) === undefined;
  if (fastFits && nativeKernelsStatus().available) return new FastEngine(json, { threads });
  try {
    return new NativeEngine(json);
  } catch (err) {
    if (fastFits) return new FastEngine(json, { threads });
    try {
      return await JsEngine.create(json);
    } catch {
      throw err;
    }
  }
}

/** Loads a Qwen tokenizer without network: a built-in variant or a user's files. */
export function loadTokenizer(options: LoadTokenizerOptions = {}): Promise<QwenTokenizer> {
  return QwenTokenizer.create(options);
}
