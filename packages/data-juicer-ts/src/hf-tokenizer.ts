// Token counts from a Hugging Face `tokenizer.json` the user passes (alphanumeric_filter's tokenization: true, where
// Data-Juicer loads EleutherAI/pythia-6.9b-deduped). Tokenized by @xenova/transformers' pure-JS tokenizer, whose
// encode is synchronous (the ops are); loaded on first use only, since the package pulls in ONNX Runtime.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ParamError } from './params.js';

interface XenovaTokenizer {
  encode(text: string, pair: null, opts: { add_special_tokens: boolean }): number[];
  model: { cache?: Map<string, unknown> };
}
type XenovaCtor = new (json: unknown, config: unknown) => XenovaTokenizer;

/** xenova's BPE caches every pre-token forever; a corpus-sized run must not grow it without bound. */
const BPE_CACHE_LIMIT = 200_000;

const cache = new Map<string, Promise<HfTokenizer>>();

export class HfTokenizer {
  private constructor(
    readonly path: string,
    private readonly tok: XenovaTokenizer,
  ) {}

  /**
   * Load (once per path) a `tokenizer.json`, or a folder holding one (and optionally `tokenizer_config.json`).
   * `param` names the op parameter for error messages.
   */
  static load(path: string, param = 'tokenizer_path'): Promise<HfTokenizer> {
    let p = cache.get(path);
    if (!p) {
      if (!existsSync(path)) throw new ParamError(`${param}: no such file or folder: ${path}`);
      const file = statSync(path).isDirectory() ? join(path, 'tokenizer.json') : path;
      if (!existsSync(file)) throw new ParamError(`${param}: the folder ${path} has no tokenizer.json`);
      p = (async () => {
        let json: { model?: { merges?: unknown[] } };
        try {
          json = JSON.parse(readFileSync(file, 'utf8'));
        } catch (e) {
          throw new ParamError(`${param}: ${file} is not a tokenizer.json: ${(e as Error).message}`);
        }
        const cfgFile = join(file, '..', 'tokenizer_config.json');
        const config = existsSync(cfgFile) ? JSON.parse(readFileSync(cfgFile, 'utf8')) : {};
        // xenova 2.x reads merges as "a b" strings; newer tokenizer.json files store [a, b] pairs.
        if (Array.isArray(json.model?.merges))
          json.model.merges = json.model.merges.map((m) => (Array.isArray(m) ? `${m[0]} ${m[1]}` : m));
        let mod: { PreTrainedTokenizer: XenovaCtor };
        try {
          mod = (await import('@xenova/transformers')) as unknown as { PreTrainedTokenizer: XenovaCtor };
        } catch (e) {
          throw new ParamError(`${param}: cannot load @xenova/transformers: ${(e as Error).message}`);
        }
        try {
          return new HfTokenizer(file, new mod.PreTrainedTokenizer(json, config));
        } catch (e) {
          throw new ParamError(`${param}: cannot build a tokenizer from ${file}: ${(e as Error).message}`);
        }
      })();
      cache.set(path, p);
      p.catch(() => cache.delete(path));
    }
    return p;
  }

  /** len(tokenizer.tokenize(text)): the tokens of the text alone, no special tokens added. */
  countTokens(text: string): number {
    const c = this.tok.model.cache;
    if (c && c.size > BPE_CACHE_LIMIT) c.clear();
    return this.tok.encode(text, null, { add_special_tokens: false }).length;
  }
}
