// JSON text <-> JS values without silent precision loss.
//
// JSON.parse turns 12345678901234567890 into 12345678901234567000. We keep integers beyond 2^53 exact:
// inside the signed 64-bit range they become `bigint`; beyond it they become a `RawJson` holding the literal,
// which is written back verbatim. The slow exact parser only runs on lines that contain such a literal.

/** A JSON literal kept verbatim (an integer too large for Int64). Written back as-is by `stringifyJson`. */
export class RawJson {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this.text;
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const LONG_DIGITS = /\d{16}/;

/** Parses one JSON text. Integers beyond ±2^53 come back as `bigint` (or `RawJson` beyond Int64). Throws SyntaxError. */
export function parseJson(text: string): unknown {
  // Fast path: no 16-digit run anywhere means no integer literal can exceed 2^53.
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  let unsafe = false;
  const value = JSON.parse(text, (_key, v) => {
    if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) unsafe = true;
    return v;
  });
  return unsafe ? new ExactParser(text).parseDocument() : value;
}

class ExactParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseDocument(): unknown {
    this.ws();
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) this.fail('unexpected trailing text');
    return v;
  }

  private fail(msg: string): never {
    throw new SyntaxError(`${msg} at position ${this.i}`);
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++;
      else break;
    }
  }

  private value(): unknown {
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === 't') return this.word('true', true);
    if (c === 'f') return this.word('false', false);
    if (c === 'n') return this.word('null', null);
    return this.number();
  }

  private word(w: string, v: unknown): unknown {
    if (this.s.startsWith(w, this.i)) {
      this.i += w.length;
      return v;
    }
    return this.fail('unexpected token');
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      this.ws();
      out[key] = this.value();
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') this.fail("expected ',' or '}'");
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'");
    }
  }

  private string(): string {
    // Find the closing quote, then let JSON.parse decode escapes (it validates them too).
    const start = this.i;
    let j = start + 1;
    const s = this.s;
    for (;;) {
      if (j >= s.length) this.fail('unterminated string');
      const c = s.charCodeAt(j);
      if (c === 92) j += 2;
      else if (c === 34) break;
      else j++;
    }
    this.i = j + 1;
    return JSON.parse(s.slice(start, j + 1)) as string;
  }

  private number(): unknown {
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) return this.fail('unexpected token');
    const lit = m[0];
    this.i += lit.length;
    if (m[1] === undefined && m[2] === undefined) {
      const n = Number(lit);
      if (Number.isSafeInteger(n)) return n;
      const big = BigInt(lit);
      return big >= INT64_MIN && big <= INT64_MAX ? big : new RawJson(lit);
    }
    return Number(lit);
  }
}

/** JSON text of a value; `bigint` becomes an integer literal and `RawJson` is written verbatim. Undefined keys are skipped. */
export function stringifyJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) return 'null';
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value instanceof RawJson) return value.text;
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + stringifyJson(value[i]);
        return `${out}]`;
      }
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      let out = '{';
      let first = true;
      for (const key in value) {
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined) continue;
        out += `${first ? '' : ','}${JSON.stringify(key)}:${stringifyJson(v)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      return 'null';
  }
}
