// The model-free text filters of Data-Juicer, with their stat formulas.

import { HfTokenizer } from '../hf-tokenizer.js';
import { Filter } from '../op.js';
import { ParamError, type ParamValues } from '../params.js';
import { countCodePoints, isAlnumCodePoint, pyLen, splitlines } from '../pystr.js';
import type { OpDefinition } from '../registry.js';
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

/** Python `str.isalpha()` for a code point: Unicode letters (Lu, Ll, Lt, Lm, Lo). */
const ALPHA_RE = /\p{L}/u;
const isAlphaCodePoint = (cp: number) => ALPHA_RE.test(String.fromCodePoint(cp));

/**
 * Data-Juicer's alpha_token_ratio: characters with `str.isalpha()` per token of a tokenizer (can exceed 1); 0.0
 * when the text has no token.
 */
export function alphaTokenRatio(text: string, countTokens: (text: string) => number): number {
  const tokens = countTokens(text);
  return tokens === 0 ? 0.0 : countCodePoints(text, isAlphaCodePoint)[1] / tokens;
}

/** alphanumeric_filter: `alnum_ratio`, or with tokenization: true `alpha_token_ratio` over a tokenizer you pass. */
export class AlphanumericFilter extends Filter {
  readonly statKey: string;
  private readonly tokenizerPath: string | null;
  private tokenizer: HfTokenizer | null = null;

  constructor(params: ParamValues) {
    super('alphanumeric_filter', params);
    this.tokenizerPath = params.tokenization === true ? (params.tokenizer_path as string) : null;
    this.statKey = this.tokenizerPath === null ? 'alnum_ratio' : 'alpha_token_ratio';
  }

  override async prepare(): Promise<void> {
    if (this.tokenizerPath && !this.tokenizer)
      this.tokenizer = await HfTokenizer.load(this.tokenizerPath, 'alphanumeric_filter.tokenizer_path');
  }

  override needsPrepare(): boolean {
    return this.tokenizerPath !== null && this.tokenizer === null;
  }

  computeStat(text: string): number {
    if (this.tokenizerPath === null) return alnumRatio(text);
    if (!this.tokenizer)
      throw new Error(`alphanumeric_filter: await op.prepare() first (it loads ${this.tokenizerPath})`);
    const tok = this.tokenizer;
    return alphaTokenRatio(text, (t) => tok.countTokens(t));
  }

  protected range(): [number, number] {
    return [this.params.min_ratio as number, this.params.max_ratio as number];
  }
}

export const alphanumericFilter: OpDefinition = {
  name: 'alphanumeric_filter',
  kind: 'filter',
  description: 'Keep samples whose share of alphanumeric characters (or letters per token) is in range.',
  params: {
    tokenization: {
      type: 'boolean',
      default: false,
      description: 'alpha_token_ratio: letters per token of the tokenizer at tokenizer_path',
    },
    tokenizer_path: {
      type: 'string',
      default: null,
      nullable: true,
      description:
        'tokenizer.json (or its folder) used when tokenization is true; Data-Juicer uses EleutherAI/pythia-6.9b-deduped (Steel-TS extension: nothing is downloaded)',
    },
    min_ratio: ratio('minimum ratio', 0.25),
    max_ratio: ratio('maximum ratio', NO_MAX),
  },
  create: (p) => {
    if (p.tokenization === true && p.tokenizer_path === null)
      throw new ParamError(
        "alphanumeric_filter.tokenizer_path: required when tokenization is true: a Hugging Face tokenizer.json (or its folder); Data-Juicer uses EleutherAI/pythia-6.9b-deduped's; nothing is downloaded",
      );
    return new AlphanumericFilter(p);
  },
};

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

// Scratch space for characterRepetitionRatio, grown as needed and reused: the hot loop allocates nothing (one
// string per n-gram was most of the filter's time and of the garbage the whole recipe made).
let cpBuf = new Int32Array(1024);
let slotHash = new Int32Array(2048);
let slotFirst = new Int32Array(2048);
let slotCount = new Int32Array(2048);
const HASH_BASE = 0x9e3779b1 | 0;

/**
 * BigScience character repetition: share of all n-grams taken by the top floor(sqrt(N)) repeated ones.
 *
 * The n-grams (of code points) are counted in an open-addressing table keyed by a rolling hash; two n-grams only
 * share a count when their code points are equal (compared on every hash match), so the counts are exactly those of
 * counting the substrings themselves.
 */
export function characterRepetitionRatio(text: string, repLen: number): number {
  if (cpBuf.length < text.length) cpBuf = new Int32Array(Math.max(text.length, 2 * cpBuf.length));
  const cp = cpBuf;
  let numChars = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        i++;
      }
    }
    cp[numChars++] = c;
  }
  const grams = numChars - repLen + 1;
  if (grams <= 0) return 0.0;
  let size = 2048;
  while (size < 2 * grams) size *= 2;
  if (slotHash.length < size) {
    slotHash = new Int32Array(size);
    slotFirst = new Int32Array(size);
    slotCount = new Int32Array(size);
  }
  const mask = size - 1;
  slotCount.fill(0, 0, size); // count 0 = empty slot
  // BASE^(repLen-1) mod 2^32, to drop the outgoing code point.
  let topPow = 1;
  for (let k = 1; k < repLen; k++) topPow = Math.imul(topPow, HASH_BASE);
  let h = 0;
  for (let k = 0; k < repLen; k++) h = (Math.imul(h, HASH_BASE) + cp[k]!) | 0;
  let distinct = 0;
  for (let i = 0; i < grams; i++) {
    if (i > 0) h = (Math.imul((h - Math.imul(cp[i - 1]!, topPow)) | 0, HASH_BASE) + cp[i + repLen - 1]!) | 0;
    let slot = (h ^ (h >>> 15)) & mask;
    for (;;) {
      if (slotCount[slot] === 0) {
        slotHash[slot] = h;
        slotFirst[slot] = i;
        slotCount[slot] = 1;
        distinct++;
        break;
      }
      if (slotHash[slot] === h) {
        const f = slotFirst[slot]!;
        let k = 0;
        while (k < repLen && cp[f + k] === cp[i + k]) k++;
        if (k === repLen) {
          slotCount[slot]!++;
          break;
        }
      }
      slot = (slot + 1) & mask;
    }
  }
  // Only repeated n-grams can be among the top k = min(floor(sqrt(distinct)), number of repeated ones).
  const repeated: number[] = [];
  for (let s = 0; s < size; s++) if (slotCount[s]! > 1) repeated.push(slotCount[s]!);
  const k = Math.min(Math.floor(Math.sqrt(distinct)), repeated.length);
  repeated.sort((a, b) => b - a);
  let top = 0;
  for (let j = 0; j < k; j++) top += repeated[j]!;
  return top / grams;
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
