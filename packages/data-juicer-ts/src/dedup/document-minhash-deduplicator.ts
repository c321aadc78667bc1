import { createHash } from 'node:crypto';
import { Deduplicator } from '../op.js';
import { ParamError, type ParamValues } from '../params.js';
import { compilePyRegex, stripRawPrefix } from '../pyregex.js';
import type { OpDefinition } from '../registry.js';
import { MINHASH_KEY } from '../sample.js';
import { SentencePieceModel } from '../sentencepiece.js';
import { optimalLshParams } from './lsh-params.js';
import { MT19937 } from './mt19937.js';

const MERSENNE_PRIME = (1n << 61n) - 1n;
const MAX_HASH = (1n << 32n) - 1n;
const U64 = (1n << 64n) - 1n;

/** sha1_hash32: the first 4 bytes of SHA-1, little-endian. */
export function sha1Hash32(bytes: Buffer): number {
  return createHash('sha1').update(bytes).digest().readUInt32LE(0);
}

/** The (a, b) permutation parameters Data-Juicer draws from numpy RandomState(42). */
export function minhashPermutations(numPerm: number): { a: bigint[]; b: bigint[] } {
  const gen = new MT19937(42);
  const a: bigint[] = [];
  const b: bigint[] = [];
  for (let i = 0; i < numPerm; i++) {
    a.push(gen.randintUint64(1n, MERSENNE_PRIME));
    b.push(gen.randintUint64(0n, MERSENNE_PRIME));
  }
  return { a, b };
}

const PUNCTUATION_SPLIT = /\p{P}/u;

/**
 * The set of shingles (UTF-8 strings) of a text. `sentencepiece` needs `pieces` (a model's encode_as_pieces); its
 * shingles are `window` consecutive pieces joined with "" (Data-Juicer's `''.join`), the others join with " ".
 */
export function minhashShingles(
  text: string,
  tokenization: string,
  window: number,
  pieces?: (text: string) => string[],
): Set<string> {
  const out = new Set<string>();
  if (tokenization === 'sentencepiece') {
    if (!pieces) throw new Error('minhashShingles: tokenization "sentencepiece" needs the model\'s pieces function');
    const ps = pieces(text);
    for (let i = 0; i + window <= ps.length; i++) out.add(ps.slice(i, i + window).join(''));
  } else if (tokenization === 'character') {
    const chars = Array.from(text);
    for (let i = 0; i + window <= chars.length; i++) out.add(chars.slice(i, i + window).join(''));
  } else {
    const tokens = tokenization === 'space' ? text.split(' ').filter((t) => t !== '') : text.split(PUNCTUATION_SPLIT);
    for (let i = 0; i + window <= tokens.length; i++) out.add(tokens.slice(i, i + window).join(' '));
  }
  return out;
}

export class DocumentMinhashDeduplicator extends Deduplicator {
  readonly hashKey = MINHASH_KEY;
  readonly numBands: number;
  readonly rowsPerBand: number;
  private readonly permA: bigint[];
  private readonly permB: bigint[];
  private readonly ignore: RegExp | null;
  /** tokenization: sentencepiece: the model path, and the model once prepare() has loaded it. */
  private readonly spPath: string | null;
  private sp: SentencePieceModel | null = null;

  constructor(params: ParamValues) {
    super('document_minhash_deduplicator', params);
    const numPerm = params.num_permutations as number;
    let b = params.num_bands as number | null;
    let r = params.num_rows_per_band as number | null;
    if (b === null || r === null) [b, r] = optimalLshParams(params.jaccard_threshold as number, numPerm);
    this.numBands = b;
    this.rowsPerBand = r;
    ({ a: this.permA, b: this.permB } = minhashPermutations(numPerm));
    const pat = params.ignore_pattern as string | null;
    this.ignore = pat === null ? null : compilePyRegex(stripRawPrefix(pat));
    this.spPath = params.tokenization === 'sentencepiece' ? (params.tokenizer_model as string) : null;
  }

  override async prepare(): Promise<void> {
    if (this.spPath && !this.sp)
      this.sp = await SentencePieceModel.load(this.spPath, 'document_minhash_deduplicator.tokenizer_model');
  }

  override needsPrepare(): boolean {
    return this.spPath !== null && this.sp === null;
  }

