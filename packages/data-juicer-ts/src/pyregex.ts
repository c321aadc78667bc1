// Translate a Python `re`/`regex` pattern into an equivalent JS RegExp (u flag). Data-Juicer's patterns (and users'
// recipe patterns) are written for Python, where \w \d \s \b are Unicode-aware, `.` excludes only \n, `$` also matches
// before a final \n, and inline flags like (?i) lead the pattern. Unsupported constructs raise a clear error.

import { PY_REGEX_S_CLASS, PY_REGEX_W_CLASS } from './pystr.js';

export class PyRegexError extends Error {
  override name = 'PyRegexError';
}

const W = PY_REGEX_W_CLASS;
const S = PY_REGEX_S_CLASS;
const D = '\\p{Nd}';
// Characters that may be escaped with a backslash in a u-mode JS pattern.
const SYNTAX_CHARS = new Set('^$\\.*+?()[]{}|/'.split(''));

function literal(ch: string, inClass: boolean): string {
  if (SYNTAX_CHARS.has(ch) || (inClass && ch === '-')) return `\\${ch}`;
  return ch;
}

/** Translate the escape at pattern[i] (a backslash); returns [js, charsConsumed]. */
function translateEscape(p: string, i: number, inClass: boolean): [string, number] {
  const c = p[i + 1];
  if (c === undefined) throw new PyRegexError('pattern ends with a lone backslash');
  switch (c) {
    case 'w':
      return [inClass ? W : `[${W}]`, 2];
    case 'W':
      if (inClass) throw new PyRegexError('\\W inside a character class is not supported');
      return [`[^${W}]`, 2];
    case 'd':
      return [D, 2];
    case 'D':
      return ['\\P{Nd}', 2];
    case 's':
      return [inClass ? S : `[${S}]`, 2];
    case 'S':
      if (inClass) throw new PyRegexError('\\S inside a character class is not supported');
      return [`[^${S}]`, 2];
    case 'b':
      if (inClass) return ['\\x08', 2];
      return [`(?:(?<=[${W}])(?![${W}])|(?<![${W}])(?=[${W}]))`, 2];
    case 'B':
      return [`(?:(?<=[${W}])(?=[${W}])|(?<![${W}])(?![${W}]))`, 2];
    case 'A':
      return ['(?<![\\s\\S])', 2];
    case 'Z':
      return ['(?![\\s\\S])', 2];
    case 'p':
    case 'P': {
      const m = /^\{([^}]*)\}/.exec(p.slice(i + 2));
      if (m) return [`\\${c}{${m[1]}}`, 2 + m[0].length];
      const one = p[i + 2];
      if (one === undefined) throw new PyRegexError(`\\${c} needs a property name`);
      return [`\\${c}{${one}}`, 3];
    }
    case 'x': {
      const m = /^[0-9a-fA-F]{2}/.exec(p.slice(i + 2));
      if (!m) throw new PyRegexError('\\x needs two hex digits');
      return [`\\x${m[0]}`, 4];
    }
    case 'u': {
      const m = /^[0-9a-fA-F]{4}/.exec(p.slice(i + 2));
      if (!m) throw new PyRegexError('\\u needs four hex digits');
      return [`\\u${m[0]}`, 6];
    }
    case 'U': {
      const m = /^[0-9a-fA-F]{8}/.exec(p.slice(i + 2));
      if (!m) throw new PyRegexError('\\U needs eight hex digits');
      return [`\\u{${m[0].replace(/^0+(?=.)/, '')}}`, 10];
    }
    case 'n':
    case 't':
    case 'r':
    case 'f':
    case 'v':
      return [`\\${c}`, 2];
    case 'a':
      return ['\\x07', 2];
    default:
      if (/[1-9]/.test(c)) {
        if (inClass) throw new PyRegexError('a backreference inside a character class is not supported');
        return [`\\${c}`, 2];
      }
      if (c === '0') return ['\\0', 2];
      if (/[A-Za-z]/.test(c)) throw new PyRegexError(`unsupported escape \\${c}`);
      return [literal(c, inClass), 2];
  }
}

/**
 * Compile a Python pattern to a JS RegExp. `flags` are Python-style letters (i, s, m, x is rejected); the pattern's
 * leading inline flags `(?ims)` are honoured. The result always has the `u` flag, plus `g` when `global`.
 */
