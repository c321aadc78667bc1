import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { batchFromRecords, ErrorReport, readDataset, writeDataset } from '../src/index.js';
import { readAll, tempDir } from './helpers.js';

const fixtures = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures');

describe('jsonl reader', () => {
  it('handles CRLF, a UTF-8 BOM, blank lines and a last line without newline', async () => {
    const d = tempDir();
    const p = join(d, 'a.jsonl');
    writeFileSync(p, '\uFEFF{"text":"一"}\r\n\r\n{"text":"two"}\n   \n{"text":"три"}');
    expect(await readAll(p)).toEqual([{ text: '一' }, { text: 'two' }, { text: 'три' }]);
  });

  it('reads a line longer than the read buffer, and rejects one beyond maxRecordBytes without stopping', async () => {
    const d = tempDir();
    const p = join(d, 'long.jsonl');
    const long = '长'.repeat(1_500_000); // 4.5 MB of UTF-8, several read chunks
    writeFileSync(p, `{"text":"${long}"}\n{"text":"short"}\n{"text":"${'x'.repeat(5000)}"}\n{"text":"end"}\n`);
    const all = await readAll(p);
    expect(all.map((r) => (r.text as string).length)).toEqual([1_500_000, 5, 5000, 3]);
    const errors = new ErrorReport();
    const some = await readAll(p, { maxRecordBytes: 4000, errors });
    expect(some).toEqual([{ text: 'short' }, { text: 'end' }]);
    expect(errors.summary()).toEqual({ read: 4, written: 0, rejected: 2, byReason: { 'line-too-long': 2 } });
  });

  it('reports malformed JSON, invalid UTF-8, non-objects and missing text (file:line) and keeps every good record', async () => {
    const d = tempDir();
    const p = join(d, 'bad.jsonl');
    const lines = [
      Buffer.from('{"text":"good 1"}'),
      Buffer.from('{"text": broken'),
      Buffer.concat([Buffer.from('{"text":"bad '), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
      Buffer.from('[1,2,3]'),
      Buffer.from('"just a string"'),
      Buffer.from('{"title":"no text"}'),
      Buffer.from('{"text":null}'),
      Buffer.from('{"text":42}'),
      Buffer.from('{"text":"good 2"}'),
    ];
    writeFileSync(p, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
    const sink = join(d, 'errors.jsonl');
    const errors = new ErrorReport({ sinkPath: sink });
    const good = await readAll(p, { requiredFields: ['text'], errors, batchRows: 1 });
    await errors.close();
    expect(good).toEqual([{ text: 'good 1' }, { text: 'good 2' }]);
    expect(errors.summary()).toEqual({
      read: 9,
      written: 0,
      rejected: 7,
      byReason: {
        'invalid-json': 1,
        'invalid-utf8': 1,
        'not-an-object': 2,
        'missing-field': 1,
        'null-field': 1,
        'not-a-string': 1,
      },
    });
    const listed = readFileSync(sink, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(listed.map((r) => `${r.line}:${r.reason}`)).toEqual([
      '2:invalid-json',
      '3:invalid-utf8',
      '4:not-an-object',
      '5:not-an-object',
      '6:missing-field',
      '7:null-field',
      '8:not-a-string',
    ]);
    expect(listed.every((r) => r.file === p)).toBe(true);
  });

  it('emits batches of batchRows rows, never mixing files, in folder order', async () => {
    const d = tempDir();
    writeFileSync(
      join(d, 'b.jsonl'),
      `${Array.from({ length: 5 }, (_, i) => JSON.stringify({ f: 'b', i })).join('\n')}\n`,
    );
    writeFileSync(
      join(d, 'a.jsonl'),
      `${Array.from({ length: 3 }, (_, i) => JSON.stringify({ f: 'a', i })).join('\n')}\n`,
    );
    const sizes: number[] = [];
    for await (const b of readDataset(d, { batchRows: 2 })) sizes.push(b.numRows);
    expect(sizes).toEqual([2, 1, 2, 2, 1]);
    expect((await readAll(d)).map((r) => `${r.f}${r.i}`)).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2', 'b3', 'b4']);
  });

  it('selects fields, including dotted paths, as columns named by the path (missing -> null)', async () => {
    const d = tempDir();
    const p = join(d, 'm.jsonl');
    writeFileSync(p, '{"text":"a","meta":{"title":"T1","n":1},"x":1}\n{"text":"b","meta":{}}\n{"text":"c"}\n');
    expect(await readAll(p, { fields: ['meta.title', 'text'] })).toEqual([
      { 'meta.title': 'T1', text: 'a' },
      { 'meta.title': null, text: 'b' },
      { 'meta.title': null, text: 'c' },
    ]);
    const errors = new ErrorReport();
    expect(await readAll(p, { fields: ['text'], requiredFields: ['meta.title'], errors })).toEqual([{ text: 'a' }]);
    expect(errors.byReason).toEqual({ 'missing-field': 2 });
  });

  it('reads .jsonl.gz and .jsonl.zst (committed fixture made with the zstd CLI)', async () => {
    const d = tempDir();
    const p = join(d, 'g.jsonl.gz');
    writeFileSync(p, gzipSync('{"text":"压缩"}\n{"text":"gz"}\n'));
    expect(await readAll(p)).toEqual([{ text: '压缩' }, { text: 'gz' }]);
    const errors = new ErrorReport();
    const zst = await readAll(join(fixtures, 'small.jsonl.zst'), { errors });
    expect(zst).toEqual([
      { text: '第一行 zstd', n: 1 },
      { text: 'second line', n: 2 },
      { text: 'third', meta: { title: '标题' }, n: 3 },
    ]);
    expect(errors.byReason).toEqual({ 'invalid-json': 1 });
  });
});

describe('json reader', () => {
  it('streams a pretty-printed array whose strings contain brackets, commas, quotes and newlines', async () => {
    const d = tempDir();
    const p = join(d, 'a.json');
    const records = [
      { text: 'a, b ] } [ {', n: 1 },
      { text: 'quote \\" and \\\\', nested: { list: [1, [2, 3]], o: { k: 'v' } } },
      { text: '多行\n文本' },
    ];
    writeFileSync(p, `\uFEFF${JSON.stringify(records, null, 2)}\n`);
    expect(await readAll(p)).toEqual(records);
  });

  it('reports bad array elements by line and element, and reads JSON lines in a .json file', async () => {
    const d = tempDir();
    const p = join(d, 'bad.json');
    writeFileSync(p, '[\n{"text":"ok"},\n{"text": nope},\n7,\n{"text":"ok2"}\n]');
    const errors = new ErrorReport();
    expect(await readAll(p, { errors })).toEqual([{ text: 'ok' }, { text: 'ok2' }]);
    expect(errors.byReason).toEqual({ 'invalid-json': 1, 'not-an-object': 1 });
    const q = join(d, 'lines.json');
    writeFileSync(q, '{"a":1}\n{"a":2}\n');
    expect(await readAll(q)).toEqual([{ a: 1 }, { a: 2 }]);
    writeFileSync(join(d, 'empty.json'), '[]');
    expect(await readAll(join(d, 'empty.json'))).toEqual([]);
  });

  it('fails clearly on an unclosed array', async () => {
    const d = tempDir();
    const p = join(d, 'open.json');
    writeFileSync(p, '[{"a":1},');
    await expect(readAll(p)).rejects.toThrow(/open.json: the JSON array is not closed/);
  });
});

describe('csv reader', () => {
  it('reads a header and quoted fields (commas, quotes, newlines) as strings, reporting ragged rows', async () => {
    const d = tempDir();
    const p = join(d, 'q.csv');
    writeFileSync(
      p,
      '\uFEFF,Question,Answer\n0,"1+1, then ""2""?",A\n1,"line one\nline two",B\n2,too,many,cells\n3,last,C\n',
    );
    const errors = new ErrorReport();
    expect(await readAll(p, { errors })).toEqual([
      { column_0: '0', Question: '1+1, then "2"?', Answer: 'A' },
      { column_0: '1', Question: 'line one\nline two', Answer: 'B' },
      { column_0: '3', Question: 'last', Answer: 'C' },
    ]);
    expect(errors.byReason).toEqual({ 'csv-error': 1 });
  });
});

describe('parquet and arrow readers', () => {
  it('read what the writers wrote, by row group / batch, with column selection', async () => {
    const d = tempDir();
    const records = Array.from({ length: 1000 }, (_, i) => ({ text: `doc ${i}`, i, meta: { even: i % 2 === 0 } }));
    const batches = [batchFromRecords(records.slice(0, 600)), batchFromRecords(records.slice(600))];
    for (const name of ['x.parquet', 'x.arrow', 'x.arrows']) {
      const p = join(d, name);
      await writeDataset(batches, p, { rowGroupRows: 256 });
      expect(await readAll(p)).toEqual(records);
      expect((await readAll(p, { fields: ['i', 'meta.even'] })).slice(0, 2)).toEqual([
        { i: 0, 'meta.even': true },
        { i: 1, 'meta.even': false },
      ]);
    }
    const sizes: number[] = [];
    for await (const b of readDataset(join(d, 'x.parquet'), { batchRows: 100 })) sizes.push(b.numRows);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(256);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1000);
  });

  it('rejects rows whose required text is null in a parquet file and keeps the others', async () => {
    const d = tempDir();
    const p = join(d, 'n.parquet');
    await writeDataset([batchFromRecords([{ text: 'a' }, { text: null }, { text: 'c' }])], p);
    const errors = new ErrorReport({ sinkPath: join(d, 'err.jsonl') });
    expect(await readAll(p, { requiredFields: ['text'], errors })).toEqual([{ text: 'a' }, { text: 'c' }]);
    await errors.close();
    expect(JSON.parse(readFileSync(join(d, 'err.jsonl'), 'utf8'))).toMatchObject({
      file: p,
      line: 2,
      reason: 'null-field',
      field: 'text',
    });
  });

  it('names the file when it is not parquet', async () => {
    const d = tempDir();
    const p = join(d, 'fake.parquet');
    writeFileSync(p, 'not parquet at all');
    await expect(readAll(p)).rejects.toThrow(/fake.parquet: not a readable parquet file/);
  });
});
