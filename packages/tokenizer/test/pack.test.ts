import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDataset, recordsFromBatch } from '@steel/dataset';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENDOFTEXT_ID, IM_END_ID, loadTokenizer, packTexts, type QwenTokenizer } from '../src/index.js';

let tok: QwenTokenizer;
beforeAll(async () => {
  tok = await loadTokenizer({ variant: 'qwen1.5' });
});

/** Reads every .bin of a folder in name order with a reader written from the spec's byte table (§2.4). */
function readAll(dir: string): { chunkSizes: number[]; tokens: number[] } {
  const chunkSizes: number[] = [];
  const tokens: number[] = [];
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.bin'))
    .sort()) {
    const b = readFileSync(join(dir, f));
    expect(b.subarray(0, 7).toString('ascii')).toBe('LITPKDS');
    expect(b.readBigUInt64LE(7)).toBe(1n);
    expect(b[15]).toBe(4);
    const n = Number(b.readBigUInt64LE(16));
    chunkSizes.push(n);
    for (let i = 0; i < n; i++) tokens.push(b.readInt32LE(24 + 4 * i));
  }
  return { chunkSizes, tokens };
}

const DOCS = ['钢铁是怎样炼成的。', 'def f():\n    return 1\n', '', 'text with <|im_end|> inside', '👩‍👩‍👧 🇨🇳'];

describe('packTexts', () => {
  it('writes encode(doc) + <|im_end|> for every document, in order, tail padded with <|endoftext|>', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'steel-pack-'));
    const { manifest } = await packTexts(tok, [DOCS.slice(0, 2), DOCS.slice(2)], {
      outDir: dir,
      blockSize: 7,
      chunkBlocks: 2,
      sources: ['x.jsonl'],
    });
    const expected: number[] = [];
    for (const d of DOCS) expected.push(...(await tok.encode(d)), IM_END_ID);
    const { chunkSizes, tokens } = readAll(dir);
    expect(new Set(chunkSizes)).toEqual(new Set([16]));
    expect(tokens.slice(0, expected.length)).toEqual(expected);
    expect(tokens.slice(expected.length).every((t) => t === ENDOFTEXT_ID)).toBe(true);
    expect(tokens.length - expected.length).toBeLessThan(16);
    // The special-token string in a document stayed plain text: exactly one <|im_end|> per document.
    expect(tokens.filter((t) => t === IM_END_ID)).toHaveLength(DOCS.length);
    expect(manifest.documents).toBe(5);
    expect(manifest.tokens).toBe(expected.length);
    expect(manifest.shards.map((s) => s.file)).toEqual(
      readdirSync(dir)
        .filter((x) => x.endsWith('.bin'))
        .sort(),
    );
    expect(manifest.tokenizer.variant).toBe('qwen1.5');
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).shards).toHaveLength(manifest.shards.length);
  });

  it('allowSpecial reproduces Steel: a special-token string becomes its control id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'steel-pack-'));
    await packTexts(tok, [['a<|im_end|>b']], { outDir: dir, blockSize: 3, chunkBlocks: 2, allowSpecial: true });
    const { tokens } = readAll(dir);
    expect(tokens.slice(0, 4)).toEqual([...(await tok.encode('a')), IM_END_ID, ...(await tok.encode('b')), IM_END_ID]);
  });

  it('arrowOutput writes one input_ids list per document, without the separator', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'steel-pack-'));
    const arrowPath = join(dir, 'ids.arrow');
    await packTexts(tok, [DOCS.slice(0, 3), DOCS.slice(3)], {
      outDir: dir,
      blockSize: 7,
      chunkBlocks: 2,
      arrowOutput: arrowPath,
    });
    const rows: unknown[] = [];
    for await (const batch of readDataset(arrowPath)) rows.push(...recordsFromBatch(batch));
    const expected = await Promise.all(DOCS.map(async (d) => ({ input_ids: await tok.encode(d) })));
    expect(rows.map((r) => ({ input_ids: ((r as { input_ids: unknown[] }).input_ids ?? []).map(Number) }))).toEqual(
      expected,
    );
  });

  it('rejects bad sizes', async () => {
    await expect(packTexts(tok, [], { outDir: tmpdir(), blockSize: 0 })).rejects.toThrow(
      /blockSize must be a positive integer/,
    );
  });
});
