import { describe, expect, it } from 'vitest';
import { EvalDataError, parseCsv } from '../src/index.js';

describe('parseCsv (RFC 4180)', () => {
  it('reads quoted commas, doubled quotes and line breaks inside quotes, with the line each record starts on', () => {
    const text = 'a,b,c\n"x, y","say ""hi""","two\nlines"\n1,2,3\n';
    expect(parseCsv(text)).toEqual([
      { fields: ['a', 'b', 'c'], line: 1 },
      { fields: ['x, y', 'say "hi"', 'two\nlines'], line: 2 },
      { fields: ['1', '2', '3'], line: 4 },
    ]);
  });

  it('accepts CRLF, a BOM, empty fields, blank lines and a missing final newline', () => {
    const text = '\ufeffh1,h2\r\n,\r\n\r\n"",z';
    expect(parseCsv(text)).toEqual([
      { fields: ['h1', 'h2'], line: 1 },
      { fields: ['', ''], line: 2 },
      { fields: ['', 'z'], line: 4 },
    ]);
  });

  it('rejects an unterminated quote, naming the line where the record starts', () => {
    expect(() => parseCsv('a,b\n1,"open\nstill open', 'f.csv')).toThrowError(EvalDataError);
    expect(() => parseCsv('a,b\n1,"open\nstill open', 'f.csv')).toThrowError(/^f\.csv:2: unterminated quoted field/);
  });

  it('rejects text after a closing quote and a bare quote inside an unquoted field', () => {
    expect(() => parseCsv('"a"b,c', 'f.csv')).toThrowError(/^f\.csv:1: unexpected character 'b'/);
    expect(() => parseCsv('ok\nab"c,d', 'f.csv')).toThrowError(/^f\.csv:2: a quote inside an unquoted field/);
  });
});