export function compilePyRegex(pattern: string, flags = '', global = true): RegExp {
  let p = pattern;
  let f = flags;
  // Leading global inline flags, e.g. (?i) or (?is).
  for (;;) {
    const m = /^\(\?([aiLmsux]+)\)/.exec(p);
    if (!m) break;
    f += m[1];
    p = p.slice(m[0].length);
  }
  if (f.includes('x')) throw new PyRegexError('verbose (?x) patterns are not supported');
  const dotAll = f.includes('s');
  const multiline = f.includes('m');
  let out = '';
  let inClass = false;
  let classStart = false;
  for (let i = 0; i < p.length; ) {
    const ch = p[i]!;
    if (ch === '\\') {
      const [js, n] = translateEscape(p, i, inClass);
      out += js;
      i += n;
      classStart = false;
      continue;
    }
    if (inClass) {
      if (ch === ']' && !classStart) {
        inClass = false;
        out += ']';
      } else if (ch === '[') {
        out += '\\[';
      } else if (ch === '^' && classStart && out.endsWith('[')) {
        out += '^';
        i++;
        // a ']' right after '[^' is a literal in Python
        if (p[i] === ']') {
          out += '\\]';
          i++;
        }
        classStart = false;
        continue;
      } else if (ch === ']' && classStart) {
        out += '\\]';
      } else {
        out += ch === '/' ? '\\/' : ch;
      }
      classStart = false;
      i++;
      continue;
    }
    switch (ch) {
      case '[':
        inClass = true;
        classStart = true;
        out += '[';
        i++;
        continue;
      case '.':
        out += dotAll ? '[\\s\\S]' : '[^\\n]';
        break;
      case '$':
        out += multiline ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))';
        break;
      case '^':
        out += multiline ? '(?<![^\\n])' : '(?<![\\s\\S])';
        break;
      case '(':
        if (p.startsWith('(?P<', i)) {
          out += '(?<';
          i += 4;
          continue;
        }
        if (p.startsWith('(?P=', i)) {
          const end = p.indexOf(')', i);
          out += `\\k<${p.slice(i + 4, end)}>`;
          i = end + 1;
          continue;
        }
        if (p.startsWith('(?#', i)) {
          i = p.indexOf(')', i) + 1;
          continue;
        }
        out += '(';
        break;
      case '/':
        out += '\\/';
        break;
      default:
        out += ch;
    }
    i++;
  }
  if (inClass) throw new PyRegexError('unterminated character set');
  const jsFlags = `u${global ? 'g' : ''}${f.includes('i') ? 'i' : ''}`;
  try {
    return new RegExp(out, jsFlags);
  } catch (e) {
    throw new PyRegexError(`cannot compile pattern ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}

/** Data-Juicer strips a user pattern written as r'...' or r"..." (quotes included in the string). */
export function stripRawPrefix(pattern: string): string {
  if ((pattern.startsWith("r'") && pattern.endsWith("'")) || (pattern.startsWith('r"') && pattern.endsWith('"')))
    return pattern.slice(2, -1);
  return pattern;
}

const TEMPLATE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  n: '\n',
  t: '\t',
  r: '\r',
  f: '\f',
  v: '\v',
  a: '\x07',
  b: '\b',
};

/**
 * A String.replace callback implementing Python's re.sub template: \1 and \g<name> group references, the escapes
 * \n \t \r \f \v \a \b \\, other non-letter escapes kept verbatim, and an error for unknown letter escapes.
 */
export function pyReplacer(template: string): (match: string, ...rest: unknown[]) => string {
  if (!template.includes('\\')) return () => template;
  type Part = string | { group: number | string };
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch !== '\\') {
      lit += ch;
      continue;
    }
    const c = template[i + 1];
    if (c === undefined) throw new PyRegexError('replacement ends with a lone backslash');
    if (c === 'g') {
      const m = /^<([^>]+)>/.exec(template.slice(i + 2));
      if (!m) throw new PyRegexError('replacement has \\g without <name>');
      parts.push(lit, { group: /^\d+$/.test(m[1]!) ? Number(m[1]) : m[1]! });
      lit = '';
      i += 1 + m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^\d{1,2}/.exec(template.slice(i + 1))!;
      parts.push(lit, { group: Number(m[0]) });
      lit = '';
      i += m[0].length;
    } else if (Object.hasOwn(TEMPLATE_ESCAPES, c)) {
      lit += TEMPLATE_ESCAPES[c];
      i++;
    } else if (/[A-Za-z]/.test(c)) {
      throw new PyRegexError(`bad escape \\${c} in replacement`);
    } else {
      lit += `\\${c}`;
      i++;
    }
  }
  parts.push(lit);
  return (match: string, ...rest: unknown[]) => {
    // rest: p1..pn, offset, string, [groups]
    const last = rest[rest.length - 1];
    const named = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : {};
    const numGroups = rest.length - (typeof last === 'object' && last !== null ? 3 : 2);
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') out += part;
      else if (typeof part.group === 'number') {
        if (part.group === 0) out += match;
        else if (part.group > numGroups) throw new PyRegexError(`invalid group reference ${part.group}`);
        else out += (rest[part.group - 1] as string | undefined) ?? '';
      } else out += named[part.group] ?? '';
    }
    return out;
  };
}
