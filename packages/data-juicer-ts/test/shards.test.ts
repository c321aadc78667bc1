import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRecipeObject, mergeRecipeShards, runRecipe, runRecipeShard, shardFinalPath } from '../src/index.js';

const read = (p: string) => readFileSync(p, 'utf8').split('\n').filter(Boolean);

describe('sharded runs + global dedup pass', () => {
  it('3 shards then the merge pass equal a single-machine run, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dj-shards-'));
    const inDir = join(dir, 'in');
    mkdirSync(inDir);
    const texts: string[] = [];
    for (let i = 0; i < 60; i++) {
      // duplicates across files: every 7th text repeats an earlier one (upper-cased: same simhash)
      texts.push(i % 7 === 6 ? texts[i - 5]!.toUpperCase() : `document number ${i} has some words in it ok`);
    }
    for (let f = 0; f < 4; f++)
      writeFileSync(
        join(inDir, `part-${f}.jsonl`),
        texts
          .slice(f * 15, (f + 1) * 15)
          .map((text, k) => JSON.stringify({ id: f * 15 + k, text }))
          .join('\n'),
      );
    const process = [
      { whitespace_normalization_mapper: null },
      { text_length_filter: { min_len: 5 } },
      { document_simhash_deduplicator: null },
      { document_deduplicator: { lowercase: true } },
    ];
    const single = loadRecipeObject({ dataset_path: inDir, export_path: join(dir, 'out', 'single.jsonl'), process });
    await runRecipe(single);
    const sharded = loadRecipeObject({ dataset_path: inDir, export_path: join(dir, 'out', 'all.jsonl'), process });
    for (const i of [2, 0, 1]) await runRecipeShard(sharded, `${i}/3`);
    const m = await mergeRecipeShards(sharded, 3);
    expect(m.read).toBe(60);
    const merged = [0, 1, 2].flatMap((i) => read(shardFinalPath(join(dir, 'out', 'all.jsonl'), i, 3)));
    expect(merged).toEqual(read(join(dir, 'out', 'single.jsonl')));
    expect(merged.length).toBeLessThan(60);
    expect(m.dedup[0]!.out).toBe(merged.length);
    expect(JSON.parse(merged[0]!)).toEqual({ id: 0, text: texts[0] });
    const stats = [0, 1, 2].flatMap((i) => read(join(dir, 'out', `all-${i}-of-3_stats.jsonl`)));
    expect(stats).toEqual(read(join(dir, 'out', 'single_stats.jsonl')));
  });

  it('deduplicators must come last in a sharded run', async () => {
    const r = loadRecipeObject({
      dataset_path: '/nonexistent',
      process: [{ document_deduplicator: null }, { text_length_filter: null }],
    });
    await expect(runRecipeShard(r, '0/2')).rejects.toThrow('every deduplicator at the end of process');
  });
});
