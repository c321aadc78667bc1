import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PackedManifest, type PackedShardInfo, PackedShardWriter, writePackedManifest } from '@steel/dataset';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `steel-trainer-${prefix}-`));
}

/**
 * Writes `files` LITPKDS shards of `chunkSize` tokens into `dir` + manifest.json. Token k of the source (over all
 * files) is `base + k` mod `mod`, so a window is identified by its first token when mod is large.
 */
export async function makePacked(
  dir: string,
  o: {
    files: number;
    chunkSize: number;
    base?: number;
    mod?: number;
    prefix?: string;
    startIndex?: number;
    previous?: PackedShardInfo[];
  },
): Promise<PackedShardInfo[]> {
  const w = new PackedShardWriter({
    outDir: dir,
    prefix: o.prefix ?? 'part',
    chunkSize: o.chunkSize,
    padId: 0,
    dtype: 'int32',
    startIndex: o.startIndex ?? 0,
  });
  const n = o.files * o.chunkSize;
  const mod = o.mod ?? 2 ** 31 - 1;
  const base = o.base ?? 0;
  await w.add(Int32Array.from({ length: n }, (_, k) => (base + k) % mod));
  const summary = await w.finish();
  const shards = [...(o.previous ?? []), ...summary.shards];
  const manifest: PackedManifest = {
    format: 'LITPKDS',
    version: 1,
    dtype: 'int32',
    chunkSize: o.chunkSize,
    blockSize: 0,
    chunkBlocks: 0,
    padId: 0,
    separatorId: null,
    tokenizer: {},
    sources: [],
    options: {},
    documents: 0,
    skippedDocuments: 0,
    tokens: shards.reduce((a, s) => a + s.tokens, 0),
    droppedTokens: 0,
    shards,
    createdAt: new Date(0).toISOString(),
  };
  await writePackedManifest(dir, manifest);
  return shards;
}
