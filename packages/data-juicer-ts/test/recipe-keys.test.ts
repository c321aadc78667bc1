import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contiguousShardRanges, loadRecipeObject, mixtureIndices, runRecipe } from '../src/index.js';

const lines = (p: string) =>
  readFileSync(p, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

function writeJsonl(path: string, n: number, prefix: string) {
  writeFileSync(
    path,
    Array.from({ length: n }, (_, i) =>
      JSON.stringify({ id: `${prefix}${i}`, text: `${prefix} sample number ${i} with enough text` }),
    ).join('\n'),
  );
}

describe('export_shard_size', () => {
  it('HF contiguous shard ranges: the first rows % n shards get one extra row', () => {
    expect(contiguousShardRanges(10, 3)).toEqual([
      [0, 4],
      [4, 7],
      [7, 10],
    ]);
    expect(contiguousShardRanges(2, 3)).toEqual([
      [0, 1],
      [1, 2],
      [2, 2],
    ]);
  });

  it('splits the export into ceil(bytes / size) files named <base>-i-of-n, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dj-shardsize-'));
    writeJsonl(join(dir, 'in.jsonl'), 10, 'a');
    const bytes = lines(join(dir, 'in.jsonl')).reduce((s, r) => s + Buffer.byteLength(JSON.stringify(r)), 0);
    const size = Math.ceil(bytes / 3); // → 3 shards
    const r = loadRecipeObject({
      dataset_path: join(dir, 'in.jsonl'),
      export_path: join(dir, 'out', 'res.jsonl'),
      export_shard_size: size,
      process: [{ text_length_filter: { min_len: 1 } }],
    });
    const s = await runRecipe(r);
    expect(s.exportPaths).toEqual([0, 1, 2].map((i) => join(dir, 'out', `res-${i}-of-3.jsonl`)));
    expect(existsSync(join(dir, 'out', 'res.jsonl'))).toBe(false);
    expect(s.exportPaths.map((p) => lines(p).length)).toEqual([4, 3, 3]);
    expect(s.exportPaths.flatMap(lines)).toEqual(lines(join(dir, 'in.jsonl')));
  });
});

describe('dataset_path mixture weights', () => {
  it('selects ceil(n·w) rows: all in order for w = 1, distinct rows for w < 1, cycles for w > 1', () => {
    expect(mixtureIndices(5, 1)).toEqual([0, 1, 2, 3, 4]);
    const half = mixtureIndices(10, 0.45);
    expect(half).toHaveLength(5);
    expect(new Set(half).size).toBe(5);
    expect(half.every((i) => i >= 0 && i < 10)).toBe(true);
    const more = mixtureIndices(4, 2.5);
    expect(more).toHaveLength(10);
    expect([...more.slice(0, 4)].sort()).toEqual([0, 1, 2, 3]);
    expect(more.slice(4, 8)).toEqual(more.slice(0, 4));
    expect(mixtureIndices(10, 0.45)).toEqual(half); // deterministic
    expect(mixtureIndices(10, 0)).toEqual([]);
  });

  it('"0.5 a.jsonl b.jsonl" reads half of a (rounded up) and all of b', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dj-mix-'));
    writeJsonl(join(dir, 'a.jsonl'), 7, 'a');
    writeJsonl(join(dir, 'b.jsonl'), 3, 'b');
    const r = loadRecipeObject({
      dataset_path: `0.5 ${join(dir, 'a.jsonl')} ${join(dir, 'b.jsonl')}`,
      export_path: join(dir, 'out.jsonl'),
      process: [{ whitespace_normalization_mapper: null }],
    });
    const s = await runRecipe(r);
    expect(s.written).toBe(4 + 3);
    const ids = lines(join(dir, 'out.jsonl')).map((x) => x.id as string);
    expect(ids.slice(0, 4).every((id) => id.startsWith('a'))).toBe(true);
    expect(new Set(ids.slice(0, 4)).size).toBe(4);
    expect(ids.slice(4)).toEqual(['b0', 'b1', 'b2']);
  });
});

describe('use_checkpoint', () => {
  it('an interrupted run resumes after the last finished op and gives the uninterrupted result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dj-ckpt-'));
    const input = join(dir, 'in.jsonl');
    writeFileSync(
      input,
      ['  hello   world, this is long ', 'short', '  hello   world, this is long ', 'another fine sentence here']
        .map((text, id) => JSON.stringify({ id, text }))
        .join('\n'),
    );
    const process = [
      { whitespace_normalization_mapper: null },
      { text_length_filter: { min_len: 10 } },
      { document_deduplicator: null },
    ];
    const plain = await runRecipe(
      loadRecipeObject({ dataset_path: input, export_path: join(dir, 'plain', 'out.jsonl'), process }),
    );
    const recipe = loadRecipeObject({
      dataset_path: input,
      export_path: join(dir, 'ck', 'out.jsonl'),
      use_checkpoint: true,
      process,
    });
    expect(recipe.warnings).toEqual([]);
    // Interrupt during the third op (each op is its own pass; progress is reported once per input batch).
    let calls = 0;
    await expect(
      runRecipe(recipe, {
        onProgress: () => {
          if (++calls === 3) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    const state = JSON.parse(readFileSync(join(dir, 'ck', 'ckpt', 'state.json'), 'utf8'));
    expect(state.done).toBe(1);
    expect(readdirSync(join(dir, 'ck', 'ckpt')).filter((f) => f.startsWith('op-'))).toContain('op-1.jsonl');
    let resumedCalls = 0;
    const resumed = await runRecipe(recipe, { onProgress: () => resumedCalls++ });
    expect(resumed.resumedFrom).toBe(2);
    expect(resumedCalls).toBe(1); // only the last op ran
    expect(lines(join(dir, 'ck', 'out.jsonl'))).toEqual(lines(join(dir, 'plain', 'out.jsonl')));
    expect(lines(join(dir, 'ck', 'out_stats.jsonl'))).toEqual(lines(join(dir, 'plain', 'out_stats.jsonl')));
    expect(resumed.ops.map((o) => [o.name, o.in, o.out])).toEqual(plain.ops.map((o) => [o.name, o.in, o.out]));
    expect(existsSync(join(dir, 'ck', 'ckpt'))).toBe(false);
    // a completed run removed its checkpoints, so the next run starts from the first op
    const fresh = await runRecipe(recipe);
    expect(fresh.resumedFrom).toBe(0);
  });
});
