// The JavaScript fallback of the Qwen2 BPE kernel: the pre-tokenizer as a JavaScript RegExp built from the same
// generated code-point classes as the C++ one (so both classify every code point alike), and HF's heap merge.
// Written independently of the C++ matcher, which makes the two a check on each other.
import type { EncodedSegments } from './addon.js';
import type { Qwen2BpeTables } from './qwen2-bpe.js';
import { LETTER_RANGES, NUMBER_RANGES, WHITE_SPACE_RANGES } from './unicode-classes.js';

function classBody(ranges: readonly number[]): string {
  let out = '';
  const esc = (cp: number) => `\\u{${cp.toString(16)}}`;
  for (let i = 0; i < ranges.length; i += 2) {
    const a = ranges[i]!;
    const b = ranges[i + 1]!;
    out += a === b ? esc(a) : `${esc(a)}-${esc(b)}`;
  }
  return out;
}

/**
 * Qwen2's `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
 * in JavaScript: `\s` is Unicode White_Space as in Rust (JS's own \s differs), (?i) folds s with U+017F as Rust does,
 * and L / N are the generated classes.
 */
export function qwen2PreTokenizerRegExp(): RegExp {
  const L = classBody(LETTER_RANGES);
  const N = classBody(NUMBER_RANGES);
  const W = classBody(WHITE_SPACE_RANGES);
  const source =
    "'(?:[sS\\u017F]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])" +
    `|[^\\r\\n${L}${N}]?[${L}]+` +
    `|[${N}]` +
    `| ?[^${W}${L}${N}]+[\\r\\n]*` +
    `|[${W}]*[\\r\\n]+` +
    `|[${W}]+(?![^${W}])` +
    `|[${W}]+`;
  return new RegExp(source, 'gu');
}

const NO_RANK = -1;
const TWO_POW_32 = 2 ** 32;

/** (left, right) -> rank, open addressing in typed arrays (a Map with 40-bit keys would box every key). */
class MergeRanks {
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly rank: Int32Array;
  private readonly mask: number;

  constructor(merges: Int32Array) {
    const n = merges.length / 3;
    let capacity = 1024;
    while (capacity < n * 3) capacity *= 2;
    this.mask = capacity - 1;
    this.left = new Int32Array(capacity).fill(-1);
    this.right = new Int32Array(capacity);
    this.rank = new Int32Array(capacity);
    for (let r = 0; r < n; r++) {
      const a = merges[3 * r]!;
      const b = merges[3 * r + 1]!;
      let h = this.hash(a, b);
      while (this.left[h] !== -1 && !(this.left[h] === a && this.right[h] === b)) h = (h + 1) & this.mask;
      // A later duplicate pair overrides an earlier one, as HF's HashMap collect does.
      this.left[h] = a;
      this.right[h] = b;
      this.rank[h] = r;
    }
  }

  private hash(a: number, b: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) & this.mask;
  }

  get(a: number, b: number): number {
    let h = this.hash(a, b);
    for (;;) {
      const l = this.left[h]!;
      if (l === -1) return NO_RANK;
      if (l === a && this.right[h] === b) return this.rank[h]!;
      h = (h + 1) & this.mask;
    }
  }
}

/** A binary min-heap of numbers (rank * 2^32 + position: lowest rank, then leftmost, first). */
class MinHeap {
  items: number[] = [];

  push(x: number): void {
    const a = this.items;
    let i = a.length;
    a.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= x) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = x;
  }

  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      const n = a.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const c = l + 1 < n && a[l + 1]! < a[l]! ? l + 1 : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

export class JsQwen2Bpe {
  private readonly regex = qwen2PreTokenizerRegExp();
  private readonly ranks: MergeRanks;
  private readonly mergedByRank: Int32Array;
  private readonly byteIds: Int32Array;
  private readonly encoder = new TextEncoder();
  private bytes = new Uint8Array(1024);
  private out = new Int32Array(1024);
  private outLength = 0;

  constructor(
    tables: Qwen2BpeTables,
    private readonly heapFromBytes: number,
  ) {
    this.byteIds = tables.byteIds.slice();
    this.ranks = new MergeRanks(tables.merges);
    this.mergedByRank = new Int32Array(tables.merges.length / 3);
    for (let r = 0; r < this.mergedByRank.length; r++) this.mergedByRank[r] = tables.merges[3 * r + 2]!;
  }

