import { describe, expect, it } from 'vitest';
import { createOp, type Filter, isSpecialChar, SPECIAL_CHARACTERS } from '../src/index.js';
import { expectations, statOf } from './helpers.js';

const { texts, stats } = expectations;

describe('filter stats match Python (tools/fixtures/data-juicer/gen_expectations.py)', () => {
  texts.forEach((t, i) => {
    const e = stats[i]!;
    it(`text #${i} ${JSON.stringify(t.slice(0, 24))}`, () => {
      expect(statOf('alphanumeric_filter', t)).toBeCloseTo(e.alnum_ratio, 12);
      expect(statOf('average_line_length_filter', t)).toBeCloseTo(e.avg_line_length, 12);
      expect(statOf('maximum_line_length_filter', t)).toBe(e.max_line_length);
      expect(statOf('character_repetition_filter', t)).toBeCloseTo(e.char_rep_ratio_10, 12);
      expect(statOf('character_repetition_filter', t, { rep_len: 5 })).toBeCloseTo(e.char_rep_ratio_5, 12);
      expect(statOf('text_length_filter', t)).toBe(e.text_len);
      expect(statOf('word_repetition_filter', t)).toBeCloseTo(e.word_rep_ratio_10, 12);
      expect(statOf('word_repetition_filter', t, { rep_len: 3 })).toBeCloseTo(e.word_rep_ratio_3, 12);
      expect(statOf('words_num_filter', t)).toBe(e.num_words);
      expect(statOf('special_characters_filter', t)).toBeCloseTo(e.special_char_ratio, 12);
    });
  });
});

describe('spec examples', () => {
  it('alphanumeric: Chinese prose is mostly alphanumeric', () => {
    expect(statOf('alphanumeric_filter', '中文也是一个字算一个长度')).toBe(1);
    // 23 ideographs (14 before the comma, 9 after), 2 punctuation marks: 23/25 = 0.92 (spec)
    expect(statOf('alphanumeric_filter', '机器学习是人工智能的一个分支，研究计算机如何学习。')).toBeCloseTo(
      23 / 25,
      12,
    );
  });
  it('average_line_length: a trailing newline counts in the numerator only', () => {
    // 19 code points (😊 and 😸 are one each), one line
    expect(statOf('average_line_length_filter', 'emoji表情测试下😊，😸31231\n')).toBe(19);
  });
  it('character_repetition (rep_len 5) examples are removed at max 0.4', () => {
    const f = createOp<Filter>('character_repetition_filter', { rep_len: 5, max_ratio: 0.4 });
    expect(f.computeStat('a v s e c s f e f g a a a a a a a a a a')).toBeCloseTo(0.457, 3);
    expect(f.keepText('a v s e c s f e f g a a a a a a a a a a')).toBe(false);
    expect(f.keepText("Today is Sunday and it's a happy day!")).toBe(true);
  });
  it('special_characters: the test string has exactly ∶ ━ 〈 〉 ％ outside the set', () => {
    const s = '，。、„”“«»１」「《》´∶：？！（）；–—．～’…━〈〉【】％►';
    expect(Array.from(s).filter((c) => !isSpecialChar(c))).toEqual(['∶', '━', '〈', '〉', '％']);
    expect(isSpecialChar('😊')).toBe(true);
    expect(isSpecialChar('一')).toBe(true);
    expect(isSpecialChar('\u00a0')).toBe(false);
    expect(isSpecialChar('\u3000')).toBe(true);
    // 48 ASCII + 1386 emoji + the hand list (some overlap with emoji: © ® ™ ...)
    expect(SPECIAL_CHARACTERS.size).toBeGreaterThan(48 + 1386 + 150);
  });
  it('special_characters: inclusive boundary keeps "Do you need a cup of coffee?" at exactly 0.25', () => {
    const f = createOp<Filter>('special_characters_filter');
    expect(f.computeStat('Do you need a cup of coffee?')).toBe(0.25);
    expect(f.keepText('Do you need a cup of coffee?')).toBe(true);
  });
  it('text_length counts code points', () => {
    expect(statOf('text_length_filter', '😊😊😊')).toBe(3);
  });
  it('word_repetition (rep_len 3) example is removed at max 0.2', () => {
    const f = createOp<Filter>('word_repetition_filter', { rep_len: 3, max_ratio: 0.2 });
    const t = "Today is Sunday Sunday Sunday Sunday Sunday and it's a happy day!";
    expect(f.computeStat(t)).toBeCloseTo(0.3, 12);
    expect(f.keepText(t)).toBe(false);
  });
  it('words_num: punctuation-only string is 1 word; trailing spaces are not words', () => {
    expect(statOf('words_num_filter', '，。、„”“«»１」「《》´∶：？！（）；–—．～’…━〈〉【】％►')).toBe(1);
    expect(statOf('words_num_filter', 'a v s e c s f e f g a a a  ')).toBe(13);
    // NBSP and U+3000 do not split
    expect(statOf('words_num_filter', 'a\u00a0b\u3000c d')).toBe(2);
  });
  it('empty text: every stat is 0, survival depends on min only', () => {
    for (const name of [
      'alphanumeric_filter',
      'average_line_length_filter',
      'character_repetition_filter',
      'special_characters_filter',
    ])
      expect(statOf(name, '')).toBe(0);
    expect(createOp<Filter>('special_characters_filter').keepText('')).toBe(true);
    expect(createOp<Filter>('text_length_filter').keepText('')).toBe(false);
  });
});

