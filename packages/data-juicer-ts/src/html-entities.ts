// HTML character references, decoded the way the HTML5 tokenizer (and Python's html.unescape) does.

import { HTML5_ENTITIES } from './tables/html-entities.js';

/** Windows-1252 characters for bytes 0x80-0x9F (undefined bytes map to themselves, as in HTML5's numeric rules). */
export const CP1252_HIGH: readonly string[] = [
  '\u20ac',
  '\x81',
  '\u201a',
  '\u0192',
  '\u201e',
  '\u2026',
  '\u2020',
  '\u2021',
  '\u02c6',
  '\u2030',
  '\u0160',
  '\u2039',
  '\u0152',
  '\x8d',
  '\u017d',
  '\x8f',
  '\x90',
  '\u2018',
  '\u2019',
  '\u201c',
  '\u201d',
  '\u2022',
  '\u2013',
  '\u2014',
  '\u02dc',
  '\u2122',
  '\u0161',
  '\u203a',
  '\u0153',
  '\x9d',
  '\u017e',
  '\u0178',
];

/** The character a numeric reference stands for, with HTML5's replacements for invalid code points. */
export function numericCharRef(cp: number): string {
  if (cp >= 0x80 && cp <= 0x9f) return CP1252_HIGH[cp - 0x80]!;
  if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return '\ufffd';
  return String.fromCodePoint(cp);
}

const NAMED_OR_NUMERIC = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

/** Python `html.unescape`: named references (legacy ones also without ';', longest match) and numeric ones. */
export function unescapeHtml(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(NAMED_OR_NUMERIC, (all, body: string) => {
    if (body[0] === '#') {
      const hex = body[1] === 'x' || body[1] === 'X';
      const digits = body.slice(hex ? 2 : 1).replace(/;$/, '');
      const cp = Number.parseInt(digits, hex ? 16 : 10);
      if (isPythonInvalidCodePoint(cp)) return '';
      return numericCharRef(Number.isFinite(cp) ? cp : 0x110000);
    }
    if (Object.hasOwn(HTML5_ENTITIES, body)) return HTML5_ENTITIES[body]!;
    // Longest prefix that is a legacy (semicolon-less) entity name.
    for (let x = body.length - 1; x > 1; x--) {
      const prefix = body.slice(0, x);
      if (Object.hasOwn(HTML5_ENTITIES, prefix)) return HTML5_ENTITIES[prefix]! + body.slice(x);
    }
    return all;
  });
}

/** Named references that end in ';' only (ftfy's conservative unescape). */
export function namedEntity(nameWithSemicolon: string): string | undefined {
  return Object.hasOwn(HTML5_ENTITIES, nameWithSemicolon) ? HTML5_ENTITIES[nameWithSemicolon] : undefined;
}

/** Code points Python's html.unescape drops (controls and noncharacters); 0x80-0x9F are remapped before this. */
function isPythonInvalidCodePoint(cp: number): boolean {
  if ((cp >= 0x1 && cp <= 0x8) || cp === 0xb || (cp >= 0xe && cp <= 0x1f) || cp === 0x7f) return true;
  if (cp >= 0xfdd0 && cp <= 0xfdef) return true;
  return cp <= 0x10ffff && (cp & 0xfffe) === 0xfffe;
}
