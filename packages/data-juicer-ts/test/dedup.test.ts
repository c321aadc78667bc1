import { describe, expect, it } from 'vitest';
import {
  createOp,
  type Deduplicator,
  type DocumentSimhashDeduplicator,
  type Fp64,
  findAllPairs,
  hammingDistance,
  simhashShingles,
} from '../src/index.js';
import { expectations } from './helpers.js';

const { en, zh } = expectations.simhash_corpora;

function simhashCase(corpus: string[], params: Record<string, unknown>, key: string) {
  const d = createOp<Deduplicator>('document_simhash_deduplicator', params);
  const r = d.process(corpus.map((text) => ({ text })));
  const e = expectations.simhash[key]!;
  expect(corpus.map((t) => d.hashText(t))).toEqual(e.fps);
  expect(r.keptIndices).toEqual(e.keep);
}

describe('document_simhash_deduplicator: bit-exact fingerprints and clusters vs Python (md5 + brute force)', () => {
  it('English, space tokenisation, punctuation ignored', () =>
    simhashCase(en, { ignore_pattern: '[^\\w\\s]' }, 'en_space_ignore_punct'));
  it('English, defaults', () => simhashCase(en, {}, 'en_space_default'));
  it('Chinese, space tokenisation (parity default): space-free documents all get 0 and collapse', () => {
    simhashCase(zh, {}, 'zh_space_default');
    const d = createOp<DocumentSimhashDeduplicator>('document_simhash_deduplicator');
    expect(d.hashText('机器学习是人工智能的一个分支')).toBe('0');
  });
  it('Chinese, character tokenisation keeps distinct documents', () =>
    simhashCase(zh, { tokenization: 'character' }, 'zh_character'));
  it('punctuation tokenisation, window 2', () =>
    simhashCase(en, { tokenization: 'punctuation', window_size: 2 }, 'en_punctuation'));
  it('character tokenisation, window 4, distance 8 of 10 blocks (transitive clusters)', () =>
    simhashCase(
      en,
      { tokenization: 'character', window_size: 4, num_blocks: 10, hamming_distance: 8 },
      'en_character_w4_k8',
    ));
});

describe('simhash pieces', () => {
  it('shingles: space splits on ASCII space only; punctuation keeps empty pieces', () => {
    expect(simhashShingles('a b\nc  d', 'space', 2)).toEqual(['a b\nc', 'b\nc d']);
    expect(simhashShingles('a,b.', 'punctuation', 2)).toEqual(['a b', 'b ']);
    expect(simhashShingles('😊ab', 'character', 2)).toEqual(['😊a', 'ab']);
    expect(simhashShingles('a b', 'space', 3)).toEqual([]);
  });
  it('findAllPairs equals brute force on clustered random fingerprints', () => {
    let seed = 12345;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    const fps: Fp64[] = [];
    const seen = new Set<string>();
    for (let c = 0; c < 40; c++) {
      const base = { hi: rnd(), lo: rnd() };
      for (let m = 0; m < 6; m++) {
        const f = { ...base };
        const flips = rnd() % 7;
        for (let k = 0; k < flips; k++) {
          const bit = rnd() % 64;
          if (bit < 32) f.lo = (f.lo ^ (1 << bit)) >>> 0;
          else f.hi = (f.hi ^ (1 << (bit - 32))) >>> 0;
        }
        const key = `${f.hi}:${f.lo}`;
        if (!seen.has(key)) {
          seen.add(key);
          fps.push(f);
        }
      }
    }
    for (const [blocks, k] of [
      [6, 4],
      [6, 3],
      [8, 5],
    ] as const) {
      const brute: string[] = [];
      for (let i = 0; i < fps.length; i++)
        for (let j = i + 1; j < fps.length; j++) if (hammingDistance(fps[i]!, fps[j]!) <= k) brute.push(`${i},${j}`);
      const found = findAllPairs(fps, blocks, k).map(([a, b]) => `${Math.min(a, b)},${Math.max(a, b)}`);
      expect(found.sort()).toEqual(brute.sort());
      expect(brute.length).toBeGreaterThan(20);
    }
  });
  it('an existing __dj__simhash is reused; dup pairs are reported up to show_num', () => {
    const d = createOp<Deduplicator>('document_simhash_deduplicator');
    const r = d.process(
      [
        { text: 'x', __dj__simhash: '5' },
        { text: 'y', __dj__simhash: '7' },
        { text: 'z', __dj__simhash: String(2n ** 64n - 1n) },
      ],
      5,
    );
    expect(r.keptIndices).toEqual([0, 2]);
    expect(r.dupPairs).toHaveLength(1);
    expect(r.dupPairs[0]!.removed.text).toBe('y');
  });
  it('one sample is returned unchanged', () => {
    const d = createOp<Deduplicator>('document_simhash_deduplicator');
    expect(d.process([{ text: 'a' }]).keptIndices).toEqual([0]);
  });
  it('bad params', () => {
    expect(() => createOp('document_simhash_deduplicator', { hamming_distance: 6 })).toThrow(
      'document_simhash_deduplicator.hamming_distance: must be smaller than num_blocks (6), got 6',
    );
    expect(() => createOp('document_simhash_deduplicator', { tokenization: 'sentencepiece' })).toThrow(
      'document_simhash_deduplicator.tokenization: must be one of space, punctuation, character; got "sentencepiece" (string)',
    );
    expect(() => createOp('document_simhash_deduplicator', { window_size: 0 })).toThrow('must be >= 1, got 0');
  });
});

describe('document_deduplicator', () => {
  it('md5 of the stripped text matches Python hashlib', () => {
    const d = createOp<Deduplicator>('document_deduplicator');
    expect(en.map((t) => d.hashText(t))).toEqual(expectations.doc_hash.plain);
    const d2 = createOp<Deduplicator>('document_deduplicator', { lowercase: true, ignore_non_character: true });
    expect(en.map((t) => d2.hashText(t))).toEqual(expectations.doc_hash.lower_ignore);
  });
  it('spec test: collide only with lowercase + ignore_non_character; first kept', () => {
    const texts = ['Today is Sunday…!', 'Today is sunday…?', '  Today is Sunday…!\n'];
    expect(createOp<Deduplicator>('document_deduplicator').dedupTexts(texts)).toEqual([texts[0], texts[1]]);
    expect(createOp<Deduplicator>('document_deduplicator', { lowercase: true }).dedupTexts(texts)).toEqual([
      texts[0],
      texts[1],
    ]);
    const both = createOp<Deduplicator>('document_deduplicator', { lowercase: true, ignore_non_character: true });
    expect(both.dedupTexts(texts)).toEqual([texts[0]]);
    expect(
      both.process(
        texts.map((text) => ({ text })),
        1,
      ).dupPairs,
    ).toHaveLength(1);
  });
  it('bad params', () => {
    expect(() => createOp('document_deduplicator', { lowercase: 1 })).toThrow(
      'document_deduplicator.lowercase: expected a boolean (true/false), got 1 (number)',
    );
  });
});