describe('stats under __dj__stats__, cached by key', () => {
  it('computeStats writes the Data-Juicer key and process decides', () => {
    const f = createOp<Filter>('text_length_filter', { min_len: 3, max_len: 5 });
    const s = f.computeStats({ text: 'abcd', id: 7 });
    expect(s).toEqual({ text: 'abcd', id: 7, __dj__stats__: { text_len: 4 } });
    expect(f.process(s)).toBe(true);
    expect(f.run({ text: 'abcdef' }).keep).toBe(false);
  });
  it('a second filter with other settings reuses the first stat (character_repetition test_existing_stats)', () => {
    const a = createOp<Filter>('character_repetition_filter', { rep_len: 5 });
    const b = createOp<Filter>('character_repetition_filter', { rep_len: 10 });
    const t = 'a v s e c s f e f g a a a a a a a a a a';
    const s = b.computeStats(a.computeStats({ text: t }));
    expect(s.__dj__stats__!.char_rep_ratio).toBeCloseTo(0.457, 3);
    const pre = { text: t, __dj__stats__: { char_rep_ratio: 0.1 } };
    expect(b.computeStats(pre).__dj__stats__).toEqual({ char_rep_ratio: 0.1 });
  });
  it('reversed_range and open ends', () => {
    const f = createOp<Filter>('text_length_filter', { min_len: 3, max_len: 5, reversed_range: true });
    expect(f.keepText('abcd')).toBe(false);
    expect(f.keepText('ab')).toBe(true);
    expect(createOp<Filter>('text_length_filter', { min_len: 3, min_closed_interval: false }).keepText('abc')).toBe(
      false,
    );
  });
});

describe('bad parameters', () => {
  it('one case per filter', () => {
    expect(() => createOp('alphanumeric_filter', { min_ratio: 'x' })).toThrow(
      'alphanumeric_filter.min_ratio: expected a number',
    );
    expect(() => createOp('alphanumeric_filter', { tokenization: true })).toThrow(/pythia-6\.9b-deduped/);
    expect(() => createOp('average_line_length_filter', { max_len: 1.5 })).toThrow(
      'average_line_length_filter.max_len: expected an integer',
    );
    expect(() => createOp('character_repetition_filter', { rep_len: -2 })).toThrow('must be >= 1, got -2');
    expect(() => createOp('maximum_line_length_filter', { max: 3 })).toThrow('Valid parameters: min_len, max_len,');
    expect(() => createOp('special_characters_filter', { max_ratio: [0.2] })).toThrow(
      'expected a number, got [0.2] (list)',
    );
    expect(() => createOp('text_length_filter', { min_len: null })).toThrow(
      'text_length_filter.min_len: expected an integer, got null',
    );
    expect(() => createOp('word_repetition_filter', { tokenization: true })).toThrow(/SentencePiece/);
    expect(() => createOp('word_repetition_filter', { rep_len: 0 })).toThrow(
      'word_repetition_filter.rep_len: must be >= 1, got 0',
    );
    expect(() => createOp('words_num_filter', { min_num: '10' })).toThrow(
      'words_num_filter.min_num: expected an integer, got "10" (string)',
    );
  });
});

describe('characterRepetitionRatio (hash-table counting)', () => {
  /** The definition, spelled out: count every n-gram substring in a Map, then the BigScience formula. */
  function reference(text: string, n: number): number {
    const chars = Array.from(text);
    const freq = new Map<string, number>();
    for (let i = 0; i + n <= chars.length; i++) {
      const g = chars.slice(i, i + n).join('');
      freq.set(g, (freq.get(g) ?? 0) + 1);
    }
    if (freq.size === 0) return 0;
    const counts = [...freq.values()].sort((a, b) => b - a);
    const noRep = counts.filter((c) => c === 1).length;
    const k = Math.min(Math.floor(Math.sqrt(counts.length)), counts.length - noRep);
    const total = counts.reduce((a, b) => a + b, 0);
    return counts.slice(0, k).reduce((a, b) => a + b, 0) / total;
  }

  it('equals counting the substrings, on random texts over small alphabets (surrogate pairs included)', async () => {
    const { characterRepetitionRatio } = await import('../src/index.js');
    let seed = 12345;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const alphabets = [
      ['a', 'b'],
      ['a', 'b', 'c'],
      ['我', '们', '😀', 'x'],
      ['🇨', '🇳', '\ud800', 'é', 'e\u0301'],
    ];
    for (let round = 0; round < 400; round++) {
      const abc = alphabets[round % alphabets.length]!;
      const len = Math.floor(rnd() * 300);
      let text = '';
      for (let i = 0; i < len; i++) text += abc[Math.floor(rnd() * abc.length)]!;
      const n = 1 + Math.floor(rnd() * 12);
      expect(characterRepetitionRatio(text, n), `${JSON.stringify(text)} ${n}`).toBe(reference(text, n));
    }
    // Long enough to grow the scratch tables and to wrap the 32-bit rolling hash many times.
    const long =
      'abcdefghij'.repeat(5000) +
      Array.from({ length: 3000 }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 2000))).join('');
    expect(characterRepetitionRatio(long, 10)).toBe(reference(long, 10));
  });
});
