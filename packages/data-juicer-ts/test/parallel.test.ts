import { describe, expect, it } from 'vitest';
import { createOp, Pipeline, type Sample } from '../src/index.js';

// Worker threads run the built package (dist/worker.js); Nx builds it before this package's tests.
const ops = () => [
  createOp('punctuation_normalization_mapper'),
  createOp('text_length_filter', { min_len: 8 }),
  createOp('words_num_filter', { min_num: 2 }),
  createOp('document_deduplicator'),
  createOp('character_repetition_filter', { rep_len: 3, max_ratio: 0.9 }),
];

function corpus(): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < 400; i++) {
    if (i % 37 === 0) out.push({ id: i, text: 12345 });
    else if (i % 5 === 0) out.push({ id: i, text: '重复的，文本 在这里。' });
    else out.push({ id: i, text: `第${i}段，文本 内容${'啊'.repeat(i % 13)}。` });
  }
  return out;
}

async function collect(p: Pipeline, samples: Sample[], batch: number): Promise<Sample[]> {
  async function* src() {
    for (let i = 0; i < samples.length; i += batch) yield samples.slice(i, i + batch);
  }
  const got: Sample[] = [];
  for await (const b of p.runBatches(src())) got.push(...b);
  return got;
}

describe('parallel pipeline (worker threads)', () => {
  it('gives the same samples, order and per-op counts as one thread', async () => {
    const one = new Pipeline(ops());
    const two = new Pipeline(ops(), { workers: 2 });
    const errors: string[] = [];
    const three = new Pipeline(ops(), { workers: 3, onError: (e) => errors.push(e.op) });
    const a = await collect(one, corpus(), 16);
    const b = await collect(two, corpus(), 16);
    const c = await collect(three, corpus(), 7);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(a.length).toBeGreaterThan(100);
    const counts = (p: Pipeline) => p.reports.map((r) => [r.name, r.in, r.out, r.changed, r.errors]);
    expect(counts(two)).toEqual(counts(one));
    expect(counts(three)).toEqual(counts(one));
    expect(one.reports[0]!.errors).toBe(11);
    expect(errors).toHaveLength(11);
  });

  it('a user op not known to the workers fails with a clear message', async () => {
    const { Mapper } = await import('../src/index.js');
    class Upper extends Mapper {
      processText(t: string) {
        return t.toUpperCase();
      }
    }
    const p = new Pipeline([new Upper('my_upper_mapper', { text_key: 'text' })], { workers: 2 });
    await expect(collect(p, [{ text: 'a' }], 1)).rejects.toThrow(/pipeline worker: unknown op "my_upper_mapper"/);
  });
});

describe('runRecipe with np', () => {
  it('np: 2 writes the same output as one thread', async () => {
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadRecipeObject, runRecipe } = await import('../src/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'dj-np-'));
    const input = join(dir, 'in.jsonl');
    writeFileSync(
      input,
      corpus()
        .map((s) => JSON.stringify(s))
        .join('\n'),
    );
    const process = [
      { punctuation_normalization_mapper: null },
      { text_length_filter: { min_len: 8 } },
      { document_deduplicator: null },
    ];
    await runRecipe(loadRecipeObject({ dataset_path: input, export_path: join(dir, 'one.jsonl'), process }));
    await runRecipe(loadRecipeObject({ dataset_path: input, export_path: join(dir, 'two.jsonl'), np: 2, process }));
    expect(readFileSync(join(dir, 'two.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'one.jsonl'), 'utf8'));
    expect(() => loadRecipeObject({ np: 0 })).toThrow('np must be a positive integer, got 0');
  });
});
