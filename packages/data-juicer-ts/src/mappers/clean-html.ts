import { unescapeHtml } from '../html-entities.js';
import { Mapper } from '../op.js';
import type { OpDefinition } from '../registry.js';

// Elements whose content the HTML tokenizer reads as raw text (no tags inside) or as RCDATA (entities only).
const RAW_TEXT = new Set(['script', 'style', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript']);
const RCDATA = new Set(['title', 'textarea']);
const HTML_SPACE = /[\t\n\f\r ]/;

function decodeText(s: string): string {
  return s.includes('&') ? unescapeHtml(s).replace(/\0/g, '') : s.replace(/\0/g, '');
}

/** Where `</name` (case-insensitive, followed by space, '/' or '>') starts, or -1. */
function findEndTag(s: string, from: number, name: string): number {
  const lower = s.toLowerCase();
  let i = from;
  for (;;) {
    i = lower.indexOf(`</${name}`, i);
    if (i < 0) return -1;
    const after = s[i + 2 + name.length];
    if (after === undefined || after === '>' || after === '/' || HTML_SPACE.test(after)) return i;
    i += 2;
  }
}

/** Index just past the `>` that closes a tag starting at `i` (quotes in attribute values respected), or -1 at EOF. */
function skipTag(s: string, i: number): number {
  // i points after '<' or '</'; read the tag name then attributes.
  let j = i;
  while (j < s.length && !HTML_SPACE.test(s[j]!) && s[j] !== '/' && s[j] !== '>') j++;
  for (;;) {
    while (j < s.length && (HTML_SPACE.test(s[j]!) || s[j] === '/')) j++;
    if (j >= s.length) return -1;
    if (s[j] === '>') return j + 1;
    // attribute name (the first char may be '=')
    j++;
    while (j < s.length && !HTML_SPACE.test(s[j]!) && s[j] !== '/' && s[j] !== '>' && s[j] !== '=') j++;
    while (j < s.length && HTML_SPACE.test(s[j]!)) j++;
    if (s[j] !== '=') continue;
    j++;
    while (j < s.length && HTML_SPACE.test(s[j]!)) j++;
    const q = s[j];
    if (q === '"' || q === "'") {
      const end = s.indexOf(q, j + 1);
      if (end < 0) return -1;
      j = end + 1;
    } else {
      while (j < s.length && !HTML_SPACE.test(s[j]!) && s[j] !== '>') j++;
    }
  }
}

/**
 * The concatenated text nodes of an HTML document, as an HTML5 parser + selectolax `text()` give them: tags and
 * comments vanish, character references are decoded, script/style content stays, block tags add no separator,
 * whitespace before the document's first content is dropped, CR LF becomes LF.
 */
export function htmlToText(html: string): string {
  const s = html.replace(/\r\n?/g, '\n');
  let out = '';
  let started = false; // leading whitespace before any content is dropped by the parser's early insertion modes
  const emit = (text: string) => {
    if (!started) {
      text = text.replace(/^[\t\n\f\r ]+/, '');
      if (text === '') return;
      started = true;
    }
    out += text;
  };
  let i = 0;
  let textStart = 0;
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    if (lt < 0) break;
    const next = s[lt + 1];
    if (next !== undefined && /[A-Za-z]/.test(next)) {
      emit(decodeText(s.slice(textStart, lt)));
      const end = skipTag(s, lt + 1);
      if (end < 0) return out; // EOF inside a tag: the tag is dropped
      started = true;
      const name = /^[^\t\n\f\r />]+/.exec(s.slice(lt + 1))![0].toLowerCase();
      i = end;
      if (RAW_TEXT.has(name) || RCDATA.has(name)) {
        const close = findEndTag(s, i, name);
        const body = s.slice(i, close < 0 ? s.length : close);
        emit(RCDATA.has(name) ? decodeText(body) : body);
        if (close < 0) return out;
        i = close;
      } else if (name === 'plaintext') {
        emit(s.slice(i));
        return out;
      }
      textStart = i;
    } else if (next === '/') {
      emit(decodeText(s.slice(textStart, lt)));
      const after = s[lt + 2];
      if (after === '>') {
        i = lt + 3; // `</>` is ignored
      } else if (after !== undefined && /[A-Za-z]/.test(after)) {
        const end = skipTag(s, lt + 2);
        if (end < 0) return out;
        i = end;
      } else if (after === undefined) {
        emit('</');
        return out;
      } else {
        const gt = s.indexOf('>', lt + 2); // bogus comment
        if (gt < 0) return out;
        i = gt + 1;
      }
      textStart = i;
    } else if (next === '!' || next === '?') {
      emit(decodeText(s.slice(textStart, lt)));
      if (s.startsWith('<!--', lt)) {
        if (s.startsWith('<!-->', lt)) i = lt + 5;
        else if (s.startsWith('<!--->', lt)) i = lt + 6;
        else {
          const end = s.indexOf('-->', lt + 4);
          if (end < 0) return out;
          i = end + 3;
        }
      } else {
        const gt = s.indexOf('>', lt + 2); // doctype or bogus comment
        if (gt < 0) return out;
        i = gt + 1;
      }
      textStart = i;
    } else {
      i = lt + 1; // a '<' that starts no tag is text
    }
  }
  emit(decodeText(s.slice(textStart)));
  return out;
}

/** Data-Juicer's list markers first, then the HTML text. */
export function cleanHtml(text: string): string {
  const replaced = text
    .replaceAll('<li>', '\n*')
    .replaceAll('</li>', '')
    .replaceAll('<ol>', '\n*')
    .replaceAll('</ol>', '');
  return htmlToText(replaced);
}

export const cleanHtmlMapper: OpDefinition = {
  name: 'clean_html_mapper',
  kind: 'mapper',
  description: 'Strip HTML tags and comments, keeping text nodes (list items become "*" lines).',
  params: {},
  create: (p) =>
    new (class extends Mapper {
      processText(text: string): string {
        return cleanHtml(text);
      }
    })('clean_html_mapper', p),
};
