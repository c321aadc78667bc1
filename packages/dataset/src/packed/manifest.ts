// manifest.json beside a packed run: what each shard holds and how the run was made.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomically } from '../atomic.js';
import type { PackedDtype } from './format.js';
import type { PackedShardInfo } from './writer.js';

export const PACKED_MANIFEST_NAME = 'manifest.json';

export interface PackedManifest {
  format: 'LITPKDS';
  version: 1;
  dtype: PackedDtype;
  /** Tokens per file = (blockSize + 1) * chunkBlocks. */
  chunkSize: number;
  blockSize: number;
  chunkBlocks: number;
  padId: number;
  /** The id appended after every document (Steel: 151645 `<|im_end|>`), or null. */
  separatorId: number | null;
  /** Tokenizer identity (variant, vocabulary file, engine...), as the producer reports it. */
  tokenizer: Record<string, unknown>;
  /** Input files, in reading order. */
  sources: string[];
  /** Options of the run (text key, shard i/N, steelCompat, allowSpecial...). */
  options: Record<string, unknown>;
  documents: number;
  /** Documents skipped (bad records), by the producer's count. */
  skippedDocuments: number;
  /** Input tokens in the shards (pad fill not counted). */
  tokens: number;
  /** Input tokens of a dropped last chunk (steelCompat). */
  droppedTokens: number;
  shards: PackedShardInfo[];
  createdAt: string;
}

export async function writePackedManifest(
  dir: string,
  manifest: PackedManifest,
  name = PACKED_MANIFEST_NAME,
): Promise<string> {
  const path = join(dir, name);
  await writeAtomically(path, true, async (tmp) => {
    await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  });
  return path;
}

export async function readPackedManifest(dir: string, name = PACKED_MANIFEST_NAME): Promise<PackedManifest> {
  const path = join(dir, name);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read packed manifest ${path}: ${(err as Error).message}`);
  }
  const m = JSON.parse(text) as PackedManifest;
  if (m.format !== 'LITPKDS' || !Array.isArray(m.shards)) throw new Error(`${path} is not a packed-run manifest`);
  return m;
}