  /** The signature: per permutation, min over shingles of ((h*a + b) mod 2^64 mod (2^61-1)) & 0xffffffff. */
  signature(text: string): number[] {
    if (this.params.lowercase) text = text.toLowerCase();
    if (this.ignore) text = text.replace(this.ignore, '');
    if (this.needsPrepare())
      throw new Error(`document_minhash_deduplicator: await op.prepare() first (it loads ${this.spPath})`);
    const sp = this.sp;
    const shingles = minhashShingles(
      text,
      this.params.tokenization as string,
      this.params.window_size as number,
      sp ? (t) => sp.encodeAsPieces(t) : undefined,
    );
    if (shingles.size === 0)
      throw new Error(
        `document_minhash_deduplicator: text has fewer than window_size (${this.params.window_size}) tokens, so no shingles; Data-Juicer fails on it too`,
      );
    const hv = [...shingles].map((s) => BigInt(sha1Hash32(Buffer.from(s, 'utf8'))));
    return this.permA.map((a, i) => {
      const b = this.permB[i]!;
      let min = MAX_HASH;
      for (const h of hv) {
        const v = (((((h * a) & U64) + b) & U64) % MERSENNE_PRIME) & MAX_HASH;
        if (v < min) min = v;
      }
      return Number(min);
    });
  }

  hashText(text: string): string {
    return this.signature(text)
      .map((v) => v.toString(16).padStart(8, '0'))
      .join('');
  }

  protected keepMask(hashes: string[]): { keep: boolean[]; groups: Array<[number, number]> } {
    const n = hashes.length;
    const parent = Int32Array.from({ length: n }, (_, i) => i);
    const find = (x: number): number => {
      while (parent[x] !== x) {
        parent[x] = parent[parent[x]!]!;
        x = parent[x]!;
      }
      return x;
    };
    const union = (x: number, y: number) => {
      const px = find(x);
      const py = find(y);
      if (px !== py) parent[Math.max(px, py)] = Math.min(px, py);
    };
    const width = this.rowsPerBand * 8;
    for (let band = 0; band < this.numBands; band++) {
      const buckets = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const key = hashes[i]!.slice(band * width, (band + 1) * width);
        const first = buckets.get(key);
        if (first === undefined) buckets.set(key, i);
        else union(i, first);
      }
    }
    const groups: Array<[number, number]> = [];
    const reported = new Set<number>();
    const keep = hashes.map((_, i) => {
      const root = find(i);
      if (root === i) return true;
      if (!reported.has(root)) {
        reported.add(root);
        groups.push([root, i]);
      }
      return false;
    });
    return { keep, groups };
  }
}

export const documentMinhashDeduplicator: OpDefinition = {
  name: 'document_minhash_deduplicator',
  kind: 'deduplicator',
  description: 'Near-duplicate removal with MinHash-LSH (bands/rows from the Jaccard threshold) and union-find.',
  params: {
    tokenization: {
      type: 'string',
      default: 'space',
      oneOf: ['space', 'punctuation', 'character', 'sentencepiece'],
      description: 'shingle units',
    },
    window_size: { type: 'integer', default: 5, min: 1, description: 'tokens per shingle' },
    lowercase: { type: 'boolean', default: true, description: 'lower-case before shingling' },
    ignore_pattern: { type: 'string', default: null, nullable: true, description: 'Python regex removed first' },
    num_permutations: { type: 'integer', default: 256, min: 1, description: 'MinHash permutations' },
    jaccard_threshold: { type: 'number', default: 0.7, min: 0, max: 1, description: 'similarity threshold' },
    num_bands: { type: 'integer', default: null, nullable: true, min: 1, description: 'LSH bands (null = optimal)' },
    num_rows_per_band: {
      type: 'integer',
      default: null,
      nullable: true,
      min: 1,
      description: 'rows per band (null = optimal)',
    },
    tokenizer_model: {
      type: 'string',
      default: null,
      nullable: true,
      description: 'SentencePiece .model file, required for tokenization: sentencepiece (nothing is downloaded)',
    },
  },
  create: (p) => {
    if (p.tokenization === 'sentencepiece' && p.tokenizer_model === null)
      throw new ParamError(
        'document_minhash_deduplicator.tokenizer_model: required when tokenization is "sentencepiece": the path of a SentencePiece .model file; nothing is downloaded',
      );
    const b = p.num_bands as number | null;
    const r = p.num_rows_per_band as number | null;
    if (b !== null && r !== null && b * r > (p.num_permutations as number))
      throw new ParamError(
        `document_minhash_deduplicator: num_bands * num_rows_per_band (${b * r}) must not exceed num_permutations (${p.num_permutations})`,
      );
    return new DocumentMinhashDeduplicator(p);
  },
};
