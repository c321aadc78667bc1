import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  encodePackedHeader,
  PackedShardWriter,
  PackedWindowReader,
  readPackedManifest,
  windowPermutation,
  writePackedManifest,
} from './index.js';

const PAD = 151643;
const SEP = 151645;

/** An independent reader written from the format table (spec §2.4), not from the code under test. */
function readLitpkds(path: string): { dtypeCode: number; chunkSize: number; tokens: number[] } {
  const buf = readFileSync(path);
  expect(buf.subarray(0, 7).toString('latin1')).toBe('LITPKDS');
  expect(buf.readBigUInt64LE(7)).toBe(1n);
  const dtypeCode = buf.readUInt8(15);
  const chunkSize = Number(buf.readBigUInt64LE(16));
  expect(dtypeCode).toBe(4); // int32
  expect(buf.length).toBe(24 + chunkSize * 4);
  const tokens: number[] = [];
  for (let i = 0; i < chunkSize; i++) tokens.push(buf.readInt32LE(24 + 4 * i));
  return { dtypeCode, chunkSize, tokens };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'steel-packed-'));
}

// Documents of uneven lengths, each followed by the separator as the tokenize stage does.
function documents(): number[][] {
  const docs: number[][] = [];
  let next = 1;
  for (const len of [5, 1, 12, 0, 7, 30, 2]) {
    const d: number[] = [];
    for (let i = 0; i < len; i++) d.push(next++);
    d.push(SEP);
    docs.push(d);
  }
  return docs;
}

describe('LITPKDS header', () => {
  it('matches Steel’s header bytes for chunk size 2049 * 204800 (spec §2.4)', () => {
    const hex = Buffer.from(encodePackedHeader('int32', 2049 * 1024 * 200))
      .toString('hex')
      .match(/../g)!
      .join(' ');
    expect(hex).toBe('4c 49 54 50 4b 44 53 01 00 00 00 00 00 00 00 04 00 20 03 19 00 00 00 00');
  });
});

describe('PackedShardWriter', () => {
  it('writes full-size files, documents straddle files, the tail is padded with 151643', async () => {
    const dir = tmp();
    const blockSize = 3;
    const chunkBlocks = 2;
    const chunkSize = (blockSize + 1) * chunkBlocks; // 8 tokens per file
    const w = new PackedShardWriter({ outDir: dir, prefix: 'sky_process0', chunkSize, padId: PAD });
    const docs = documents();
    for (const d of docs) await w.add(d);
    const summary = await w.finish();
    const stream = docs.flat();
    expect(summary.tokens).toBe(stream.length);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.bin'))
      .sort();
    expect(files[0]).toBe('sky_process0_0000000000.bin');
    expect(files).toHaveLength(Math.ceil(stream.length / chunkSize));
    const all: number[] = [];
    for (const f of files) {
      const { chunkSize: cs, tokens } = readLitpkds(join(dir, f));
      expect(cs).toBe(chunkSize);
      all.push(...tokens);
    }
    const padCount = files.length * chunkSize - stream.length;
    expect(all).toEqual([...stream, ...new Array(padCount).fill(PAD)]);
    // Manifest facts are checked against the bytes on disk.
    for (const s of summary.shards) {
      const bytes = readFileSync(join(dir, s.file));
      expect(s.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(s.bytes).toBe(bytes.length);
    }
    expect(summary.shards.at(-1)!.padTokens).toBe(padCount);
    expect(summary.shards.reduce((a, s) => a + s.tokens, 0)).toBe(stream.length);
  });

  it('--steel-compat drops a last chunk at most 5 % full; the default keeps it', async () => {
    const chunkSize = 100;
    const tokens = Array.from({ length: 205 }, (_, i) => i + 1); // last chunk: 5 tokens = 5 %
    const keepDir = tmp();
    const keep = new PackedShardWriter({ outDir: keepDir, prefix: 'p', chunkSize, padId: PAD });
    await keep.add(tokens);
    const kept = await keep.finish();
    expect(kept.shards).toHaveLength(3);
    expect(kept.droppedTokens).toBe(0);
    const dropDir = tmp();
    const drop = new PackedShardWriter({ outDir: dropDir, prefix: 'p', chunkSize, padId: PAD, steelCompat: true });
    await drop.add(tokens);
    const dropped = await drop.finish();
    expect(dropped.shards).toHaveLength(2);
    expect(dropped.droppedTokens).toBe(5);
    // 6 % full is written even in Steel mode.
    const d2 = new PackedShardWriter({ outDir: tmp(), prefix: 'p', chunkSize, padId: PAD, steelCompat: true });
    await d2.add(tokens.concat([1]));
    expect((await d2.finish()).shards).toHaveLength(3);
  });

  it('an empty run writes nothing; bad ids and existing files are errors', async () => {
    const dir = tmp();
    const w = new PackedShardWriter({ outDir: dir, prefix: 'p', chunkSize: 4, padId: PAD });
    expect((await w.finish()).shards).toEqual([]);
    const bad = new PackedShardWriter({ outDir: dir, prefix: 'p', chunkSize: 4, padId: PAD });
    await expect(bad.add([1, -2])).rejects.toThrow(/token 1 = -2/);
    const a = new PackedShardWriter({ outDir: dir, prefix: 'p', chunkSize: 4, padId: PAD });
    await a.add([1, 2, 3, 4]);
    const b = new PackedShardWriter({ outDir: dir, prefix: 'p', chunkSize: 4, padId: PAD });
    await expect(b.add([1, 2, 3, 4])).rejects.toThrow(/output exists/);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]); // no temp files left
  });
});

