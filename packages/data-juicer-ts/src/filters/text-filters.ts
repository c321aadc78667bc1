// The model-free text filters of Data-Juicer, with their stat formulas.

import { ParamError, type ParamValues } from '../params.js';
import { countCodePoints, isAlnumCodePoint, pyLen, splitlines } from '../pystr.js';
import { SPECIAL_CHARACTERS } from '../special-characters.js';
import { refineWords, splitWords } from '../words.js';
import { defineRangeFilter, NO_MAX, type WordSplitter } from './range-filter.js';

const ratio = (what: string, def: number, min?: number, max?: number) => ({
  type: 'number' as const,
  default: def,
  ...(min === undefined ? {} : { min }),
  ...(max === undefined ? {} : { max }),
  description: what,
});
const int = (what: string, def: number, min?: number) => ({
  type: 'integer' as const,
  default: def,
  ...(min === undefined ? {} : { min }),
  description: what,
});

export function alnumRatio(text: string): number {
  const [n, hits] = countCodePoints(text, isAlnumCodePoint);
  return n === 0 ? 0.0 : hits / n;
}

export const alphanumericFilter = defineRangeFilter({
  name: 'alphanumeric_filter',
  description: 'Keep samples whose share of alphanumeric characters is in range.',
  statKey: 'alnum_ratio',
  extra: {
    tokenization: {
      type: 'boolean',
      default: false,
      description: 'count alphabetic characters per token of the pythia tokenizer (not supported here)',
    },
  },
  min: ['min_ratio', ratio('minimum ratio', 0.25)],
  max: ['max_ratio', ratio('maximum ratio', NO_MAX)],
  compute: (t) => alnumRatio(t),
  check: (p) => {
    if (p.tokenization === true)
      throw new ParamError(
        'alphanumeric_filter.tokenization: true needs the EleutherAI/pythia-6.9b-deduped Hugging Face tokenizer (stat alpha_token_ratio), which this package does not ship; use tokenization: false',
      );
  },
});

export function averageLineLength(text: string): number {
  const lines = splitlines(text);
  return lines.length === 0 ? 0.0 : pyLen(text) / lines.length;
}

export const averageLineLengthFilter = defineRangeFilter({
  name: 'average_line_length_filter',
  description: 'Keep samples whose average line length (whole text length / number of lines) is in range.',
  statKey: 'avg_line_length',
  min: ['min_len', int('minimum average line length', 10)],
  max: ['max_len', int('maximum average line length', NO_MAX)],
  compute: (t) => averageLineLength(t),
});

export function maximumLineLength(text: string): number {
  let m = 0;
  for (const line of splitlines(text)) m = Math.max(m, pyLen(line));
  return m;
}

export const maximumLineLengthFilter = defineRangeFilter({
  name: 'maximum_line_length_filter',
  description: 'Keep samples whose longest line is in range.',
  statKey: 'max_line_length',
  min: ['min_len', int('minimum of the longest line', 10)],
  max: ['max_len', int('maximum of the longest line', NO_MAX)],
  compute: (t) => maximumLineLength(t),
});

