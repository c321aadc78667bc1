// Data-Juicer's word helpers (ops/common/helper_func.py): whitespace words, special-character stripping, n-grams.

import { SPECIAL_CHARACTERS } from './special-characters.js';

/** Words without a model: split on exactly ASCII space, \n and \t; empty pieces dropped. */
export function splitWords(text: string): string[] {
  return text.split(/[ \n\t]/).filter((w) => w !== '');
}

/** Strip special characters from both ends of a word (inner ones stay). */
export function stripSpecial(word: string): string {
  // UTF-16 walk from both ends, one code point at a time.
  let a = 0;
  let b = word.length;
  while (a < b) {
    const cp = word.codePointAt(a)!;
    if (!SPECIAL_CHARACTERS.has(cp)) break;
    a += cp > 0xffff ? 2 : 1;
  }
  while (b > a) {
    let start = b - 1;
    const lo = word.charCodeAt(start);
    if (lo >= 0xdc00 && lo <= 0xdfff && start > a) {
      const hi = word.charCodeAt(start - 1);
      if (hi >= 0xd800 && hi <= 0xdbff) start--;
    }
    if (!SPECIAL_CHARACTERS.has(word.codePointAt(start)!)) break;
    b = start;
  }
  return a === 0 && b === word.length ? word : word.slice(a, b);
}

/** words_refinement: optional lower-casing, special-character stripping, empty words dropped. */
export function refineWords(words: string[], lowerCase: boolean): string[] {
  const out: string[] = [];
  for (let w of words) {
    if (lowerCase) w = w.toLowerCase();
    w = stripSpecial(w);
    if (w !== '') out.push(w);
  }
  return out;
}
