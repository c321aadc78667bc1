import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ArpaFormatError, ArpaModel, createOp, type Filter, pyRound1 } from '../src/index.js';
import { fixturePath } from './helpers.js';

// test/fixtures/tiny.arpa, written by hand (log10):
//   1-grams: <unk> -1.0 | <s> -0.5 bo -0.3 | </s> -0.6 | a -0.4 bo -0.2 | b -0.7 bo -0.1
//   2-grams: <s> a -0.2 | a b -0.3 bo -0.05 | b </s> -0.25 | a a -0.6
//   3-grams: <s> a b -0.1
const ARPA = fixturePath('tiny.arpa');

describe('ArpaModel (KenLM backoff scoring)', () => {
  const lm = ArpaModel.load(ARPA);
  it('reads the order', () => expect(lm.order).toBe(3));
  it('"a b": p(a|<s>) -0.2 + p(b|<s> a) -0.1 (trigram) + p(</s>|a b) = bo(a b) -0.05 + p(</s>|b) -0.25 => -0.6', () => {
    expect(lm.score('a b')).toBeCloseTo(-0.6, 6);
  });
  it('"b a": [bo(<s>) -0.3 + p(b) -0.7] + [bo(b) -0.1 + p(a) -0.4] + [bo(a) -0.2 + p(</s>) -0.6] => -2.3', () => {
    expect(lm.score('b a')).toBeCloseTo(-2.3, 6);
  });
  it('OOV "a x": -0.2 + [bo(a) -0.2 + p(<unk>) -1.0] + [p(</s>) -0.6] => -2.0', () => {
    expect(lm.score('a x')).toBeCloseTo(-2.0, 6);
  });
  it('no <s>/</s> when asked: "a" alone is p(a) = -0.4', () => {
    expect(lm.score('a', false, false)).toBeCloseTo(-0.4, 6);
  });
  it('reads .arpa.gz by its magic bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dj-arpa-'));
    const gz = join(dir, 'tiny.arpa.gz');
    writeFileSync(gz, gzipSync(readFileSync(ARPA)));
    expect(ArpaModel.load(gz).score('a b')).toBeCloseTo(-0.6, 6);
  });
  it('rejects non-ARPA input and binary models with a clear error', () => {
    expect(() => ArpaModel.fromText('hello', 'x.arpa')).toThrow(ArpaFormatError);
    expect(() => ArpaModel.fromText('hello', 'x.arpa')).toThrow('x.arpa: no \\data\\ header');
    expect(() => ArpaModel.load('/nonexistent/zh.arpa.bin')).toThrow(/binary models are not supported/);
  });
});

describe('perplexity_filter', () => {
  const f = createOp<Filter>('perplexity_filter', { model_path: ARPA, max_ppl: 3 });
  it('ppl = 10 ** (-sum / (words + 1 per line)), rounded to 1 decimal', () => {
    // "a b": 10 ** (0.6 / 3) = 10 ** 0.2 = 1.585 -> 1.6
    expect(f.computeStat('a b')).toBe(1.6);
    // "b a": 10 ** (2.3 / 3) = 5.843 -> 5.8
    expect(f.computeStat('b a')).toBe(5.8);
    // "a x": 10 ** (2 / 3) = 4.642 -> 4.6
    expect(f.computeStat('a x')).toBe(4.6);
    // two lines: (0.6 + 2.3) / 6 -> 10 ** 0.48333 = 3.0429 -> 3.0
    expect(f.computeStat('a b\nb a')).toBe(3);
  });
  it('empty text has ppl 0.0 and is kept (0 >= min_ppl 0)', () => {
    expect(f.computeStat('')).toBe(0);
    expect(f.keepText('')).toBe(true);
  });
  it('keep iff min_ppl <= ppl <= max_ppl', () => {
    expect(f.keepText('a b')).toBe(true);
    expect(f.keepText('b a')).toBe(false);
    const g = createOp<Filter>('perplexity_filter', { model_path: ARPA, min_ppl: 2, max_ppl: 1500 });
    expect(g.keepText('a b')).toBe(false);
  });
  it('missing model: one clear error naming the parameter', () => {
    expect(() => createOp('perplexity_filter', { lang: 'zh' })).toThrow(
      /^perplexity_filter\.model_path: required: the path of a KenLM ARPA model \(\.arpa or \.arpa\.gz\) for lang "zh"/,
    );
    expect(() => createOp('perplexity_filter', { model_path: '/nope/zh.arpa' })).toThrow(
      'perplexity_filter.model_path: no such file: /nope/zh.arpa',
    );
    expect(() => createOp('perplexity_filter', { model_path: ARPA, max_ppl: -1 })).toThrow(
      'perplexity_filter.max_ppl: must be >= 0, got -1',
    );
  });
  it('Python round(x, 1) ties to even on exact binary ties', () => {
    expect(pyRound1(0.25)).toBe(0.2);
    expect(pyRound1(0.75)).toBe(0.8);
    expect(pyRound1(1.35)).toBe(1.4); // 1.35 is slightly above 1.35 in binary
    expect(pyRound1(2.5)).toBe(2.5);
    expect(pyRound1(0.35)).toBe(0.3); // 0.35 is slightly below 0.35 in binary
    expect(pyRound1(1.45)).toBe(1.4);
    expect(pyRound1(-0.25)).toBe(-0.2);
  });
});
