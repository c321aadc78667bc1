// A port of the ftfy fixes that Data-Juicer's fix_unicode_mapper runs (ftfy.fix_text with its defaults), written
// from the Unicode/cp1252 facts and ftfy's documented behaviour. Differences: mojibake detection decodes every valid
// UTF-8 byte sequence found in cp1252/latin-1 text (ftfy also weighs a "badness" score), and restore_byte_a0 /
// replace_lossy_sequences are not ported.

import { CP1252_HIGH, namedEntity, unescapeHtml } from './html-entities.js';

export type NormalizationForm = 'NFC' | 'NFKC' | 'NFD' | 'NFKD';

// Character -> the byte it came from if the text was decoded as (sloppy) windows-1252 or latin-1.
const CHAR_TO_BYTE = new Map<string, number>();
for (let b = 0; b < 0x100; b++) CHAR_TO_BYTE.set(String.fromCharCode(b), b);
CP1252_HIGH.forEach((ch, i) => {
  CHAR_TO_BYTE.set(ch, 0x80 + i);
});

function seqLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

function validSecond(lead: number, b: number): boolean {
  if (lead === 0xe0) return b >= 0xa0 && b <= 0xbf;
  if (lead === 0xed) return b >= 0x80 && b <= 0x9f;
  if (lead === 0xf0) return b >= 0x90 && b <= 0xbf;
  if (lead === 0xf4) return b >= 0x80 && b <= 0x8f;
  return b >= 0x80 && b <= 0xbf;
}

/** One pass: replace each run of characters that are the cp1252/latin-1 decoding of valid UTF-8 multi-byte sequences. */
function decodeMojibakeOnce(text: string): string {
  const chars = Array.from(text);
  let out = '';
  let i = 0;
  while (i < chars.length) {
    const lead = CHAR_TO_BYTE.get(chars[i]!);
    const n = lead === undefined ? 0 : seqLength(lead);
    if (n > 0 && i + n <= chars.length) {
      const bytes = [lead!];
      let ok = true;
      for (let k = 1; k < n; k++) {
        const b = CHAR_TO_BYTE.get(chars[i + k]!);
        if (b === undefined || (k === 1 ? !validSecond(lead!, b) : b < 0x80 || b > 0xbf)) {
          ok = false;
          break;
        }
        bytes.push(b);
      }
      if (ok) {
        out += Buffer.from(bytes).toString('utf8');
        i += n;
        continue;
      }
    }
    out += chars[i];
    i++;
  }
  return out;
}

/** Undo UTF-8 read as windows-1252/latin-1, repeatedly (multi-level mojibake). */
export function fixEncoding(text: string): string {
  // Every UTF-8 lead byte 0xC2-0xF4 reads as U+00C2-U+00F4 in both windows-1252 and latin-1: no such char, no mojibake.
  if (!/[\u00c2-\u00f4]/.test(text)) return text;
  for (let round = 0; round < 8; round++) {
    const next = decodeMojibakeOnce(text);
    if (next === text) break;
    text = next;
  }
  return text;
}

/** C1 control characters left over become their windows-1252 characters (undefined bytes stay). */
export function fixC1Controls(text: string): string {
  return text.replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
}

const HTML_ENTITY_RE = /&#?[0-9A-Za-z]{1,24};/g;
/** ftfy's conservative unescape: only complete references ending in ';' (upper-case variants of lower-case names too). */
export function unescapeHtmlEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(HTML_ENTITY_RE, (ent) => {
    const name = ent.slice(1);
    const direct = namedEntity(name);
    if (direct !== undefined) return direct;
    if (name.startsWith('#')) {
      const un = unescapeHtml(ent);
      return un.includes(';') ? ent : un;
    }
    const lower = name.toLowerCase();
    if (name === name.toUpperCase() && lower !== name) {
      const viaLower = namedEntity(lower);
      if (viaLower !== undefined) return viaLower.toUpperCase();
    }
    return ent;
  });
}

export function removeTerminalEscapes(text: string): string {
  return text.replace(/\x1b\[(?:\d|;)*[a-zA-Z]/g, '');
}

// Single-character Latin ligatures (not æ/œ, which are letters in their own right).
const LIGATURES_RE = /[\u0132\u0133\u0149\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06]/g;
export function fixLatinLigatures(text: string): string {
  return text.replace(LIGATURES_RE, (c) => c.normalize('NFKC'));
}

/** Fullwidth/halfwidth forms U+FF01-U+FFEF -> their NFKC forms; ideographic space -> ASCII space. */
export function fixCharacterWidth(text: string): string {
  return text.replace(/[\uff01-\uffef\u3000]/g, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));
}

export function uncurlQuotes(text: string): string {
  return text.replace(/[\u02bc\u2018-\u201b]/g, "'").replace(/[\u201c-\u201f]/g, '"');
}

export function fixLineBreaks(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(/[\r\u2028\u2029\u0085]/g, '\n');
}

/** Lone UTF-16 surrogates (unrepresentable in UTF-8) become U+FFFD. */
export function fixSurrogates(text: string): string {
  // Most texts have no lone surrogate; isWellFormed finds that without running the look-around regex.
  if ((text as string & { isWellFormed(): boolean }).isWellFormed()) return text;
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** ASCII controls except \t \n \f \r, DEL, deprecated Arabic format chars, interlinear annotations, U+FFFC, BOM. */
export function removeControlChars(text: string): string {
  return text.replace(/[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g, '');
}

/** ftfy.fix_text with the default configuration and the given normalization, repeated until nothing changes. */
export function fixText(text: string, normalization: NormalizationForm = 'NFC'): string {
  const doUnescape = !text.includes('<');
  for (let round = 0; round < 16; round++) {
    const before = text;
    if (doUnescape) text = unescapeHtmlEntities(text);
    text = removeTerminalEscapes(text);
    text = fixEncoding(text);
    text = fixC1Controls(text);
    text = fixLatinLigatures(text);
    text = fixCharacterWidth(text);
    text = uncurlQuotes(text);
    text = fixLineBreaks(text);
    text = fixSurrogates(text);
    text = removeControlChars(text);
    text = text.normalize(normalization);
    if (text === before) break;
  }
  return text;
}
