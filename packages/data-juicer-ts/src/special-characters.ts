// Data-Juicer's SPECIAL_CHARACTERS (from the BigScience/HF text-data-filtering space) and VARIOUS_WHITESPACES.

import { EMOJI_SINGLE_CODE_POINT_RANGES } from './tables/emoji-table.js';

/** Python string.punctuation + string.digits + string.whitespace. */
const MAIN_SPECIAL = `!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~0123456789 \t\n\r\x0b\x0c`;

/**
 * The hand list of "other" special characters. The visible characters are Data-Juicer's; its list also holds a few
 * invisible ones (Unicode spaces, zero-width and format characters), reconstructed here as the Unicode spaces
 * U+2000-U+200A, U+202F, U+205F, U+3000, the zero-width U+200B-U+200D, U+2060, U+FEFF, U+FFFC, U+00AD (soft hyphen).
 * NBSP is not in the set (checked against the spec). Data-Juicer's set size implies 184 hand-list characters outside
 * ASCII and emoji; this list has 178, so up to 6 invisible characters are missing.
 */
const OTHER_SPECIAL =
  '\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000' +
  '\u200b\u200c\u200d\u2060\ufeff\ufffc\u00ad' +
  '’“”–ー一▬…✦�£•€«»°·═' +
  '×士＾˘⇓↓↑←→（）§″′´¿−±∈¢ø‚„½¼¾¹²³―⁃，ˌ¸‹›ʺˈʻ¦‐⠀‰‑≤≥‖' +
  '◆●■►▼▲▴∆▻¡★☆✱ːº。¯˜¥ɪ≈†上ン：∼⁄・♡✓⊕․．⋅÷１‟；،、¨ाাी्े◦˚' +
  '゜ʼ≖ʼ¤ッツシ℃√！【】‿∞➤～πه۩☛₨➩☻๑٪♥ıॽ《‘©﴿٬？▷Г♫∟™ª₪®「—❖' +
  '」﴾》';

const SPECIAL_SET = new Set<number>();
for (const ch of MAIN_SPECIAL + OTHER_SPECIAL) SPECIAL_SET.add(ch.codePointAt(0)!);
for (const [a, b] of EMOJI_SINGLE_CODE_POINT_RANGES) for (let cp = a; cp <= b; cp++) SPECIAL_SET.add(cp);

/** All special characters as code points (ASCII punctuation, digits, whitespace, the hand list, 1386 emoji). */
export const SPECIAL_CHARACTERS: ReadonlySet<number> = SPECIAL_SET;

/** Is the one-code-point string `ch` a Data-Juicer special character? */
export function isSpecialChar(ch: string): boolean {
  return SPECIAL_SET.has(ch.codePointAt(0)!);
}

/** Data-Juicer's VARIOUS_WHITESPACES (U+0084 is in it, probably a typo for U+0085; kept for parity). */
export const VARIOUS_WHITESPACES: ReadonlySet<string> = new Set(
  ' \t\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u200c\u200d\u202f\u205f\u2060\u3000\u00a0\ufffc\u0084'.split(
    '',
  ),
);