async function packRun(dir: string, nFiles: number, windowSize: number, windowsPerFile: number): Promise<string[]> {
  const chunkSize = windowSize * windowsPerFile;
  const w = new PackedShardWriter({ outDir: dir, prefix: 'run', chunkSize, padId: PAD });
  // Token value = its global position, so every window is recognisable.
  await w.add(Int32Array.from({ length: chunkSize * nFiles }, (_, i) => i));
  const s = await w.finish();
  return s.shards.map((x) => join(dir, x.file));
}

describe('PackedWindowReader', () => {
  it('reads fixed windows at multiples of windowSize, each window once per epoch', async () => {
    const dir = tmp();
    const files = await packRun(dir, 3, 5, 4); // 12 windows of 5 tokens
    const r = await PackedWindowReader.open(files, { windowSize: 5, seed: 3407 });
    expect(r.epochLength).toBe(12);
    const seen = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const { tokens, file, window } = await r.next();
      const start = (file * 4 + window) * 5;
      expect(Array.from(tokens)).toEqual([start, start + 1, start + 2, start + 3, start + 4]);
      seen.add(start);
    }
    expect(seen.size).toBe(12);
    // Epoch 2: a different order of the same windows.
    const e1 = windowPermutation(12, 3407, 0);
    const e2 = windowPermutation(12, 3407, 1);
    expect(Array.from(e2).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(Array.from(e2)).not.toEqual(Array.from(e1));
    expect((await r.next()).epoch).toBe(1);
    await r.close();
  });

  it('resumes from a serialized state at exactly the next window, across epochs', async () => {
    const dir = tmp();
    const files = await packRun(dir, 2, 3, 5); // 10 windows
    const full = await PackedWindowReader.open(files, { windowSize: 3, seed: 7 });
    const expected: number[] = [];
    for (let i = 0; i < 27; i++) expected.push((await full.next()).tokens[0]!);
    await full.close();

    const a = await PackedWindowReader.open(files, { windowSize: 3, seed: 7 });
    const got: number[] = [];
    for (let i = 0; i < 13; i++) got.push((await a.next()).tokens[0]!);
    const saved = JSON.parse(JSON.stringify(a.state()));
    await a.close();
    const b = await PackedWindowReader.open(files, { windowSize: 3, seed: 7, state: saved });
    for (let i = 13; i < 27; i++) got.push((await b.next()).tokens[0]!);
    await b.close();
    expect(got).toEqual(expected);
    // Same seed, same order; another seed, another order.
    expect(Array.from(windowPermutation(10, 7, 0))).toEqual(Array.from(windowPermutation(10, 7, 0)));
    expect(Array.from(windowPermutation(10, 8, 0))).not.toEqual(Array.from(windowPermutation(10, 7, 0)));
  });

  it('shuffle: false reads in file order; rank/worldSize stride over files', async () => {
    const dir = tmp();
    const files = await packRun(dir, 3, 2, 2);
    const r = await PackedWindowReader.open(files, { windowSize: 2, shuffle: false, rank: 1, worldSize: 2 });
    expect(r.files).toEqual([files[1]]);
    expect(Array.from((await r.next()).tokens)).toEqual([4, 5]);
    expect(Array.from((await r.next()).tokens)).toEqual([6, 7]);
    await r.close();
  });

  it('rejects mismatched files, wrong window sizes, foreign states and bad magic', async () => {
    const d1 = tmp();
    const f1 = await packRun(d1, 1, 3, 2);
    const d2 = tmp();
    const f2 = await packRun(d2, 1, 4, 2);
    await expect(PackedWindowReader.open([...f1, ...f2], { windowSize: 3 })).rejects.toThrow(/differs from/);
    await expect(PackedWindowReader.open(f1, { windowSize: 4 })).rejects.toThrow(/not a multiple of windowSize 4/);
    const r = await PackedWindowReader.open(f1, { windowSize: 3 });
    const state = { ...r.state(), files: ['other.bin'] };
    await r.close();
    await expect(PackedWindowReader.open(f1, { windowSize: 3, state })).rejects.toThrow(/does not match/);
    const bad = join(d1, 'bad.bin');
    writeFileSync(bad, Buffer.alloc(64));
    await expect(PackedWindowReader.open([bad], { windowSize: 3 })).rejects.toThrow(
      /bad\.bin: not a packed token file/,
    );
  });
});

describe('manifest', () => {
  it('round-trips through manifest.json', async () => {
    const dir = tmp();
    const manifest = {
      format: 'LITPKDS' as const,
      version: 1 as const,
      dtype: 'int32' as const,
      chunkSize: 8,
      blockSize: 3,
      chunkBlocks: 2,
      padId: PAD,
      separatorId: SEP,
      tokenizer: { variant: 'qwen1.5' },
      sources: ['a.jsonl'],
      options: { textKey: 'text' },
      documents: 1,
      skippedDocuments: 0,
      tokens: 3,
      droppedTokens: 0,
      shards: [],
      createdAt: new Date(0).toISOString(),
    };
    await writePackedManifest(dir, manifest);
    expect(await readPackedManifest(dir)).toEqual(manifest);
  });
});
