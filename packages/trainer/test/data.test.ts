import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataConsistencyError, DataLoader } from '../src/index.js';
import { makePacked, tempDir } from './helpers.js';

const WS = 5; // window = seq 4 + 1
const firsts = (b: Int32Array) => Array.from({ length: b.length / WS }, (_, i) => b[i * WS]!);

describe('DataLoader', () => {
  it('visits every window once per epoch in a seeded order, windows aligned at multiples of the window size', async () => {
    const dir = tempDir('epoch');
    await makePacked(dir, { files: 3, chunkSize: 20 }); // 12 windows
    const dl = await DataLoader.open([{ dir }], { windowSize: WS, seed: 3 });
    const e1 = firsts(await dl.nextBatch(12));
    expect([...e1].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i * WS));
    expect(e1).not.toEqual([...e1].sort((a, b) => a - b)); // shuffled
    const b = await dl.nextBatch(1);
    expect(Array.from(b)).toEqual(Array.from({ length: WS }, (_, t) => b[0]! + t)); // contiguous tokens
    const e2 = firsts(new Int32Array([...b, ...(await dl.nextBatch(11))]));
    expect([...e2].sort((x, y) => x - y)).toEqual([...e1].sort((x, y) => x - y));
    expect(e2).not.toEqual(e1); // a fresh permutation each epoch
    const again = await DataLoader.open([{ dir }], { windowSize: WS, seed: 3 });
    expect(firsts(await again.nextBatch(12))).toEqual(e1); // same seed, same order
    await dl.close();
    await again.close();
  });

  it('resumes from a saved state at exactly the next window (across an epoch boundary too)', async () => {
    const dir = tempDir('resume');
    await makePacked(dir, { files: 2, chunkSize: 25 }); // 10 windows
    const full = await DataLoader.open([{ dir }], { windowSize: WS, seed: 9 });
    const all = firsts(await full.nextBatch(27));
    const part = await DataLoader.open([{ dir }], { windowSize: WS, seed: 9 });
    const head = firsts(await part.nextBatch(13));
    const state = JSON.parse(JSON.stringify(part.state()));
    const resumed = await DataLoader.open([{ dir }], { windowSize: WS, seed: 9, state });
    expect([...head, ...firsts(await resumed.nextBatch(14))]).toEqual(all);
    await Promise.all([full.close(), part.close(), resumed.close()]);
  });

  it('mixes sources by weight, deterministically', async () => {
    const a = tempDir('mix-a');
    const b = tempDir('mix-b');
    await makePacked(a, { files: 1, chunkSize: 500, base: 0 });
    await makePacked(b, { files: 1, chunkSize: 500, base: 1_000_000 });
    const specs = [
      { name: 'a', dir: a, weight: 3 },
      { name: 'b', dir: b, weight: 1 },
    ];
    const dl = await DataLoader.open(specs, { windowSize: WS, seed: 1 });
    const f = firsts(await dl.nextBatch(2000));
    const fromA = f.filter((x) => x < 1_000_000).length / f.length;
    expect(fromA).toBeGreaterThan(0.72);
    expect(fromA).toBeLessThan(0.78);
    const dl2 = await DataLoader.open(specs, { windowSize: WS, seed: 1 });
    expect(firsts(await dl2.nextBatch(2000))).toEqual(f);
    await Promise.all([dl.close(), dl2.close()]);
  });

  it('refuses a changed shard (sha256 vs manifest and vs checkpoint) unless allowDataChange', async () => {
    const dir = tempDir('changed');
    const shards = await makePacked(dir, { files: 2, chunkSize: 20 });
    const dl = await DataLoader.open([{ dir }], { windowSize: WS, seed: 1 });
    await dl.nextBatch(3);
    const state = dl.state();
    await dl.close();
    const file = join(dir, shards[1]!.file);
    const bytes = readFileSync(file);
    bytes[30] = bytes[30]! ^ 1;
    writeFileSync(file, bytes);
    await expect(DataLoader.open([{ dir }], { windowSize: WS, seed: 1, state })).rejects.toThrow(DataConsistencyError);
    await expect(DataLoader.open([{ dir }], { windowSize: WS, seed: 1, state })).rejects.toThrow(
      /part_0000000001\.bin changed since it was packed .*allowDataChange/,
    );
    const ok = await DataLoader.open([{ dir }], { windowSize: WS, seed: 1, state, allowDataChange: true });
    await ok.nextBatch(1);
    await ok.close();
  });

  it('appends new shards: trained windows keep their place, the untrained rest and the new windows are reshuffled', async () => {
    const dir = tempDir('append');
    const old = await makePacked(dir, { files: 2, chunkSize: 40 }); // 16 windows, tokens 0..79
    const dl = await DataLoader.open([{ dir }], { windowSize: WS, seed: 5 });
    const trained = firsts(await dl.nextBatch(6));
    const state = dl.state();
    const plain = await DataLoader.open([{ dir }], { windowSize: WS, seed: 5, state });
    const untouchedRest = firsts(await plain.nextBatch(10));
    await Promise.all([dl.close(), plain.close()]);

    await makePacked(dir, { files: 1, chunkSize: 40, base: 1000, startIndex: 2, previous: old }); // 8 new windows
    await expect(DataLoader.open([{ dir }], { windowSize: WS, seed: 5, state })).rejects.toThrow(
      /1 shard\(s\) were added since the checkpoint .*appendNewData/,
    );
    const app = await DataLoader.open([{ dir }], { windowSize: WS, seed: 5, state, appendNewData: true });
    const rest = firsts(await app.nextBatch(18));
    const newWindows = Array.from({ length: 8 }, (_, i) => 1000 + i * WS);
    // the rest of this epoch: exactly the old untrained windows and the new ones, each once, none already trained
    expect([...rest].sort((a, b) => a - b)).toEqual([...untouchedRest, ...newWindows].sort((a, b) => a - b));
    expect(rest.some((x) => trained.includes(x))).toBe(false);
    expect(rest.slice(0, 10)).not.toEqual(untouchedRest); // reshuffled, not just appended at the end
    // resuming after the append reproduces it, and the next epoch covers all 24 windows
    const st2 = app.state();
    const next = firsts(await app.nextBatch(24));
    expect([...next].sort((a, b) => a - b)).toEqual(
      [...Array.from({ length: 16 }, (_, i) => i * WS), ...newWindows].sort((a, b) => a - b),
    );
    const again = await DataLoader.open([{ dir }], { windowSize: WS, seed: 5, state: st2 });
    expect(firsts(await again.nextBatch(24))).toEqual(next);
    await Promise.all([app.close(), again.close()]);
  });
});
