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

/**
 * Unicode White_Space, which is what Rust's `\s` means. JavaScript's `\s` differs: it includes U+FEFF and lacks
 * U+0085, so `"\n\uFEFF//"` (common at the top of C++ files) pre-tokenizes differently unless we spell it out.
 */
const WHITE_SPACE = '\\t\\n\\v\\f\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';

/** Rust's `(?i:...)` folds s with ſ (U+017F); xenova's own rewrite of Qwen's contraction group drops that. */
const CONTRACTIONS_RUST = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
const CONTRACTIONS_JS = "(?:'(?:[sS\\u017F]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD]))";

/** Rewrites a Rust-syntax pre-tokenizer regex so that JavaScript's RegExp (u flag) matches exactly the same. */
export function rustRegexForJs(pattern: string): string {
  let out = '';
  let inClass = false;
  const src = pattern.split(CONTRACTIONS_RUST).join(CONTRACTIONS_JS);
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\' && i + 1 < src.length) {
      const n = src[i + 1]!;
      i++;
      if (n === 's') out += inClass ? WHITE_SPACE : `[${WHITE_SPACE}]`;
      else if (n === 'S' && !inClass) out += `[^${WHITE_SPACE}]`;
      else if (n === 'S') throw new TokenizerError(`cannot translate \\S inside a character class: ${pattern}`);
      else out += c + n;
      continue;
    }
    if (c === '[' && !inClass) inClass = true;
    else if (c === ']' && inClass) inClass = false;
    out += c;
  }
  return out;
}

function rewritePatterns(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewritePatterns);
  if (!node || typeof node !== 'object') return node;
  const obj = node as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) copy[k] = rewritePatterns(v);
  const pattern = obj.pattern as { Regex?: unknown } | undefined;
  if (obj.type === 'Split' && pattern && typeof pattern.Regex === 'string') {
    copy.pattern = { Regex: rustRegexForJs(pattern.Regex) };
  }
  return copy;
}

function forXenova(json: TokenizerJson): TokenizerJson {
  const j = withStringMerges(json);
  return { ...j, pre_tokenizer: rewritePatterns(j.pre_tokenizer) };
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
    return new JsEngine(mod.PreTrainedTokenizer, forXenova(json));
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
