import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createOp,
  type Deduplicator,
  type DocumentMinhashDeduplicator,
  minhashPermutations,
  optimalLshParams,
} from '../src/index.js';
import { fixturePath } from './helpers.js';

// Made by tools/fixtures/data-juicer/gen_minhash_expectations.py with numpy, as Data-Juicer computes them.
const exp = JSON.parse(readFileSync(fixturePath('minhash-expectations.json'), 'utf8')) as {
  perm_first: [string, string][];
  perm_last: [string, string];
  texts: string[];
  space_w5: { sig8: number[][]; keep: number[] };
  character_w4: { sig8: number[][]; keep: number[] };
};

describe('document_minhash_deduplicator', () => {
  it('permutation parameters equal numpy RandomState(42).randint(..., dtype=uint64)', () => {
    const { a, b } = minhashPermutations(256);
    exp.perm_first.forEach(([pa, pb], i) => {
      expect(String(a[i])).toBe(pa);
      expect(String(b[i])).toBe(pb);
    });
    expect([String(a[255]), String(b[255])]).toEqual(exp.perm_last);
  });
  it('bands/rows from the threshold: (25, 10) for 0.7 and 256 permutations (spec)', () => {
    expect(optimalLshParams(0.7, 256)).toEqual([25, 10]);
    const d = createOp<DocumentMinhashDeduplicator>('document_minhash_deduplicator');
    expect([d.numBands, d.rowsPerBand]).toEqual([25, 10]);
  });
  it('signatures and survivors match numpy (space, window 5)', () => {
    const d = createOp<DocumentMinhashDeduplicator>('document_minhash_deduplicator');
    exp.texts.forEach((t, i) => {
      expect(d.signature(t).slice(0, 8)).toEqual(exp.space_w5.sig8[i]);
    });
    expect(d.process(exp.texts.map((text) => ({ text }))).keptIndices).toEqual(exp.space_w5.keep);
  });
  it('signatures and survivors match numpy (character, window 4)', () => {
    const d = createOp<DocumentMinhashDeduplicator>('document_minhash_deduplicator', {
      tokenization: 'character',
      window_size: 4,
    });
    exp.texts.forEach((t, i) => {
      expect(d.signature(t).slice(0, 8)).toEqual(exp.character_w4.sig8[i]);
    });
    expect(d.process(exp.texts.map((text) => ({ text }))).keptIndices).toEqual(exp.character_w4.keep);
  });
  it('a text with no shingles fails alone: it is dropped and reported, the rest go on', () => {
    const d = createOp<Deduplicator>('document_minhash_deduplicator');
    const r = d.process([{ text: exp.texts[0] }, { text: 'too short' }, { text: exp.texts[1] }]);
    expect(r.keptIndices).toEqual([0]);
    expect(r.errors.map((e) => e.index)).toEqual([1]);
    expect(r.errors[0]!.error.message).toMatch(/fewer than window_size \(5\) tokens/);
  });
  it('bad params', () => {
    expect(() => createOp('document_minhash_deduplicator', { jaccard_threshold: 1.2 })).toThrow(
      'document_minhash_deduplicator.jaccard_threshold: must be <= 1, got 1.2',
    );
    expect(() => createOp('document_minhash_deduplicator', { num_bands: 30, num_rows_per_band: 10 })).toThrow(
      'num_bands * num_rows_per_band (300) must not exceed num_permutations (256)',
    );
    expect(() => createOp('document_minhash_deduplicator', { tokenization: 'sentencepiece' })).toThrow(
      'document_minhash_deduplicator.tokenizer_model: required when tokenization is "sentencepiece"',
    );
  });
});
