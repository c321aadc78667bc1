import { describe, expect, it } from 'vitest';
import { demoCorpus, detagBrown } from '../src/demo/corpus.js';

describe('detagBrown', () => {
  it('strips Form C tags and rejoins punctuation and quotes', () => {
    const raw = [
      '',
      "\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn \"\"/'' ,/, and/cc it/pps did/dod n't/* stop/vb ./.",
      '',
      '\tA/at second/od paragraph/nn ./.',
    ].join('\n');
    // Expected text written by hand from the tagged input above.
    expect(detagBrown(raw)).toBe('The jury said "no evidence "", and it didn\'t stop.\n\nA second paragraph.');
  });
});

describe('demoCorpus', () => {
  it('yields a stable, ordered corpus from the npm data packages', () => {
    const recs = [...demoCorpus({ tangFiles: 1, songFiles: 0, brownSamples: 2 })];
    const sources = [...new Set(recs.map((r) => r.source))];
    expect(sources).toEqual(['lunyu', 'shijing', 'tang-poems', 'brown']);
    expect(recs.filter((r) => r.source === 'brown').map((r) => r.id)).toEqual(['brown-ca01', 'brown-ca02']);
    // The Analects open with 学而: "子曰：“学而时习之..."
    expect(recs[0]!.text.startsWith('子曰：“学而时习之')).toBe(true);
    expect(new Set(recs.map((r) => r.id)).size).toBe(recs.length);
    for (const r of recs) expect(r.text.length).toBeGreaterThan(0);
  });
});
