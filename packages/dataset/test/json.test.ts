import { describe, expect, it } from 'vitest';
import { parseJson, RawJson, stringifyJson } from '../src/index.js';

describe('parseJson / stringifyJson', () => {
  it('keeps integers beyond 2^53 exact: bigint inside Int64, RawJson beyond', () => {
    const v = parseJson(
      '{"a": 9007199254740993, "b": -9223372036854775808, "c": 123456789012345678901234, "d": 1.5, "e": "12345678901234567890"}',
    ) as Record<string, unknown>;
    expect(v.a).toBe(9007199254740993n);
    expect(v.b).toBe(-9223372036854775808n);
    expect(v.c).toBeInstanceOf(RawJson);
    expect((v.c as RawJson).text).toBe('123456789012345678901234');
    expect(v.d).toBe(1.5);
    expect(v.e).toBe('12345678901234567890');
    expect(stringifyJson(v)).toBe(
      '{"a":9007199254740993,"b":-9223372036854775808,"c":123456789012345678901234,"d":1.5,"e":"12345678901234567890"}',
    );
  });

  it('parses ordinary JSON like JSON.parse, including long digit runs inside strings', () => {
    const text = '{"id":"身份证 110101199003078888","n":[1,2.5,-3e2,true,null],"o":{"x":"\\"q\\""}}';
    expect(parseJson(text)).toEqual(JSON.parse(text));
  });

  it('rejects malformed JSON on the exact path too', () => {
    expect(() => parseJson('{"a": 12345678901234567890,}')).toThrow(SyntaxError);
    expect(() => parseJson('{"a": 1')).toThrow(SyntaxError);
  });
});
