import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { type ReadOptions, readDataset, recordsFromBatch } from '../src/index.js';

const dirs: string[] = [];

/** A fresh temp folder, removed after the test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'steel-dataset-'));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Every record of a dataset as plain JS objects. */
export async function readAll(input: string | string[], opts?: ReadOptions): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const batch of readDataset(input, opts)) out.push(...recordsFromBatch(batch));
  return out;
}

export async function* asAsync<T>(items: T[]): AsyncGenerator<T> {
  for (const x of items) yield x;
}
