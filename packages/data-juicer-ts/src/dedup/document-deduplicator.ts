import { createHash } from 'node:crypto';
import { Deduplicator } from '../op.js';
import type { ParamValues } from '../params.js';
import { PY_ISSPACE_CLASS, pyStrip } from '../pystr.js';
import type { OpDefinition } from '../registry.js';
import { HASH_KEY } from '../sample.js';

// \s+ | \d+ | ASCII punctuation, with Python re's Unicode \s (str.isspace, incl. \x1c-\x1f) and \d.
const NON_CHARACTER_RE = new RegExp(`[${PY_ISSPACE_CLASS}]+|\\p{Nd}+|[!"#$%&'()*+,\\-./:;<=>?@[\\\\\\]^_\`{|}~]`, 'gu');

export class DocumentDeduplicator extends Deduplicator {
  readonly hashKey = HASH_KEY;
  constructor(params: ParamValues) {
    super('document_deduplicator', params);
  }
  hashText(text: string): string {
    if (this.params.lowercase) text = text.toLowerCase();
    if (this.params.ignore_non_character) text = text.replace(NON_CHARACTER_RE, '');
    return createHash('md5').update(pyStrip(text), 'utf8').digest('hex');
  }
  protected keepMask(hashes: string[]): { keep: boolean[]; groups: Array<[number, number]> } {
    const first = new Map<string, number>();
    const groups: Array<[number, number]> = [];
    const paired = new Set<string>();
    const keep = hashes.map((h, i) => {
      const f = first.get(h);
      if (f === undefined) {
        first.set(h, i);
        return true;
      }
      if (!paired.has(h)) {
        paired.add(h);
        groups.push([f, i]);
      }
      return false;
    });
    return { keep, groups };
  }
}

export const documentDeduplicator: OpDefinition = {
  name: 'document_deduplicator',
  kind: 'deduplicator',
  description: 'Exact deduplication by the md5 of the stripped text; the first sample of each hash is kept.',
  params: {
    lowercase: { type: 'boolean', default: false, description: 'lower-case before hashing' },
    ignore_non_character: {
      type: 'boolean',
      default: false,
      description: 'remove whitespace, digits and ASCII punctuation before hashing',
    },
  },
  create: (p) => new DocumentDeduplicator(p),
};
