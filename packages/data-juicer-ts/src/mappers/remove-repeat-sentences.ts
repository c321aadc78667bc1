import { Mapper } from '../op.js';
import type { ParamValues } from '../params.js';
import { pyLen, pyStrip } from '../pystr.js';
import type { OpDefinition } from '../registry.js';

/** Data-Juicer's sentence splitter, four substitutions in order, including the quirky last character class. */
export function splitSentences(text: string): string[] {
  text = text.replace(/([.。！!？?])([^’”])/gu, '$1\n$2');
  text = text.replace(/(\.{6})([^’”])/gu, '$1\n$2');
  text = text.replace(/(…{2})([^’”])/gu, '$1\n$2');
  // Python's class [.。!！？\?\.{6}\…{2}] is a set of characters: . 。 ! ！ ？ ? { } 6 2 …
  text = text.replace(/([.。!！？?{}62…][’”])([^’”])/gu, '$1\n$2');
  return text.split('\n');
}

const NON_KEY_CHARS = /[^a-zA-Z0-9\u4e00-\u9fa5\n\t ]/gu;

export class RemoveRepeatSentencesMapper extends Mapper {
  constructor(params: ParamValues) {
    super('remove_repeat_sentences_mapper', params);
  }
  processText(text: string): string {
    const lowercase = this.params.lowercase as boolean;
    const ignoreSpecial = this.params.ignore_special_character as boolean;
    const minLen = this.params.min_repeat_sentence_length as number;
    const seen = new Set<string>();
    const out: string[] = [];
    for (const line of text.split('\n')) {
      let kept = '';
      if (line) {
        for (const sentence of splitSentences(line)) {
          let key = pyStrip(sentence);
          if (lowercase) key = key.toLowerCase();
          if (ignoreSpecial) key = key.replace(NON_KEY_CHARS, '');
          if (pyLen(key) < minLen) {
            kept += sentence;
            continue;
          }
          if (!seen.has(key)) {
            kept += sentence;
            seen.add(key);
          }
        }
      }
      out.push(kept);
    }
    return out.join('\n');
  }
}

export const removeRepeatSentencesMapper: OpDefinition = {
  name: 'remove_repeat_sentences_mapper',
  kind: 'mapper',
  description: 'Drop sentences whose normalised form already appeared in the document.',
  params: {
    lowercase: { type: 'boolean', default: false, description: 'compare sentences lower-cased' },
    ignore_special_character: {
      type: 'boolean',
      default: true,
      description: 'compare only [a-zA-Z0-9], CJK U+4E00-U+9FA5, newline, tab and space',
    },
    min_repeat_sentence_length: {
      type: 'integer',
      default: 2,
      description: 'sentences whose key is shorter are always kept',
    },
  },
  create: (p) => new RemoveRepeatSentencesMapper(p),
};
