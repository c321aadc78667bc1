// Character-level normalisation mappers: punctuation, whitespace, specific characters.

import { Mapper } from '../op.js';
import type { ParamValues } from '../params.js';
import { compilePyRegex } from '../pyregex.js';
import { pyStrip } from '../pystr.js';
import type { OpDefinition } from '../registry.js';
import { VARIOUS_WHITESPACES } from '../special-characters.js';

/** The BigScience punctuation table (one character in, a string out). Includes its quirks: １ -> ", — -> " - ". */
export const PUNCTUATION_UNICODE: Readonly<Record<string, string>> = {
  '，': ',',
  '。': '.',
  '、': ',',
  '„': '"',
  '”': '"',
  '“': '"',
  '«': '"',
  '»': '"',
  '１': '"',
  '」': '"',
  '「': '"',
  '《': '"',
  '》': '"',
  '´': "'",
  '∶': ':',
  '：': ':',
  '？': '?',
  '！': '!',
  '（': '(',
  '）': ')',
  '；': ';',
  '–': '-',
  '—': ' - ',
  '．': '. ',
  '～': '~',
  '’': "'",
  '…': '...',
  '━': '-',
  '〈': '<',
  '〉': '>',
  '【': '[',
  '】': ']',
  '％': '%',
  '►': '-',
};

const PUNCT_RE = new RegExp(`[${Object.keys(PUNCTUATION_UNICODE).join('')}]`, 'gu');

export function normalizePunctuation(text: string): string {
  return text.replace(PUNCT_RE, (c) => PUNCTUATION_UNICODE[c]!);
}

export const punctuationNormalizationMapper: OpDefinition = {
  name: 'punctuation_normalization_mapper',
  kind: 'mapper',
  description: 'Map CJK/Unicode punctuation to ASCII with the BigScience table.',
  params: {},
  create: (p) =>
    new (class extends Mapper {
      processText(text: string): string {
        return normalizePunctuation(text);
      }
    })('punctuation_normalization_mapper', p),
};

/** Python strip(), then each of VARIOUS_WHITESPACES -> one ASCII space (no collapsing; newlines stay). */
const VARIOUS_WHITESPACES_RE = new RegExp(`[${[...VARIOUS_WHITESPACES].join('').replace('\t', '\\t')}]`, 'g');

export function normalizeWhitespace(text: string): string {
  return pyStrip(text).replace(VARIOUS_WHITESPACES_RE, ' ');
}

export const whitespaceNormalizationMapper: OpDefinition = {
  name: 'whitespace_normalization_mapper',
  kind: 'mapper',
  description: 'Strip the text and turn each Unicode space/zero-width character into an ASCII space.',
  params: {},
  create: (p) =>
    new (class extends Mapper {
      processText(text: string): string {
        return normalizeWhitespace(text);
      }
    })('whitespace_normalization_mapper', p),
};

export const DEFAULT_CHARS_TO_REMOVE = '◆●■►▼▲▴∆▻▷❖♡□';

/**
 * Data-Juicer builds "[" + "|".join(chars) + "]" and deletes every match, so with 2+ characters `|` is deleted too,
 * and multi-character list items contribute all their characters.
 */
export class RemoveSpecificCharsMapper extends Mapper {
  private readonly re: RegExp | null;
  constructor(params: ParamValues) {
    super('remove_specific_chars_mapper', params);
    const chars = params.chars_to_remove as string | string[] | null;
    if (!chars || chars.length === 0) {
      this.re = null;
    } else {
      const items = typeof chars === 'string' ? Array.from(chars) : chars;
      this.re = compilePyRegex(`[${items.join('|')}]`);
    }
  }
  processText(text: string): string {
    return this.re ? text.replace(this.re, '') : text;
  }
}

export const removeSpecificCharsMapper: OpDefinition = {
  name: 'remove_specific_chars_mapper',
  kind: 'mapper',
  description: 'Delete the given characters (and, as in Data-Juicer, "|" when 2+ are given).',
  params: {
    chars_to_remove: {
      type: 'string_or_string_list',
      default: DEFAULT_CHARS_TO_REMOVE,
      nullable: true,
      description: 'characters to delete (a string or a list)',
    },
  },
  create: (p) => new RemoveSpecificCharsMapper(p),
};
