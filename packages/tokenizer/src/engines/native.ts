// The HF Rust `tokenizers` binding: the reference implementation, and the fast one (encodeBatch runs on rayon
// threads; RAYON_NUM_THREADS caps them).
import { createRequire } from 'node:module';
import { TokenizerError } from '../errors.js';
import type { TokenizerJson } from '../tokenizer-json.js';
import type { EncodeEngine } from './engine.js';

interface NativeEncoding {
  getIds(): number[];
  getOffsets(): number[][];
}
interface NativeTokenizer {
  tokenToId(token: string): number | null;
  encode(text: string, pair?: null, opts?: { addSpecialTokens?: boolean }): Promise<NativeEncoding>;
  encodeBatch(texts: string[], opts?: { addSpecialTokens?: boolean }): Promise<NativeEncoding[]>;
}
interface NativeModule {
  Tokenizer: { fromString(json: string): NativeTokenizer };
}

function loadBinding(): NativeModule {
  try {
    // A CommonJS napi module; require keeps it out of the bundle and works from ESM.
    return createRequire(import.meta.url)('tokenizers') as NativeModule;
  } catch (err) {
    throw new TokenizerError(
      `the native engine needs the 'tokenizers' package (HF Rust binding), which failed to load: ${(err as Error).message}; ` +
        "use engine: 'js' instead",
    );
  }
}

/**
 * A copy of the JSON in which special added tokens are no longer matched in text (what HF does with
 * split_special_tokens); non-special added tokens (Qwen3's <think>) still are. The specials move into the model
 * vocab rather than disappearing: the Rust loader ignores the ids written in added_tokens and numbers new added
 * tokens from the vocab size up, so dropping them would shift every later added token's id. No merge produces
 * those strings, so BPE never emits them.
 */
export function withoutSpecialTokens(json: TokenizerJson): TokenizerJson {
  const vocab = { ...json.model.vocab };
  for (const t of json.added_tokens) if (t.special) vocab[t.content] = t.id;
  return { ...json, model: { ...json.model, vocab }, added_tokens: json.added_tokens.filter((t) => !t.special) };
}

export class NativeEngine implements EncodeEngine {
  readonly name = 'native' as const;
  private readonly binding = loadBinding();
  private special?: NativeTokenizer;
  private plain?: NativeTokenizer;

  constructor(private readonly json: TokenizerJson) {}

  private build(json: TokenizerJson): NativeTokenizer {
    const tok = this.binding.Tokenizer.fromString(JSON.stringify(json));
    // The binding renumbers added tokens that do not follow the vocab contiguously; refuse rather than mis-encode.
    for (const t of this.json.added_tokens) {
      const got = tok.tokenToId(t.content);
      if (got !== t.id) {
        throw new TokenizerError(
          `added token ${JSON.stringify(t.content)} should have id ${t.id} but the native tokenizer gives ${got}; ` +
            "added tokens must follow the vocabulary without gaps (use engine: 'js' for this file)",
        );
      }
    }
    return tok;
  }

  private instance(allowSpecial: boolean): NativeTokenizer {
    if (allowSpecial) {
      this.special ??= this.build(this.json);
      return this.special;
    }
    this.plain ??= this.build(withoutSpecialTokens(this.json));
    return this.plain;
  }

  async encode(text: string, allowSpecial: boolean): Promise<number[]> {
    const enc = await this.instance(allowSpecial).encode(text, null, { addSpecialTokens: false });
    return enc.getIds();
  }

  async encodeBatch(texts: string[], allowSpecial: boolean): Promise<number[][]> {
    if (texts.length === 0) return [];
    const encs = await this.instance(allowSpecial).encodeBatch(texts, { addSpecialTokens: false });
    return encs.map((e) => e.getIds());
  }

  async encodeWithOffsets(text: string, allowSpecial: boolean) {
    const enc = await this.instance(allowSpecial).encode(text, null, { addSpecialTokens: false });
    return { ids: enc.getIds(), offsets: enc.getOffsets().map((o) => [o[0]!, o[1]!] as [number, number]) };
  }
}
