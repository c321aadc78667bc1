import { fileURLToPath } from 'node:url';
import { batchFromRecords, recordsFromBatch } from '@steel/dataset';
import { describe, expect, it } from 'vitest';
import { createOp, loadRecipe, loadRecipeObject, Pipeline, RecipeError, type Sample } from '../src/index.js';

const recipePath = (name: string) => fileURLToPath(new URL(`../recipes/${name}`, import.meta.url));

describe('Pipeline', () => {
  const ops = () => [
    createOp('punctuation_normalization_mapper'),
    createOp('text_length_filter', { min_len: 5 }),
    createOp('document_deduplicator'),
    createOp('words_num_filter', { min_num: 2 }),
  ];

  it('runs mappers, filters and a deduplicator in order; reports per op', () => {
    const p = new Pipeline(ops());
    const out = p.runTexts(['你好，世界。', 'abc', '你好，世界。', 'one two three', 'single']);
    // mapper: 2 changed; length filter drops "abc"; dedup drops the second 你好; words_num drops 1-word texts
    expect(out).toEqual(['one two three']);
    expect(p.reports.map((r) => [r.name, r.in, r.out, r.changed])).toEqual([
      ['punctuation_normalization_mapper', 5, 5, 2],
      ['text_length_filter', 5, 4, 0],
      ['document_deduplicator', 4, 3, 0],
      ['words_num_filter', 3, 1, 0],
    ]);
  });

  it('drops only the sample an op fails on, counts and reports it', () => {
    const errors: string[] = [];
    const p = new Pipeline([createOp('text_length_filter', { min_len: 1 })], { onError: (e) => errors.push(e.op) });
    const out = p.runSamples([{ text: 'good' }, { text: 42 }, { notext: 'x' }, { text: 'also good' }]);
    expect(out.map((s) => s.text)).toEqual(['good', 'also good']);
    expect(p.reports[0]!.errors).toBe(2);
    expect(p.reports[0]!.errorSamples[0]).toBe('sample field "text" must be a string (got number)');
    expect(errors).toEqual(['text_length_filter', 'text_length_filter']);
  });

  it('stats and hashes are removed unless kept', () => {
    const samples: Sample[] = [{ text: 'hello world', id: 1 }];
    const ops2 = () => [createOp('text_length_filter'), createOp('document_simhash_deduplicator')];
    expect(new Pipeline(ops2()).runSamples(samples)).toEqual([{ text: 'hello world', id: 1 }]);
    const kept = new Pipeline(ops2(), { keepStats: true, keepHashes: true }).runSamples(samples)[0]!;
    expect(kept.__dj__stats__).toEqual({ text_len: 11 });
    expect(kept.__dj__simhash).toBe('0');
  });

  it('streams batches with the same result as the in-memory run, in input order', async () => {
    const texts = Array.from({ length: 50 }, (_, i) => (i % 7 === 0 ? 'dup text here' : `text number ${i} here`));
    const expected = new Pipeline(ops()).runTexts(texts);
    async function* source() {
      for (let i = 0; i < texts.length; i += 8) yield texts.slice(i, i + 8).map((text) => ({ text }));
    }
    const got: string[] = [];
    for await (const b of new Pipeline(ops()).runBatches(source(), 6)) got.push(...b.map((s) => String(s.text)));
    expect(got).toEqual(expected);
    expect(got.filter((t) => t === 'dup text here')).toHaveLength(1);
  });

  it('streams Arrow RecordBatches from @steel/dataset', async () => {
    const batch = batchFromRecords([
      { text: '第一，段。', n: 1 },
      { text: 'x', n: 2 },
    ]);
    const p = new Pipeline([
      createOp('punctuation_normalization_mapper'),
      createOp('text_length_filter', { min_len: 2 }),
    ]);
    const out: Record<string, unknown>[] = [];
    for await (const b of p.runRecordBatches([batch])) out.push(...recordsFromBatch(b));
    expect(out).toEqual([{ text: '第一,段.', n: 1 }]);
  });

  it('tracer records changed texts and removed samples up to trace_num', () => {
    const p = new Pipeline(
      [createOp('punctuation_normalization_mapper'), createOp('text_length_filter', { min_len: 3 })],
      {
        traceNum: 1,
      },
    );
    p.runTexts(['a，b', 'c，d', 'xy']);
    expect(p.trace).toEqual([
      { op: 'punctuation_normalization_mapper', index: 0, kind: 'mapper', original: 'a，b', processed: 'a,b' },
      { op: 'text_length_filter', index: 1, kind: 'filter', removed: { text: 'xy', __dj__stats__: { text_len: 2 } } },
    ]);
  });
});

describe('recipes', () => {
  it("loads Steel's text recipe: every op in order, text_key from text_keys, Data-Juicer defaults", () => {
    const r = loadRecipe(recipePath('steel_project_txt.yaml'));
    expect(r.warnings.filter((w) => w.includes('unknown key'))).toEqual([]);
    expect(r.ops.map((o) => o.name)).toEqual([
      'chinese_convert_mapper',
      'clean_email_mapper',
      'clean_html_mapper',
      'clean_ip_mapper',
      'clean_links_mapper',
      'clean_copyright_mapper',
      'expand_macro_mapper',
      'fix_unicode_mapper',
      'punctuation_normalization_mapper',
      'remove_repeat_sentences_mapper',
      'remove_specific_chars_mapper',
      'whitespace_normalization_mapper',
      'alphanumeric_filter',
      'average_line_length_filter',
      'character_repetition_filter',
      'maximum_line_length_filter',
      'special_characters_filter',
      'text_length_filter',
      'words_num_filter',
      'word_repetition_filter',
      'document_simhash_deduplicator',
    ]);
    expect(r.config.np).toBe(20);
    const mll = r.ops.find((o) => o.name === 'maximum_line_length_filter')!;
    expect(mll.params).toMatchObject({ min_len: 10, max_len: 1000, text_key: 'text' });
  });

  it("loads Steel's code recipe (ignore_pattern \\p{P})", () => {
    const r = loadRecipe(recipePath('steel_project_starcode.yaml'));
    const sim = r.ops.at(-1)!;
    expect(sim.params.ignore_pattern).toBe('\\p{P}');
    expect((sim as unknown as { hashText(t: string): string }).hashText('a, b. c! d e f g')).toBe(
      (createOp('document_simhash_deduplicator') as unknown as { hashText(t: string): string }).hashText(
        'a b c d e f g',
      ),
    );
  });

  it('unknown keys warn; only the first text key is used', () => {
    const r = loadRecipeObject({
      text_keys: ['content', 'other'],
      nonsense: 1,
      process: [{ text_length_filter: null }],
    });
    expect(r.warnings).toContain('recipe: unknown key "nonsense" ignored');
    expect(r.ops[0]!.textKey).toBe('content');
  });

  it('errors say where in the recipe', () => {
    expect(() =>
      loadRecipeObject({ process: [{ clean_html_mapper: null }, { text_length_filter: { min: 3 } }] }),
    ).toThrow('recipe: process[1]: text_length_filter: unknown parameter "min". Valid parameters: min_len, max_len,');
    expect(() => loadRecipeObject({ process: [{ a: 1, b: 2 }] })).toThrow(RecipeError);
    expect(() => loadRecipeObject({ process: [{ perplexity_filter: { lang: 'zh', max_ppl: 1500 } }] })).toThrow(
      'recipe: process[0]: perplexity_filter.model_path: required',
    );
  });
});
