// The portable engine: @xenova/transformers' pure-JS tokenizer (runs in browsers and edge runtimes too).
import { TokenizerError } from '../errors.js';
import type { TokenizerJson } from '../tokenizer-json.js';
import type { EncodeEngine } from './engine.js';
import { withoutSpecialTokens } from './native.js';

interface XenovaTokenizer {
  encode(text: string, pair: null, opts: { add_special_tokens: boolean }): number[];
  model: { cache?: Map<string, unknown> };
}
type XenovaCtor = new (json: unknown, config: unknown) => XenovaTokenizer;

/** xenova's BPE caches every pre-token forever; cap it so a corpus-sized run does not grow without bound. */
const BPE_CACHE_LIMIT = 200_000;

/** xenova 2.x reads merges as "a b" strings; newer tokenizer.json files store [a, b] pairs. */
function withStringMerges(json: TokenizerJson): TokenizerJson {
  const merges = json.model.merges.map((m) => (Array.isArray(m) ? `${m[0]} ${m[1]}` : m));
  return { ...json, model: { ...json.model, merges } };
}

export class JsEngine implements EncodeEngine {
  readonly name = 'js' as const;
  private special?: XenovaTokenizer;
  private plain?: XenovaTokenizer;

  private constructor(
    private readonly ctor: XenovaCtor,
    private readonly json: TokenizerJson,
  ) {}

  static async create(json: TokenizerJson): Promise<JsEngine> {
    let mod: { PreTrainedTokenizer: XenovaCtor };
    try {
      mod = (await import('@xenova/transformers')) as unknown as { PreTrainedTokenizer: XenovaCtor };
    } catch (err) {
      throw new TokenizerError(
        `the js engine needs '@xenova/transformers', which failed to load: ${(err as Error).message}`,
      );
    }
    return new JsEngine(mod.PreTrainedTokenizer, withStringMerges(json));
  }

  private instance(allowSpecial: boolean): XenovaTokenizer {
    // An empty config: eos/pad/templates are handled by this package, not by xenova.
    if (allowSpecial) {
      this.special ??= new this.ctor(this.json, {});
      return this.special;
    }
    this.plain ??= new this.ctor(withoutSpecialTokens(this.json), {});
    return this.plain;
  }

  private encodeSync(text: string, allowSpecial: boolean): number[] {
    const tok = this.instance(allowSpecial);
    const ids = tok.encode(text, null, { add_special_tokens: false });
    if (tok.model.cache && tok.model.cache.size > BPE_CACHE_LIMIT) tok.model.cache.clear();
    return ids;
  }

  async encode(text: string, allowSpecial: boolean): Promise<number[]> {
    return this.encodeSync(text, allowSpecial);
  }

  async encodeBatch(texts: string[], allowSpecial: boolean): Promise<number[][]> {
    return texts.map((t) => this.encodeSync(t, allowSpecial));
  }
}
