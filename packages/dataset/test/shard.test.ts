import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFromRecords, DoneMarkers, parseShardSpec, shardOf, splitIntoShards } from '../src/index.js';
import { readAll, tempDir } from './helpers.js';

describe('parseShardSpec', () => {
  it('parses i/N and explains what is wrong otherwise', () => {
    expect(parseShardSpec('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShardSpec(' 3 / 4 ')).toEqual({ index: 3, count: 4 });
    expect(() => parseShardSpec('4/4')).toThrow('bad shard "4/4": index 4 is out of range, use 0..3 (0-based)');
    expect(() => parseShardSpec('1/0')).toThrow(/shard count N must be at least 1/);
    expect(() => parseShardSpec('1of4')).toThrow(/expected i\/N/);
    expect(() => parseShardSpec('-1/4')).toThrow(/expected i\/N/);
  });
});

describe('shardOf', () => {
  it('gives contiguous, balanced shards whose concatenation is the input', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    const shards = [0, 1, 2, 3].map((i) => shardOf(items, i, 4));
    expect(shards).toEqual([
      [0, 1, 2],
      [3, 4],
      [5, 6, 7],
      [8, 9],
    ]);
    expect(shardOf(items, 0, 1)).toEqual(items);
    expect(shardOf([1, 2], 2, 3)).toEqual([]);
    expect([0, 1, 2, 3, 4].map((i) => shardOf([1, 2], i, 5).length)).toEqual([1, 0, 1, 0, 0]);
    expect(() => shardOf(items, 4, 4)).toThrow(/0\.\.3/);
  });
});

describe('splitIntoShards', () => {
  it('sends row r to shard r mod N, deterministically, whatever the batch sizes', async () => {
    const records = Array.from({ length: 23 }, (_, i) => ({ i, text: `t${i}` }));
    const d1 = tempDir();
    const d2 = tempDir();
    const batchesA = [batchFromRecords(records.slice(0, 10)), batchFromRecords(records.slice(10))];
    const batchesB = [0, 7, 8, 20].map((s, k, a) => batchFromRecords(records.slice(s, a[k + 1] ?? 23)));
    const sa = await splitIntoShards(batchesA, d1, 3, { extension: 'jsonl' });
    await splitIntoShards(batchesB, d2, 3, { extension: 'jsonl' });
    expect(sa.map((s) => s.rows)).toEqual([8, 8, 7]);
    expect(readdirSync(d1).sort()).toEqual(['part-0-of-3.jsonl', 'part-1-of-3.jsonl', 'part-2-of-3.jsonl']);
    for (let s = 0; s < 3; s++) {
      const a = await readAll(join(d1, readdirSync(d1).sort()[s]!));
      const b = await readAll(join(d2, readdirSync(d2).sort()[s]!));
      expect(a).toEqual(records.filter((r) => r.i % 3 === s));
      expect(b).toEqual(a);
    }
  });

  it('writes parquet shards by default', async () => {
    const d = tempDir();
    const records = Array.from({ length: 5 }, (_, i) => ({ i }));
    await splitIntoShards([batchFromRecords(records)], d, 2);
    expect(readdirSync(d).sort()).toEqual(['part-0-of-2.parquet', 'part-1-of-2.parquet']);
    expect(await readAll(join(d, 'part-1-of-2.parquet'))).toEqual([{ i: 1 }, { i: 3 }]);
  });
});

describe('DoneMarkers', () => {
  it('marks shards done atomically so a re-run skips them', async () => {
    const d = tempDir();
    const markers = new DoneMarkers(join(d, 'done'));
    const ran: number[] = [];
    const run = async () => {
      for (let s = 0; s < 4; s++) {
        const key = `shard-${s}`;
        if (await markers.isDone(key)) continue;
        ran.push(s);
        if (s === 2 && ran.length === 3) throw new Error('worker crashed on shard 2');
        await markers.markDone(key, { rows: s * 10 });
      }
    };
    await expect(run()).rejects.toThrow('crashed');
    expect(ran).toEqual([0, 1, 2]);
    await run();
    expect(ran).toEqual([0, 1, 2, 2, 3]);
    expect(await markers.info('shard-1')).toMatchObject({ key: 'shard-1', rows: 10 });
    expect(readdirSync(join(d, 'done')).sort()).toEqual([
      'shard-0.done.json',
      'shard-1.done.json',
      'shard-2.done.json',
      'shard-3.done.json',
    ]);
    await expect(markers.isDone('../escape')).rejects.toThrow(/bad done-marker key/);
  });
});
