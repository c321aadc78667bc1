import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchFromRecords, datasetStats, ErrorReport, readDataset, writeDataset } from '../src/index.js';
import { tempDir } from './helpers.js';

describe('datasetStats', () => {
  it('reports rows, bytes, rejected records and unified field types per file and in total', async () => {
    const d = tempDir();
    const jsonl = '{"text":"x","n":1}\n{"text":"y","n":2.5}\nbroken\n';
    writeFileSync(join(d, 'a.jsonl'), jsonl);
    await writeDataset([batchFromRecords([{ text: 'z', meta: { lang: 'zh' } }])], join(d, 'b.parquet'));
    const stats = await datasetStats(d);
    expect(stats.files.map((f) => [f.path.slice(d.length + 1), f.format, f.rows, f.rejected])).toEqual([
      ['a.jsonl', 'jsonl', 2, 1],
      ['b.parquet', 'parquet', 1, 0],
    ]);
    expect(stats.files[0]!.bytes).toBe(Buffer.byteLength(jsonl));
    expect(stats.rows).toBe(3);
    expect(stats.rejected).toBe(1);
    expect(stats.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'text:Utf8',
      'n:Float64',
      'meta:Struct<lang: Utf8>',
    ]);
  });
});

describe('ErrorReport sink', () => {
  it('appears only on close(), and abort() leaves nothing behind', async () => {
    const d = tempDir();
    const report = new ErrorReport({ sinkPath: join(d, 'errors.jsonl') });
    report.record({ file: 'f.jsonl', line: 3, reason: 'invalid-json' });
    expect(existsSync(join(d, 'errors.jsonl'))).toBe(false);
    report.abort();
    expect(readdirSync(d)).toEqual([]);
    const ok = new ErrorReport({ sinkPath: join(d, 'ok.jsonl') });
    await ok.close();
    expect(readdirSync(d)).toEqual(['ok.jsonl']);
  });
});

describe('abort', () => {
  it('stops reading between batches when the signal fires', async () => {
    const d = tempDir();
    const p = join(d, 'many.jsonl');
    writeFileSync(p, `${Array.from({ length: 100 }, (_, i) => `{"i":${i}}`).join('\n')}\n`);
    const ctl = new AbortController();
    let rows = 0;
    await expect(
      (async () => {
        for await (const b of readDataset(p, { batchRows: 10, signal: ctl.signal })) {
          rows += b.numRows;
          if (rows >= 30) ctl.abort();
        }
      })(),
    ).rejects.toThrow(/abort/i);
    expect(rows).toBe(30);
  });
});
