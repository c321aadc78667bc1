import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat, listDatasetFiles } from '../src/index.js';
import { tempDir } from './helpers.js';

describe('detectFormat', () => {
  it('maps extensions to format and compression', () => {
    expect(detectFormat('a/b.jsonl')).toEqual({ format: 'jsonl', compression: 'none' });
    expect(detectFormat('b.JSONL.GZ')).toEqual({ format: 'jsonl', compression: 'gzip' });
    expect(detectFormat('b.jsonl.zst')).toEqual({ format: 'jsonl', compression: 'zstd' });
    expect(detectFormat('x.ndjson')).toEqual({ format: 'jsonl', compression: 'none' });
    expect(detectFormat('x.json')).toEqual({ format: 'json', compression: 'none' });
    expect(detectFormat('x.csv.gz')).toEqual({ format: 'csv', compression: 'gzip' });
    expect(detectFormat('x.parquet')).toEqual({ format: 'parquet', compression: 'none' });
    for (const e of ['arrow', 'arrows', 'ipc', 'feather']) expect(detectFormat(`x.${e}`).format).toBe('arrow');
  });

  it('rejects unknown extensions and compressed binary formats with the list of supported ones', () => {
    expect(() => detectFormat('notes.txt')).toThrow(/unsupported dataset file "notes.txt": expected one of .*\.jsonl/);
    expect(() => detectFormat('x.parquet.gz')).toThrow(/unsupported/);
    expect(() => detectFormat('jsonl')).toThrow(/unsupported/);
  });
});

describe('listDatasetFiles', () => {
  it('lists a folder recursively in code-point order, skipping hidden, _-prefixed and unsupported files', async () => {
    const d = tempDir();
    mkdirSync(join(d, 'sub'));
    mkdirSync(join(d, '.hidden'));
    for (const f of [
      'b.jsonl',
      'a.parquet',
      'B.csv',
      'sub/c.json',
      '.x.jsonl.tmp-1-2',
      '_SUCCESS',
      'readme.txt',
      '.hidden/z.jsonl',
      'a10.jsonl',
      'a2.jsonl',
    ]) {
      writeFileSync(join(d, f), '');
    }
    const files = await listDatasetFiles(d);
    expect(files.map((f) => f.slice(d.length + 1))).toEqual([
      'B.csv',
      'a.parquet',
      'a10.jsonl',
      'a2.jsonl',
      'b.jsonl',
      'sub/c.json',
    ]);
    const flat = await listDatasetFiles(d, { recursive: false, formats: ['jsonl'] });
    expect(flat.map((f) => f.slice(d.length + 1))).toEqual(['a10.jsonl', 'a2.jsonl', 'b.jsonl']);
  });

  it('keeps the order of a list, drops repeats, and fails on a missing path', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'z.jsonl'), '');
    writeFileSync(join(d, 'a.jsonl'), '');
    const files = await listDatasetFiles([join(d, 'z.jsonl'), join(d, 'a.jsonl'), join(d, 'z.jsonl')]);
    expect(files).toEqual([join(d, 'z.jsonl'), join(d, 'a.jsonl')]);
    await expect(listDatasetFiles(join(d, 'nope.jsonl'))).rejects.toThrow(/input not found: .*nope.jsonl/);
  });
});
