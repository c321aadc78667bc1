import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ArpaModel,
  createOp,
  createOpAsync,
  type Deduplicator,
  type Filter,
  minhashShingles,
  Pipeline,
  SentencePieceModel,
} from '../src/index.js';
import { fixturePath } from './helpers.js';

// tiny.sp.model and the pieces were made by tools/fixtures/data-juicer/gen_sp_model.py with Python sentencepiece.
const SP = fixturePath('tiny.sp.model');
const exp = JSON.parse(readFileSync(fixturePath('sp-expectations.json'), 'utf8')) as {
  texts: string[];
  pieces: string[][];
};

describe('SentencePiece words (tokenization: true)', () => {
  it('pieces equal Python sentencepiece encode_as_pieces', async () => {
    const sp = await SentencePieceModel.load(SP);
    exp.texts.forEach((t, i) => {
      expect(sp.encodeAsPieces(t)).toEqual(exp.pieces[i]);
    });
  });

  it("words_num counts refined pieces: 30 pieces of the English test sentence minus ' and ! = 28", async () => {
    const f = await createOpAsync<Filter>('words_num_filter', { tokenization: true, sp_model_path: SP, max_num: 25 });
    expect(f.computeStat(exp.texts[0]!)).toBe(28);
    expect(f.keepText(exp.texts[0]!)).toBe(false);
    // 22 pieces, the two 、 strip to nothing: 20 (the spec keeps it in [10, 25])
    expect(f.computeStat('去除字母、数字、下划线占比过低或过高的代码')).toBe(20);
  });

  it('word_repetition over pieces (rep_len 3): "line one\\nline two" -> 9/16', async () => {
    // pieces ▁ l i n e ▁ o n e ▁ l i n e ▁ t w o: 16 trigrams; ▁li, lin, ine twice, ne▁ three times
    const f = await createOpAsync<Filter>('word_repetition_filter', {
      tokenization: true,
      sp_model_path: SP,
      rep_len: 3,
    });
    expect(f.computeStat('line one\nline two')).toBeCloseTo(9 / 16, 12);
  });

  it('perplexity scores the pieces when sp_model_path is given', async () => {
    const arpa = fixturePath('tiny.arpa');
    const f = await createOpAsync<Filter>('perplexity_filter', { model_path: arpa, sp_model_path: SP });
    const lm = ArpaModel.load(arpa);
    const pieces = exp.pieces[0]!;
    const expected = 10 ** (-lm.score(pieces.join(' ')) / (pieces.length + 1));
    expect(f.computeStat(exp.texts[0]!)).toBe(Math.round(expected * 10) / 10);
  });

  it('a model is required, loaded before use, and a missing file is named', async () => {
    expect(() => createOp('words_num_filter', { tokenization: true, lang: 'zh' })).toThrow(
      /^words_num_filter\.sp_model_path: required when tokenization is true: the path of the SentencePiece model for lang "zh"/,
    );
    const f = createOp<Filter>('word_repetition_filter', { tokenization: true, sp_model_path: SP });
    expect(() => f.computeStat('x')).toThrow('word_repetition_filter: await op.prepare() first');
    expect(() => new Pipeline([f]).runTexts(['x'])).toThrow('await pipeline.prepare()');
    const bad = createOp<Filter>('words_num_filter', { tokenization: true, sp_model_path: '/nope/zh.sp.model' });
    await expect(bad.prepare()).rejects.toThrow('words_num_filter.sp_model_path: no such file: /nope/zh.sp.model');
  });

  it('streaming pipelines prepare their ops themselves', async () => {
    const p = new Pipeline([createOp('words_num_filter', { tokenization: true, sp_model_path: SP, min_num: 21 })]);
    const out: string[] = [];
    for await (const b of p.runBatches([
      [{ text: exp.texts[0]! }, { text: '去除字母、数字、下划线占比过低或过高的代码' }],
    ]))
      out.push(...b.map((s) => String(s.text)));
    expect(out).toEqual([exp.texts[0]]);
  });
});

describe('minhash with tokenization: sentencepiece', () => {
  it('shingles are window-size runs of pieces joined with "" (from the Python pieces)', async () => {
    const sp = await SentencePieceModel.load(SP);
    exp.texts.forEach((t, i) => {
      const pieces = exp.pieces[i]!;
      const want = new Set(
        pieces.slice(0, Math.max(0, pieces.length - 4)).map((_, k) => pieces.slice(k, k + 5).join('')),
      );
      expect(minhashShingles(t, 'sentencepiece', 5, (x) => sp.encodeAsPieces(x))).toEqual(want);
    });
  });

  it('deduplicates on the pieces of the lower-cased text; the model is required and loaded first', async () => {
    const d = await createOpAsync<Deduplicator>('document_minhash_deduplicator', {
      tokenization: 'sentencepiece',
      tokenizer_model: SP,
    });
    const [a, b] = [exp.texts[0]!, exp.texts[1]!];
    expect(d.dedupTexts([a, a.toUpperCase(), b, a])).toEqual([a, b]);
    const unprepared = createOp<Deduplicator>('document_minhash_deduplicator', {
      tokenization: 'sentencepiece',
      tokenizer_model: SP,
    });
    expect(() => unprepared.hashText(a)).toThrow('document_minhash_deduplicator: await op.prepare() first');
    const missing = createOp('document_minhash_deduplicator', {
      tokenization: 'sentencepiece',
      tokenizer_model: '/nope/x.model',
    });
    await expect(missing.prepare()).rejects.toThrow(
      'document_minhash_deduplicator.tokenizer_model: no such file: /nope/x.model',
    );
  });
});

describe('jieba word segmentation (opt-in, word_segmenter: jieba)', () => {
  it('counts segmented Chinese words instead of whitespace chunks', () => {
    const text = '机器学习是人工智能的一个分支，研究计算机如何学习。';
    // Data-Juicer parity: one whitespace chunk
    expect(createOp<Filter>('words_num_filter').computeStat(text)).toBe(1);
    // jieba: 机器/学习/是/人工智能/的/一个/分支/，/研究/计算机/如何/学习/。 -> the two punctuation marks strip away: 11
    expect(createOp<Filter>('words_num_filter', { word_segmenter: 'jieba' }).computeStat(text)).toBe(11);
  });
  it('word repetition over jieba words', () => {
    // 我们/学习 four times: 8 words, bigrams: 我们 学习 x4, 学习 我们 x3 -> all 7 repeated
    const f = createOp<Filter>('word_repetition_filter', { word_segmenter: 'jieba', rep_len: 2 });
    expect(f.computeStat('我们学习我们学习我们学习我们学习')).toBe(1);
  });
  it('bad params', () => {
    expect(() => createOp('words_num_filter', { word_segmenter: 'thulac' })).toThrow(
      'words_num_filter.word_segmenter: must be one of whitespace, jieba; got "thulac" (string)',
    );
    expect(() =>
      createOp('words_num_filter', { word_segmenter: 'jieba', tokenization: true, sp_model_path: SP }),
    ).toThrow('"jieba" applies only with tokenization: false');
  });
});
