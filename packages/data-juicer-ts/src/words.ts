// Data-Juicer's word helpers (ops/common/helper_func.py): whitespace words, special-character stripping, n-grams.

import { isSpecialChar } from './special-characters.js';

/** Words without a model: split on exactly ASCII space, \n and \t; empty pieces dropped. */
export function splitWords(text: string): string[] {
  return text.split(/[ \n\t]/).filter((w) => w !== '');
}

/** Strip special characters from both ends of a word (inner ones stay). */
export function stripSpecial(word: string): string {
  const chars = Array.from(word);
  let a = 0;
  let b = chars.length;
  while (a < b && isSpecialChar(chars[a]!)) a++;
  while (b > a && isSpecialChar(chars[b - 1]!)) b--;
  return a === 0 && b === chars.length ? word : chars.slice(a, b).join('');
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