  preTokenize(text: string): string[] {
    return text.match(this.regex) ?? [];
  }

  encodeSegments(segments: readonly string[]): EncodedSegments {
    this.outLength = 0;
    const ends = new Uint32Array(segments.length);
    segments.forEach((text, i) => {
      this.regex.lastIndex = 0;
      for (let m = this.regex.exec(text); m !== null; m = this.regex.exec(text)) this.mergePiece(m[0]);
      ends[i] = this.outLength;
    });
    return { ids: this.out.slice(0, this.outLength), ends };
  }

  private emit(id: number): void {
    if (this.outLength === this.out.length) {
      const grown = new Int32Array(this.out.length * 2);
      grown.set(this.out);
      this.out = grown;
    }
    this.out[this.outLength++] = id;
  }

  private mergePiece(piece: string): void {
    if (this.bytes.length < piece.length * 3) this.bytes = new Uint8Array(piece.length * 3);
    const { written } = this.encoder.encodeInto(piece, this.bytes);
    const sym: number[] = [];
    for (let k = 0; k < written; k++) {
      const id = this.byteIds[this.bytes[k]!]!;
      if (id >= 0) sym.push(id); // no token for this byte and no unk token: HF drops it
    }
    const n = sym.length;
    if (n === 0) return;
    if (n === 1) {
      this.emit(sym[0]!);
      return;
    }
    if (written < this.heapFromBytes) this.mergeShort(sym);
    else this.mergeLong(sym);
  }

  // Rescan for the lowest pair rank, leftmost first; the order the heap below produces.
  private mergeShort(sym: number[]): void {
    const rank: number[] = [];
    for (let k = 0; k + 1 < sym.length; k++) rank.push(this.ranks.get(sym[k]!, sym[k + 1]!));
    for (;;) {
      let best = NO_RANK;
      let at = -1;
      for (let k = 0; k < rank.length; k++) {
        const r = rank[k]!;
        if (r !== NO_RANK && (best === NO_RANK || r < best)) {
          best = r;
          at = k;
        }
      }
      if (at < 0) break;
      sym[at] = this.mergedByRank[best]!;
      sym.splice(at + 1, 1);
      rank.splice(at, 1);
      if (at > 0) rank[at - 1] = this.ranks.get(sym[at - 1]!, sym[at]!);
      if (at + 1 < sym.length) rank[at] = this.ranks.get(sym[at]!, sym[at + 1]!);
    }
    for (const id of sym) this.emit(id);
  }

  // HF's scheme: a heap of (rank, position) over a linked list; stale entries are skipped when popped.
  private mergeLong(sym: number[]): void {
    const n = sym.length;
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    const heap = new MinHeap();
    for (let k = 0; k < n; k++) {
      prev[k] = k - 1;
      next[k] = k + 1 < n ? k + 1 : -1;
      if (k + 1 < n) {
        const r = this.ranks.get(sym[k]!, sym[k + 1]!);
        if (r !== NO_RANK) heap.push(r * TWO_POW_32 + k);
      }
    }
    while (heap.items.length > 0) {
      const top = heap.pop();
      const r = Math.floor(top / TWO_POW_32);
      const pos = top - r * TWO_POW_32;
      if (sym[pos]! < 0) continue;
      const nx = next[pos]!;
      if (nx < 0) continue;
      if (this.ranks.get(sym[pos]!, sym[nx]!) !== r) continue; // stale: the pair here grew since the push
      sym[pos] = this.mergedByRank[r]!;
      sym[nx] = -1;
      const after = next[nx]!;
      next[pos] = after;
      if (after >= 0) prev[after] = pos;
      const before = prev[pos]!;
      if (before >= 0) {
        const rl = this.ranks.get(sym[before]!, sym[pos]!);
        if (rl !== NO_RANK) heap.push(rl * TWO_POW_32 + before);
      }
      if (after >= 0) {
        const rr = this.ranks.get(sym[pos]!, sym[after]!);
        if (rr !== NO_RANK) heap.push(rr * TWO_POW_32 + pos);
      }
    }
    for (let k = 0; k >= 0; k = next[k]!) this.emit(sym[k]!);
  }
}
