// Python string semantics that Data-Juicer's behaviour depends on. JS strings are UTF-16; Python counts code points,
// splits lines on 11 boundaries, strips a different whitespace set and uses Unicode-aware regex classes.

/** Python `len(s)`: the number of code points. */
export function pyLen(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low surrogate is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** The code points of `s` as an array of one-code-point strings (Python `list(s)`). */
export function codePoints(s: string): string[] {
  return Array.from(s);
}

/** Python `str.splitlines()` line-boundary characters (besides the `\r\n` pair). */
const LINE_BREAK_RE = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/** Python `str.splitlines()`: no empty trailing line for a final break, and `''` gives `[]`. */
export function splitlines(s: string): string[] {
  if (s.length === 0) return [];
  const parts = s.split(new RegExp(LINE_BREAK_RE.source, 'g'));
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Characters for which Python `str.isspace()` is true. */
export const PY_ISSPACE_CLASS =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** The `regex` module's `\s` for str patterns (Unicode White_Space; unlike isspace it excludes \x1c-\x1f). */
export const PY_REGEX_S_CLASS = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** The `regex` module's Unicode `\w`: Alphabetic, marks, decimal digits, connector punctuation, join controls. */
export const PY_REGEX_W_CLASS = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\u200c\\u200d';

const STRIP_RE = new RegExp(`^[${PY_ISSPACE_CLASS}]+|[${PY_ISSPACE_CLASS}]+$`, 'gu');
const PY_SPLIT_RE = new RegExp(`[${PY_ISSPACE_CLASS}]+`, 'u');
/** Python `str.split()` with no argument: split on runs of str.isspace() characters, no empty pieces. */
export function pySplit(s: string): string[] {
  return s.split(PY_SPLIT_RE).filter((w) => w !== '');
}

/** Python `str.strip()` with no argument. */
export function pyStrip(s: string): string {
  return s.replace(STRIP_RE, '');
}

const ISALNUM_RE = /^[\p{L}\p{N}]$/u;
// BMP lookup table for isalnum (built once; astral code points fall back to the regex).
const BMP_ALNUM = new Uint8Array(0x10000);
for (let cp = 0; cp < 0x10000; cp++) if (ISALNUM_RE.test(String.fromCharCode(cp))) BMP_ALNUM[cp] = 1;

/** Count code points and those for which `pred` holds, walking the string once without allocating. */
export function countCodePoints(s: string, pred: (cp: number) => boolean): [number, number] {
  let n = 0;
  let hits = 0;
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = ((cp - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        i++;
      }
    }
    n++;
    if (pred(cp)) hits++;
  }
  return [n, hits];
}

/** Python `str.isalnum()` for one code point given as a number. */
export function isAlnumCodePoint(cp: number): boolean {
  return cp < 0x10000 ? BMP_ALNUM[cp] === 1 : ISALNUM_RE.test(String.fromCodePoint(cp));
}
const ISALPHA_RE = /^\p{L}$/u;
/** Python `str.isalnum()` for one code point (letters of any script, and any numeric character). */
export function isAlnumChar(c: string): boolean {
  return ISALNUM_RE.test(c);
}
/** Python `str.isalpha()` for one code point (categories Lu, Ll, Lt, Lm, Lo). */
export function isAlphaChar(c: string): boolean {
  return ISALPHA_RE.test(c);
}

/** Python `str.lower()` (JS full lower-casing agrees, including `İ` -> `i̇`). */
export function pyLower(s: string): string {
  return s.toLowerCase();
}

/** Escape a string for literal use inside a RegExp (outside a character class). */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
