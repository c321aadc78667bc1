// GPT-2 byte-level mapping: every vocabulary entry is a string of 'printable' stand-ins for raw bytes. The table
// below turns ids back into bytes, which gives both engines one exact, engine-independent decoder.
import type { TokenizerJson } from './tokenizer-json.js';

/** GPT-2's bytes_to_unicode: byte value -> stand-in code point. */
export function bytesToUnicode(): number[] {
  const table: number[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = printable ? b : 256 + n++;
  }
  return table;
}

/** id -> raw bytes for every vocabulary entry and added token. */
export class TokenBytes {
  private readonly data: Uint8Array;
  private readonly starts: Int32Array;
  /** One past the largest id; ids below it without an entry have start -1. */
  readonly size: number;
  readonly specialIds: ReadonlySet<number>;

  constructor(json: TokenizerJson) {
    const unicodeToByte = new Map<number, number>();
    bytesToUnicode().forEach((cp, b) => {
      unicodeToByte.set(cp, b);
    });
    let maxId = -1;
    for (const id of Object.values(json.model.vocab)) maxId = Math.max(maxId, id);
    for (const t of json.added_tokens) maxId = Math.max(maxId, t.id);
    this.size = maxId + 1;
    const pieces: Array<Uint8Array | undefined> = new Array(this.size);
    let total = 0;
    for (const [token, id] of Object.entries(json.model.vocab)) {
      const bytes = new Uint8Array(token.length);
      let k = 0;
      for (const ch of token) {
        const b = unicodeToByte.get(ch.codePointAt(0)!);
        // Not a byte-level token (cannot happen in Qwen's vocab): keep its UTF-8 so decode still shows something.
        if (b === undefined) {
          pieces[id] = new TextEncoder().encode(token);
          k = -1;
          break;
        }
        bytes[k++] = b;
      }
      if (k >= 0) pieces[id] = bytes.subarray(0, k);
      total += pieces[id]!.length;
    }
    const enc = new TextEncoder();
    const special = new Set<number>();
    for (const t of json.added_tokens) {
      pieces[t.id] = enc.encode(t.content);
      total += pieces[t.id]!.length;
      if (t.special) special.add(t.id);
    }
    this.specialIds = special;
    this.data = new Uint8Array(total);
    this.starts = new Int32Array(this.size + 1).fill(-1);
    let off = 0;
    for (let id = 0; id < this.size; id++) {
      const p = pieces[id];
      if (!p) continue;
      this.starts[id] = off;
      this.data.set(p, off);
      off += p.length;
    }
    this.starts[this.size] = off;
    this.ends = new Int32Array(this.size);
    for (let id = 0; id < this.size; id++) {
      const p = pieces[id];
      this.ends[id] = p ? this.starts[id]! + p.length : -1;
    }
  }

  private readonly ends: Int32Array;

  has(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.size && this.starts[id]! >= 0;
  }

  /** Raw bytes of one id (a view, do not modify); undefined for an id with no token. */
  get(id: number): Uint8Array | undefined {
    if (!this.has(id)) return undefined;
    return this.data.subarray(this.starts[id]!, this.ends[id]!);
  }
}
