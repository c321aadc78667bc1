import { Mapper } from '../op.js';
import type { OpDefinition } from '../registry.js';

// Both definition forms must end the line right after the closing brace (Python re.MULTILINE `$`: before \n or at end).
const NEWCOMMAND_RE = /\\(?<![\p{L}\p{N}_])newcommand(?![\p{L}\p{N}_])\*?\{(\\[a-zA-Z0-9]+?)\}\{([^\n]*?)\}(?=\n|$)/gu;
const DEF_RE =
  /\\def[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*(\\[a-zA-Z0-9]+?)[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\{([^\n]*?)\}(?=\n|$)/gu;

export class MacroExpansionError extends Error {
  override name = 'MacroExpansionError';
}

/**
 * Python's `s.encode('unicode-escape')` used as an re.sub template: backslashes double and then collapse back, so
 * ASCII values survive unchanged, while any non-ASCII character becomes \xNN / \uNNNN, which re.sub rejects
 * ("bad escape"). Data-Juicer therefore fails on such a sample; so do we, with a clear message.
 */
function templateValue(value: string, name: string): string {
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (cp > 0x7e || (cp < 0x20 && ch !== '\t' && ch !== '\n' && ch !== '\r'))
      throw new MacroExpansionError(
        `expand_macro_mapper: macro ${name} has a non-ASCII value ${JSON.stringify(value)}; Data-Juicer's re.sub raises "bad escape" on it`,
      );
  }
  return value;
}

/** Inline argument-free LaTeX macros defined with \newcommand{\x}{v} or \def\x{v} (RedPajama's arXiv cleaner). */
export function expandMacros(text: string): string {
  const macros = new Map<string, string>();
  for (const re of [NEWCOMMAND_RE, DEF_RE]) {
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) macros.set(m[1]!, m[2]!);
  }
  for (const [name, value] of macros) {
    const repl = templateValue(value, name);
    const re = new RegExp(`(${name.replace(/\\/g, '\\\\')})([^a-zA-Z0-9])`, 'gu');
    text = text.replace(re, (_m, _n, next: string) => repl + next);
  }
  return text;
}

export const expandMacroMapper: OpDefinition = {
  name: 'expand_macro_mapper',
  kind: 'mapper',
  description: 'Expand LaTeX macros that take no arguments.',
  params: {},
  create: (p) =>
    new (class extends Mapper {
      processText(text: string): string {
        return expandMacros(text);
      }
    })('expand_macro_mapper', p),
};
