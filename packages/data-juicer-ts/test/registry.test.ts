import { describe, expect, it } from 'vitest';
import {
  BUILTIN_OPS,
  createOp,
  createRegistry,
  defaultRegistry,
  type Filter,
  keepInRange,
  Mapper,
  ParamError,
  registerOp,
} from '../src/index.js';

describe('op registry and parameter validation', () => {
  it('holds every op of the spec', () => {
    const names = BUILTIN_OPS.map((o) => o.name).sort();
    expect(names).toEqual(
      [
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
        'perplexity_filter',
        'special_characters_filter',
        'text_length_filter',
        'word_repetition_filter',
        'words_num_filter',
        'document_deduplicator',
        'document_simhash_deduplicator',
        'document_minhash_deduplicator',
      ].sort(),
    );
  });

  it('fills Data-Juicer defaults', () => {
    const f = createOp<Filter>('text_length_filter');
    expect(f.params.min_len).toBe(10);
    expect(f.params.max_len).toBe(2 ** 63);
    expect(f.params.text_key).toBe('text');
    expect(createOp('character_repetition_filter').params).toMatchObject({ rep_len: 10, min_ratio: 0, max_ratio: 0.5 });
    expect(createOp('document_simhash_deduplicator').params).toMatchObject({
      tokenization: 'space',
      window_size: 6,
      lowercase: true,
      ignore_pattern: null,
      num_blocks: 6,
      hamming_distance: 4,
    });
  });

  it('an unknown op lists the known ones', () => {
    expect(() => createOp('text_len_filter')).toThrow(/unknown op "text_len_filter"\. Known ops: .*text_length_filter/);
  });

  it('an unknown parameter lists the valid ones', () => {
    expect(() => createOp('text_length_filter', { min_length: 3 })).toThrow(ParamError);
    expect(() => createOp('text_length_filter', { min_length: 3 })).toThrow(
      'text_length_filter: unknown parameter "min_length". Valid parameters: min_len, max_len, text_key,',
    );
  });

  it('a wrong type says what was given and what is allowed', () => {
    expect(() => createOp('text_length_filter', { min_len: '10' })).toThrow(
      'text_length_filter.min_len: expected an integer, got "10" (string)',
    );
    expect(() => createOp('text_length_filter', { min_len: 1.5 })).toThrow('expected an integer, got 1.5 (number)');
    expect(() => createOp('remove_repeat_sentences_mapper', { lowercase: 'yes' })).toThrow(
      'remove_repeat_sentences_mapper.lowercase: expected a boolean (true/false), got "yes" (string)',
    );
  });

  it('a value out of range says the bound', () => {
    expect(() => createOp('character_repetition_filter', { rep_len: 0 })).toThrow(
      'character_repetition_filter.rep_len: must be >= 1, got 0',
    );
    expect(() => createOp('character_repetition_filter', { max_ratio: 1.5 })).toThrow('must be <= 1, got 1.5');
    expect(() => createOp('chinese_convert_mapper', { mode: 'x2y' })).toThrow(
      /chinese_convert_mapper\.mode: must be one of s2t, t2s, .*; got "x2y"/,
    );
  });

  it('accepts the generic kwargs of Data-Juicer ops', () => {
    expect(() =>
      createOp('text_length_filter', { batch_size: 10, num_proc: 2, min_closed_interval: false }),
    ).not.toThrow();
  });

  it('users register their own ops through the same registry and schema validation', () => {
    const r = createRegistry();
    class Shout extends Mapper {
      processText(t: string) {
        return `${t}${'!'.repeat(this.params.times as number)}`;
      }
    }
    r.register({
      name: 'shout_mapper',
      kind: 'mapper',
      description: 'append exclamation marks',
      params: { times: { type: 'integer', default: 1, min: 0, description: 'how many' } },
      create: (p) => new Shout('shout_mapper', p),
    });
    expect((r.create('shout_mapper', { times: 3 }) as Mapper).processText('hi')).toBe('hi!!!');
    expect(() => r.create('shout_mapper', { times: -1 })).toThrow('shout_mapper.times: must be >= 0, got -1');
    expect(() => r.create('shout_mapper', { tims: 1 })).toThrow('Valid parameters: times, text_key');
    expect(() =>
      r.register({
        name: 'shout_mapper',
        kind: 'mapper',
        description: '',
        params: {},
        create: (p) => new Shout('x', p),
      }),
    ).toThrow('already registered');
    expect(defaultRegistry.has('shout_mapper')).toBe(false);
    registerOp(
      { name: 'shout_mapper_global', kind: 'mapper', description: '', params: {}, create: (p) => new Shout('x', p) },
      { replace: true },
    );
    expect(defaultRegistry.has('shout_mapper_global')).toBe(true);
  });

  it('keep rule: inclusive by default, closedness knobs, reversed range', () => {
    expect(keepInRange(10, 10, 20)).toBe(true);
    expect(keepInRange(20, 10, 20)).toBe(true);
    expect(keepInRange(10, 10, 20, false)).toBe(false);
    expect(keepInRange(20, 10, 20, true, false)).toBe(false);
    expect(keepInRange(15, 10, 20, true, true, true)).toBe(false);
    // reversed flips closedness (min becomes open) then negates: the bound itself counts as outside, so it is kept
    expect(keepInRange(10, 10, 20, true, true, true)).toBe(true);
    expect(keepInRange(5, 10, 20, true, true, true)).toBe(true);
    expect(keepInRange(25, 10, 20, true, true, true)).toBe(true);
  });
});
