// A user's HF `tokenizer.json` through the `tokenizers` package (the HF Rust implementation, exact ids).
import fs from 'node:fs';
import { Tokenizer } from 'tokenizers';
import { EvalModelError } from './errors.js';
import type { TextTokenizer } from './scorer.js';

export interface HfTokenizerOptions {
  /** Apply the post-processor (BOS for Llama-style tokenizers; nothing for Qwen). Default true, as HF does. */
  addSpecialTokens?: boolean;
}

export function hfTokenizerFromFile(file: string, opts: HfTokenizerOptions = {}): TextTokenizer {
  if (!fs.existsSync(file)) throw new EvalModelError(`${file}: no such file (a HF tokenizer.json is needed)`);
  let tok: Tokenizer;
  try {
    tok = Tokenizer.fromFile(file);
  } catch (err) {
    throw new EvalModelError(`${file}: not a loadable tokenizer.json (${(err as Error).message})`);
  }
  const addSpecialTokens = opts.addSpecialTokens ?? true;
  return {
    async encode(text) {
      return (await tok.encode(text, null, { addSpecialTokens })).getIds();
    },
    decode(ids) {
      return tok.decode([...ids], false);
    },
    tokenId(token) {
      return tok.tokenToId(token) ?? undefined;
    },
  };
}
