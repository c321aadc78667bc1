import { Deduplicator } from '../op.js';
import { ParamError, type ParamValues } from '../params.js';
import { compilePyRegex, stripRawPrefix } from '../pyregex.js';
import type { OpDefinition } from '../registry.js';
import { SIMHASH_KEY } from '../sample.js';
import { combineHashes, type Fp64, findAllPairs, fpFromDecimal, fpToDecimal, shingleHash } from './simhash.js';

const PUNCTUATION_SPLIT = /\p{P}/u;

/** Shingles of a (lower-cased, pattern-stripped) text, as a list: duplicates count several times. */
export function simhashShingles(text: string, tokenization: string, window: number): string[] {
  const out: string[] = [];
  if (tokenization === 'character') {
    const chars = Array.from(text);
    for (let i = 0; i + window <= chars.length; i++) out.push(chars.slice(i, i + window).join(''));
  } else if (tokenization === 'space' || tokenization === 'punctuation') {
    // space: ASCII space only, empty pieces dropped; punctuation: regex.split(\p{P}), empty pieces kept.
    const tokens = tokenization === 'space' ? text.split(' ').filter((t) => t !== '') : text.split(PUNCTUATION_SPLIT);
    for (let i = 0; i + window <= tokens.length; i++) out.push(tokens.slice(i, i + window).join(' '));
  } else {
    throw new ParamError(`document_simhash_deduplicator.tokenization: unsupported "${tokenization}"`);
  }
  return out;
}

export class DocumentSimhashDeduplicator extends Deduplicator {
  readonly hashKey = SIMHASH_KEY;
  private readonly ignore: RegExp | null;

  constructor(params: ParamValues) {
    super('document_simhash_deduplicator', params);
    const pat = params.ignore_pattern as string | null;
    this.ignore = pat === null ? null : compilePyRegex(stripRawPrefix(pat));
  }

  /** The fingerprint of a text as its unsigned 64-bit halves. */
  fingerprint(text: string): Fp64 {
    if (this.params.lowercase) text = text.toLowerCase();
    if (this.ignore) text = text.replace(this.ignore, '');
    const shingles = simhashShingles(text, this.params.tokenization as string, this.params.window_size as number);
    return combineHashes(shingles.map(shingleHash));
  }

  hashText(text: string): string {
    return fpToDecimal(this.fingerprint(text));
  }

  protected keepMask(hashes: string[]): { keep: boolean[]; groups: Array<[number, number]> } {
    // Distinct fingerprint values, then connected components (union-find) over the near pairs.
    const valueIndex = new Map<string, number>();
    const values: Fp64[] = [];
    const sampleValue = hashes.map((h) => {
      let v = valueIndex.get(h);
      if (v === undefined) {
        v = values.length;
        valueIndex.set(h, v);
        values.push(fpFromDecimal(h));
      }
      return v;
    });
    const parent = Int32Array.from({ length: values.length }, (_, i) => i);
    const find = (x: number): number => {
      while (parent[x] !== x) {
        parent[x] = parent[parent[x]!]!;
        x = parent[x]!;
      }
      return x;
    };
    for (const [a, b] of findAllPairs(
      values,
      this.params.num_blocks as number,
      this.params.hamming_distance as number,
    )) {
      const ra = find(a);
      const rb = find(b);
      if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
    }
    const firstOfCluster = new Map<number, number>();
    const groups: Array<[number, number]> = [];
    const reported = new Set<number>();
    const keep = sampleValue.map((v, i) => {
      const root = find(v);
      const first = firstOfCluster.get(root);
      if (first === undefined) {
        firstOfCluster.set(root, i);
        return true;
      }
      if (!reported.has(root)) {
        reported.add(root);
        groups.push([first, i]);
      }
      return false;
    });
    return { keep, groups };
  }
}

export const documentSimhashDeduplicator: OpDefinition = {
  name: 'document_simhash_deduplicator',
  kind: 'deduplicator',
  description: 'Near-duplicate removal with 64-bit SimHash, block-permutation search and transitive clusters.',
  params: {
    tokenization: {
      type: 'string',
      default: 'space',
      oneOf: ['space', 'punctuation', 'character'],
      description:
        'shingle units: ASCII-space tokens (parity default), punctuation-split pieces, or characters (use for Chinese)',
    },
    window_size: { type: 'integer', default: 6, min: 1, description: 'tokens per shingle' },
    lowercase: { type: 'boolean', default: true, description: 'lower-case before shingling' },
    ignore_pattern: {
      type: 'string',
      default: null,
      nullable: true,
      description: 'Python regex removed before shingling (e.g. \\p{P})',
    },
    num_blocks: { type: 'integer', default: 6, min: 1, max: 64, description: 'blocks of the permutation search' },
    hamming_distance: { type: 'integer', default: 4, min: 0, description: 'max differing bits for duplicates' },
  },
  create: (p) => {
    if (!((p.hamming_distance as number) < (p.num_blocks as number)))
      throw new ParamError(
        `document_simhash_deduplicator.hamming_distance: must be smaller than num_blocks (${p.num_blocks}), got ${p.hamming_distance}`,
      );
    return new DocumentSimhashDeduplicator(p);
  },
};