/** BigScience character repetition: share of all n-grams taken by the top floor(sqrt(N)) repeated ones. */
export function characterRepetitionRatio(text: string, repLen: number): number {
  // UTF-16 offsets of each code point, so n-grams are substrings (no per-gram array joins).
  const starts: number[] = [];
  for (let i = 0; i < text.length; i++) {
    starts.push(i);
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  starts.push(text.length);
  const numChars = starts.length - 1;
  const freq = new Map<string, number>();
  for (let i = 0; i + repLen <= numChars; i++) {
    const g = text.slice(starts[i], starts[i + repLen]);
    freq.set(g, (freq.get(g) ?? 0) + 1);
  }
  if (freq.size === 0) return 0.0;
  const counts = [...freq.values()].sort((a, b) => b - a);
  let numNoRep = 0;
  let total = 0;
  for (const c of counts) {
    total += c;
    if (c === 1) numNoRep++;
  }
  const k = Math.min(Math.floor(Math.sqrt(counts.length)), counts.length - numNoRep);
  let top = 0;
  for (let i = 0; i < k; i++) top += counts[i]!;
  return total === 0 ? 0.0 : top / total;
}

export const characterRepetitionFilter = defineRangeFilter({
  name: 'character_repetition_filter',
  description: 'Keep samples whose character n-gram repetition ratio is in range.',
  statKey: 'char_rep_ratio',
  extra: { rep_len: int('character n-gram length', 10, 1) },
  min: ['min_ratio', ratio('minimum ratio', 0.0, 0, 1)],
  max: ['max_ratio', ratio('maximum ratio', 0.5, 0, 1)],
  compute: (t, p: ParamValues) => characterRepetitionRatio(t, p.rep_len as number),
});

const isSpecialCodePoint = (cp: number) => SPECIAL_CHARACTERS.has(cp);

export function specialCharRatio(text: string): number {
  const [n, hits] = countCodePoints(text, isSpecialCodePoint);
  return n === 0 ? 0.0 : hits / n;
}

export const specialCharactersFilter = defineRangeFilter({
  name: 'special_characters_filter',
  description: 'Keep samples whose share of special characters is in range.',
  statKey: 'special_char_ratio',
  min: ['min_ratio', ratio('minimum ratio', 0.0)],
  max: ['max_ratio', ratio('maximum ratio', 0.25)],
  compute: (t) => specialCharRatio(t),
});

export const textLengthFilter = defineRangeFilter({
  name: 'text_length_filter',
  description: 'Keep samples whose length in code points is in range.',
  statKey: 'text_len',
  min: ['min_len', int('minimum length', 10)],
  max: ['max_len', int('maximum length', NO_MAX)],
  compute: (t) => pyLen(t),
});

export function wordRepetitionRatio(text: string, repLen: number, split?: WordSplitter): number {
  const words = refineWords(split ? split(text) : splitWords(text), true);
  const freq = new Map<string, number>();
  for (let i = 0; i + repLen <= words.length; i++) {
    const g = words.slice(i, i + repLen).join(' ');
    freq.set(g, (freq.get(g) ?? 0) + 1);
  }
  if (freq.size === 0) return 0.0;
  let rep = 0;
  let total = 0;
  for (const c of freq.values()) {
    total += c;
    if (c > 1) rep += c;
  }
  return total === 0 ? 0.0 : rep / total;
}

export const wordRepetitionFilter = defineRangeFilter({
  name: 'word_repetition_filter',
  description: 'Keep samples whose word n-gram repetition ratio is in range.',
  statKey: 'word_rep_ratio',
  extra: {
    lang: { type: 'string', default: 'en', description: 'language of the SentencePiece model (tokenization only)' },
    tokenization: { type: 'boolean', default: false, description: 'words from a SentencePiece model' },
    rep_len: int('word n-gram length', 10, 1),
  },
  min: ['min_ratio', ratio('minimum ratio', 0.0, 0, 1)],
  max: ['max_ratio', ratio('maximum ratio', 0.5, 0, 1)],
  sentencePiece: true,
  compute: (t, p: ParamValues, split) => wordRepetitionRatio(t, p.rep_len as number, split),
});

export function numWords(text: string, split?: WordSplitter): number {
  return refineWords(split ? split(text) : splitWords(text), false).length;
}

export const wordsNumFilter = defineRangeFilter({
  name: 'words_num_filter',
  description: 'Keep samples whose number of words (whitespace chunks after stripping special characters) is in range.',
  statKey: 'num_words',
  extra: {
    lang: { type: 'string', default: 'en', description: 'language of the SentencePiece model (tokenization only)' },
    tokenization: { type: 'boolean', default: false, description: 'words from a SentencePiece model' },
  },
  min: ['min_num', int('minimum number of words', 10)],
  max: ['max_num', int('maximum number of words', NO_MAX)],
  sentencePiece: true,
  compute: (t, _p, split) => numWords(t, split),
});
