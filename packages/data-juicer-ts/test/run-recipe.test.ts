import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRecipeObject, parseDatasetPath, runRecipe } from '../src/index.js';

const lines = (p: string) =>
  readFileSync(p, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('runRecipe', () => {
  it('reads, runs, writes data + stats + traces; bad records are counted, never fatal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dj-run-'));
    const input = join(dir, 'in.jsonl');
    writeFileSync(
      input,
      [
        JSON.stringify({ id: 1, text: '你好，世界。这是一段足够长的文本。' }),
        '{"id": 2, "text": broken json',
        JSON.stringify({ id: 3, text: null }),
        JSON.stringify({ id: 4, text: 'short' }),
        JSON.stringify({ id: 5, text: 12345 }),
        JSON.stringify({ id: 6, text: '你好，世界。这是一段足够长的文本。' }),
        JSON.stringify({ id: 7, text: '' }),
      ].join('\n'),
    );
    const recipe = loadRecipeObject({
      dataset_path: input,
      export_path: join(dir, 'out', 'result.jsonl'),
      open_tracer: true,
      process: [
        { punctuation_normalization_mapper: null },
        { text_length_filter: { min_len: 10 } },
        { document_deduplicator: null },
      ],
    });
    const errors: string[] = [];
    const s = await runRecipe(recipe, { onError: (e) => errors.push(e.error.message) });
    expect(lines(join(dir, 'out', 'result.jsonl'))).toEqual([{ id: 1, text: '你好,世界.这是一段足够长的文本.' }]);
    expect(s.statsPath).toBe(join(dir, 'out', 'result_stats.jsonl'));
    expect(lines(s.statsPath)).toEqual([{ __dj__stats__: { text_len: 17 } }]);
    expect(s.written).toBe(1);
    expect(s.droppedNoText).toBe(1);
    expect(s.input.rejected).toBe(1);
    expect(s.ops.map((o) => [o.name, o.in, o.out, o.errors])).toEqual([
      ['punctuation_normalization_mapper', 5, 4, 1],
      ['text_length_filter', 4, 2, 0],
      ['document_deduplicator', 2, 1, 0],
    ]);
    expect(errors).toEqual(['sample field "text" must be a string (got number)']);
    const trace = join(dir, 'out', 'trace');
    expect(lines(join(trace, 'filter-text_length_filter.jsonl')).map((r) => r.id)).toEqual([4, 7]);
    expect(lines(join(trace, 'mapper-punctuation_normalization_mapper.jsonl'))[0]).toEqual({
      'original text': '你好，世界。这是一段足够长的文本。',
      processed_text: '你好,世界.这是一段足够长的文本.',
    });
    expect(lines(join(trace, 'duplicate-document_deduplicator.jsonl'))[0].dup2.id).toBe(6);
    expect(existsSync(join(dir, 'out', 'result.jsonl'))).toBe(true);
  });

  it('dataset_path weights and a missing path', async () => {
    expect(parseDatasetPath('0.5 a.jsonl 1.0 dir/ c.parquet')).toEqual({
      paths: ['a.jsonl', 'dir/', 'c.parquet'],
      weights: [0.5, 1, 1],
    });
    await expect(runRecipe(loadRecipeObject({ process: [] }))).rejects.toThrow('dataset_path: required');
  });
});
