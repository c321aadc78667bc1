// SimHash fingerprints bit-exact with simhash-pybind as Data-Juicer calls it, and the block-permutation search for all
// fingerprint pairs within a Hamming distance (seomoz simhash-cpp's find_all), without comparing all pairs.

import { md5First8 } from './md5.js';

/** A 64-bit fingerprint as two unsigned 32-bit halves (hi = bits 63..32). */
export interface Fp64 {
  hi: number;
  lo: number;
}

/** simhash.unsigned_hash: the first 8 bytes of md5(bytes), big-endian. */
export function shingleHash(shingle: string): Fp64 {
  const [hi, lo] = md5First8(shingle);
  return { hi, lo };
}

/** simhash.compute: bit i is set iff more hashes have it set than not (ties -> 0). No hashes -> 0. */
export function combineHashes(hashes: Fp64[]): Fp64 {
  if (hashes.length === 0) return { hi: 0, lo: 0 };
  const counts = new Int32Array(64);
  for (const h of hashes) {
    for (let b = 0; b < 32; b++) {
      counts[b] = counts[b]! + ((h.lo >>> b) & 1 ? 1 : -1);
      counts[32 + b] = counts[32 + b]! + ((h.hi >>> b) & 1 ? 1 : -1);
    }
  }
  let lo = 0;
  let hi = 0;
  for (let b = 0; b < 32; b++) {
    if (counts[b]! > 0) lo |= 1 << b;
    if (counts[32 + b]! > 0) hi |= 1 << b;
  }
  return { hi: hi >>> 0, lo: lo >>> 0 };
}

export function fpToDecimal(fp: Fp64): string {
  return ((BigInt(fp.hi) << 32n) | BigInt(fp.lo)).toString();
}

export function fpFromDecimal(s: string): Fp64 {
  const v = BigInt(s);
  if (v < 0n || v >= 1n << 64n) throw new RangeError(`simhash ${s} is not an unsigned 64-bit integer`);
  return { hi: Number(v >> 32n), lo: Number(v & 0xffffffffn) };
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export function hammingDistance(a: Fp64, b: Fp64): number {
  return popcount32((a.hi ^ b.hi) >>> 0) + popcount32((a.lo ^ b.lo) >>> 0);
}

/** Masks (hi, lo) of block i of B over bits [i*64/B, (i+1)*64/B), bit 0 being the least significant. */
function blockMask(i: number, numBlocks: number): Fp64 {
  const start = Math.floor((i * 64) / numBlocks);
  const end = Math.floor(((i + 1) * 64) / numBlocks);
  let hi = 0;
  let lo = 0;
  for (let b = start; b < end; b++) {
    if (b < 32) lo |= 1 << b;
    else hi |= 1 << (b - 32);
  }
  return { hi: hi >>> 0, lo: lo >>> 0 };
}

function combinations(n: number, k: number): number[][] {
  const out: number[][] = [];
  const cur: number[] = [];
  const rec = (start: number) => {
    if (cur.length === k) {
      out.push([...cur]);
      return;
    }
    for (let i = start; i < n; i++) {
      cur.push(i);
      rec(i + 1);
      cur.pop();
    }
  };
  rec(0);
  return out;
}

/**
 * Every unordered pair (by index into `fps`, which must hold distinct values) within `maxDistance` bits. By pigeonhole,
 * two fingerprints that differ in at most k bits agree exactly on at least B-k of the B blocks, so grouping by each
 * choice of B-k blocks and comparing only inside groups finds every pair. Groups are hash buckets (linked lists in
 * typed arrays, no per-group allocation); a bucket may mix keys, so the masked keys are compared before the distance.
 * A pair is reported only by the first table whose blocks it shares, so no pair comes out twice.
 */
export function findAllPairs(fps: Fp64[], numBlocks: number, maxDistance: number): Array<[number, number]> {
  if (!(maxDistance < numBlocks))
    throw new RangeError(`hamming_distance (${maxDistance}) must be smaller than num_blocks (${numBlocks})`);
  const masks = Array.from({ length: numBlocks }, (_, i) => blockMask(i, numBlocks));
  const tables = combinations(numBlocks, numBlocks - maxDistance).map((choice) => {
    let mh = 0;
    let ml = 0;
    for (const c of choice) {
      mh |= masks[c]!.hi;
      ml |= masks[c]!.lo;
    }
    return { mh: mh >>> 0, ml: ml >>> 0 };
  });
  const n = fps.length;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  fps.forEach((f, i) => {
    hi[i] = f.hi;
    lo[i] = f.lo;
  });
  let size = 1;
  while (size < n && size < 1 << 22) size <<= 1;
  const bucketMask = size - 1;
  const head = new Int32Array(size);
  const next = new Int32Array(n);
  const pairs: Array<[number, number]> = [];
  for (let t = 0; t < tables.length; t++) {
    const { mh, ml } = tables[t]!;
    head.fill(-1);
    for (let i = 0; i < n; i++) {
      const h = (Math.imul((hi[i]! & mh) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(lo[i]! & ml, 0xc2b2ae35)) >>> 0;
      const b = (h ^ (h >>> 15)) & bucketMask;
      next[i] = head[b]!;
      head[b] = i;
    }
    for (let b = 0; b < size; b++) {
      for (let i = head[b]!; i >= 0; i = next[i]!) {
        const ih = hi[i]!;
        const il = lo[i]!;
        for (let j = next[i]!; j >= 0; j = next[j]!) {
          const xh = (ih ^ hi[j]!) >>> 0;
          const xl = (il ^ lo[j]!) >>> 0;
          if ((xh & mh) !== 0 || (xl & ml) !== 0) continue; // different key in the same bucket
          if (popcount32(xh) + popcount32(xl) > maxDistance) continue;
          let earlier = false;
          for (let u = 0; u < t && !earlier; u++) earlier = (xh & tables[u]!.mh) === 0 && (xl & tables[u]!.ml) === 0;
          if (!earlier) pairs.push(i < j ? [i, j] : [j, i]);
        }
      }
    }
  }
  return pairs;
}
