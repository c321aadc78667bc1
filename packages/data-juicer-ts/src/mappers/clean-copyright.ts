import { Mapper } from '../op.js';
import type { OpDefinition } from '../registry.js';

const BLOCK_COMMENT = /\/\*[^*]*\*+(?:[^/*][^*]*\*+)*\//;

/**
 * RedPajama's copyright cleaner: if the text has a C-style block comment, cut the first one when it mentions
 * "copyright" and stop; otherwise drop leading lines that start with //, # or -- or are empty.
 */
export function cleanCopyright(text: string): string {
  const m = BLOCK_COMMENT.exec(text);
  if (m) {
    if (m[0].toLowerCase().includes('copyright')) return text.slice(0, m.index) + text.slice(m.index + m[0].length);
    return text;
  }
  const lines = text.split('\n');
  let skip = 0;
  for (const line of lines) {
    if (line.startsWith('//') || line.startsWith('#') || line.startsWith('--') || line === '') skip++;
    else break;
  }
  return skip ? lines.slice(skip).join('\n') : text;
}

export const cleanCopyrightMapper: OpDefinition = {
  name: 'clean_copyright_mapper',
  kind: 'mapper',
  description: 'Remove a copyright block comment, or leading comment/blank lines when there is no block comment.',
  params: {},
  create: (p) =>
    new (class extends Mapper {
      processText(text: string): string {
        return cleanCopyright(text);
      }
    })('clean_copyright_mapper', p),
};
