import { Field, Float64, Int32, Int64, Schema, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { batchFromRecords, castBatch, inferSchema, recordsFromBatch, typeText, unifySchemas } from '../src/index.js';

function types(records: Record<string, unknown>[]): Record<string, string> {
  return Object.fromEntries(inferSchema(records).fields.map((f) => [f.name, typeText(f)]));
}

describe('inferSchema', () => {
  it('infers Arrow types from JSON values', () => {
    expect(
      types([
        { s: 'a', i: 1, f: 1.5, b: true, n: null, o: { x: 1, y: 'z' }, l: [1, 2], big: 9007199254740993n },
        { s: 'b', i: 2, f: 2, b: false, n: null, o: { x: 2, y: 'w' }, l: [], big: 1 },
      ]),
    ).toEqual({
      s: 'Utf8',
      i: 'Int64',
      f: 'Float64',
      b: 'Bool',
      n: 'Null',
      o: 'Struct<x: Int64, y: Utf8>',
      l: 'List<Int64>',
      big: 'Int64',
    });
  });

  it('turns conflicting types, absent-and-null, and empty objects into JSON text', () => {
    expect(types([{ a: 1, b: 'x', c: {}, d: 1 }, { a: 'one', b: null, c: {}, d: [1] }, { c: {} }])).toEqual({
      a: 'json', // number vs string
      b: 'json', // absent in record 3 and explicitly null in record 2
      c: 'json', // {} never has keys
      d: 'json', // number vs list
    });
  });

  it('does not widen an integer beyond 2^53 to Float64', () => {
    expect(types([{ a: 9007199254740993n }, { a: 0.5 }])).toEqual({ a: 'json' });
    expect(types([{ a: 3 }, { a: 0.5 }])).toEqual({ a: 'Float64' });
  });
});

describe('batchFromRecords / recordsFromBatch', () => {
  it('round-trips tricky records exactly (absent keys, nulls, nesting, conflicts, big integers)', () => {
    const records: Record<string, unknown>[] = [
      { text: 'a', meta: { title: 'T', tags: ['x', 'y'] }, score: 1, mixed: 1, big: 9007199254740993n, n: null },
      { text: 'b', meta: { tags: [] }, score: 2.5, mixed: 'two', n: null, only: { deep: { k: [1, null, 3] } } },
      { text: 'c', meta: { title: null, tags: ['z'] }, mixed: { three: 3 }, n: null, list: [[1], [2, 3]] },
      { text: '', meta: { title: 'U', tags: ['w'] }, mixed: null, n: null, e: {} },
    ];
    const batch = batchFromRecords(records);
    expect(batch.numRows).toBe(4);
    expect(recordsFromBatch(batch)).toEqual(records);
  });

  it('builds against a given schema and names the field when a value does not fit', () => {
    const schema = new Schema([new Field('a', new Utf8(), true), new Field('b', new Int64(), true)]);
    const batch = batchFromRecords([{ a: 'x', b: 5 }], schema);
    expect(batch.schema.fields[1]!.type).toBeInstanceOf(Int64);
    expect(recordsFromBatch(batch)).toEqual([{ a: 'x', b: 5 }]);
    expect(() => batchFromRecords([{ a: 7 }], schema)).toThrow(/field "a".*expected a string/);
  });
});

describe('unifySchemas / castBatch', () => {
  it('widens ints to floats, adds missing fields as absent, and casts batches without changing values', () => {
    const b1 = batchFromRecords([{ a: 1, s: 'x' }]);
    const b2 = batchFromRecords([{ a: 2.5, t: true }]);
    const u = unifySchemas([b1.schema, b2.schema]);
    expect(u.fields.map((f) => `${f.name}:${typeText(f)}`)).toEqual(['a:Float64', 's:Utf8', 't:Bool']);
    expect(recordsFromBatch(castBatch(b1, u))).toEqual([{ a: 1, s: 'x' }]);
    expect(recordsFromBatch(castBatch(b2, u))).toEqual([{ a: 2.5, t: true }]);
  });

  it('widens a foreign Int64 meeting Float64 to Float64, but refuses to round an integer beyond 2^53', () => {
    const ints = new Schema([new Field('x', new Int64(), true)]);
    const floats = new Schema([new Field('x', new Float64(), true)]);
    const u = unifySchemas([ints, floats]);
    expect(String(u.fields[0]!.type)).toBe('Float64');
    expect(recordsFromBatch(castBatch(batchFromRecords([{ x: 12 }], ints), u))).toEqual([{ x: 12 }]);
    expect(() => castBatch(batchFromRecords([{ x: 9007199254740993n }], ints), u)).toThrow(
      /cannot be stored exactly as Float64/,
    );
  });

  it('treats Int32 and Float64 from foreign files as compatible numbers', () => {
    const a = new Schema([new Field('x', new Int32(), true)]);
    const b = new Schema([new Field('x', new Float64(), true)]);
    expect(String(unifySchemas([a, b]).fields[0]!.type)).toBe('Float64');
  });
});
