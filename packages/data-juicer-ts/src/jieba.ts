// Chinese word segmentation with jieba (@node-rs/jieba, its bundled dictionary), an opt-in improvement over
// Data-Juicer, which splits words on whitespace only. Loaded on first use.

import { createRequire } from 'node:module';

interface JiebaInstance {
  cut(sentence: string, hmm?: boolean): string[];
}

const require = createRequire(import.meta.url);
let instance: JiebaInstance | null = null;

/** jieba.cut(text, HMM=True) like Python jieba's default; throws a clear error if the native module is missing. */
export function jiebaCut(text: string): string[] {
  if (!instance) {
    try {
      const { Jieba } = require('@node-rs/jieba') as { Jieba: { withDict(d: Uint8Array): JiebaInstance } };
      const { dict } = require('@node-rs/jieba/dict') as { dict: Uint8Array };
      instance = Jieba.withDict(dict);
    } catch (e) {
      throw new Error(
        `word_segmenter "jieba" needs @node-rs/jieba with a prebuilt binary for this platform: ${(e as Error).message}`,
      );
    }
  }
  return instance.cut(text, true);
}
