import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { RecordBatchReader } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { batchFromRecords, readDataset, writeDataset } from '../src/index.js';
import { readAll, tempDir } from './helpers.js';

const FORMATS = ['out.jsonl', 'out.jsonl.gz', 'out.json', 'out.parquet', 'out.arrow', 'out.arrows'];

describe('writeDataset', () => {
  it('writes every format and reads it back identically', async () => {
    const d = tempDir();
    const records = [
      { text: '你好', n: 1, tags: ['a'] },
      { text: 'world', n: 2, meta: { src: 'x' } },
    ];
    for (const name of FORMATS) {
      const p = join(d, name);
      const summary = await writeDataset([batchFromRecords(records)], p);
      expect(summary).toMatchObject({ path: p, rows: 2, batches: 1 });
      expect(summary.bytes).toBeGreaterThan(0);
      expect(await readAll(p)).toEqual(records);
    }
    expect(gunzipSync(readFileSync(join(d, 'out.jsonl.gz'))).toString()).toBe(
      '{"text":"你好","n":1,"tags":["a"]}\n{"text":"world","n":2,"meta":{"src":"x"}}\n',
    );
    expect(readFileSync(join(d, 'out.arrow')).subarray(0, 6).toString()).toBe('ARROW1');
    expect(readFileSync(join(d, 'out.arrows')).subarray(0, 6).toString()).not.toBe('ARROW1');
    expect(readFileSync(join(d, 'out.parquet')).subarray(0, 4).toString()).toBe('PAR1');
  });

  it('leaves nothing at the output and no temp file when the source fails midway', async () => {
    const d = tempDir();
    for (const name of [...FORMATS, 'out.csv']) {
      async function* failing() {
        yield batchFromRecords([{ text: 'a' }]);
        yield batchFromRecords([{ text: 'b' }]);
        throw new Error('source broke');
      }
      await expect(writeDataset(failing(), join(d, name))).rejects.toThrow('source broke');
    }
    expect(readdirSync(d)).toEqual([]);
  });

  it('refuses to replace an existing file unless overwrite is set', async () => {
    const d = tempDir();
    const p = join(d, 'x.jsonl');
    writeFileSync(p, 'old\n');
    await expect(writeDataset([batchFromRecords([{ a: 1 }])], p)).rejects.toThrow(/output exists: .*x.jsonl/);
    expect(readFileSync(p, 'utf8')).toBe('old\n');
    await writeDataset([batchFromRecords([{ a: 1 }])], p, { overwrite: true });
    expect(readFileSync(p, 'utf8')).toBe('{"a":1}\n');
  });

  it('keeps one schema per parquet/arrow file when later batches are wider or conflict', async () => {
    const d = tempDir();
    const b1 = [
      { id: 1, v: 1 },
      { id: 2, v: 2 },
    ];
    const b2 = [{ id: 3, v: 2.5, extra: 'new' }];
    const b3 = [{ id: 4, v: 'text now', extra: null }];
    const all = [...b1, ...b2, ...b3];
    for (const name of ['w.parquet', 'w.arrow']) {
      const p = join(d, name);
      const summary = await writeDataset([batchFromRecords(b1), batchFromRecords(b2), batchFromRecords(b3)], p);
      expect(summary.rows).toBe(4);
      expect(summary.schemaRewrites).toBeGreaterThanOrEqual(1);
      expect(await readAll(p)).toEqual(all);
      const schemas = new Set<string>();
      for await (const b of readDataset(p)) schemas.add(b.schema.fields.map((f) => `${f.name}:${f.type}`).join());
      expect(schemas.size).toBe(1);
    }
    // The Arrow file is a single-schema IPC file that a plain Arrow reader opens.
    const reader = await RecordBatchReader.from(readFileSync(join(d, 'w.arrow')));
    let rows = 0;
    for (const b of reader) rows += b.numRows;
    expect(rows).toBe(4);
    expect(readdirSync(d).sort()).toEqual(['w.arrow', 'w.parquet']);
  });

  it('writes a valid empty file when there are no rows', async () => {
    const d = tempDir();
    for (const name of [...FORMATS, 'out.csv']) {
      const p = join(d, name);
      const summary = await writeDataset([], p);
      expect(summary.rows).toBe(0);
      expect(await readAll(p)).toEqual([]);
    }
  });

  it('writes csv with RFC 4180 quoting, widening the header when a later batch brings a new field', async () => {
    const d = tempDir();
    const p = join(d, 'x.csv');
    const b1 = batchFromRecords([
      { q: 'a, "b"', n: 1 },
      { q: ' padded', n: null },
    ]);
    const b2 = batchFromRecords([{ q: 'line\nbreak', n: 2, meta: { k: [1] } }]);
    const summary = await writeDataset([b1, b2], p);
    expect(summary).toMatchObject({ rows: 3, schemaRewrites: 1 });
    expect(readFileSync(p, 'utf8')).toBe('q,n,meta\n"a, ""b""",1,\n" padded",,\n"line\nbreak",2,"{""k"":[1]}"\n');
    expect(await readAll(p)).toEqual([
      { q: 'a, "b"', n: '1', meta: '' },
      { q: ' padded', n: '', meta: '' },
      { q: 'line\nbreak', n: '2', meta: '{"k":[1]}' },
    ]);
    expect(readdirSync(d)).toEqual(['x.csv']);
  });

  it('rejects unsupported combinations with a clear message', async () => {
    const d = tempDir();
    const one = [batchFromRecords([{ a: 1 }])];
    await expect(writeDataset(one, join(d, 'x.jsonl.zst'))).rejects.toThrow(/zstd/);
    await expect(writeDataset(one, join(d, 'x.csv.gz'))).rejects.toThrow(/csv output is written uncompressed/);
    await expect(writeDataset(one, join(d, 'x.arrow'), { compression: 'gzip' })).rejects.toThrow(/uncompressed/);
    await expect(writeDataset(one, join(d, 'x.txt'))).rejects.toThrow(/unsupported dataset file/);
  });
});
