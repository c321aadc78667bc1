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
  private readonly ends: Int32Array;
  /** One past the largest id; ids below it without an entry have start -1. */
  readonly size: number;
  readonly specialIds: ReadonlySet<number>;

  constructor(json: TokenizerJson) {
    // Stand-in code points are all below U+0144: a flat table beats a Map (this runs for 151k tokens at every load).
    const unicodeToByte = new Int16Array(0x144).fill(-1);
    bytesToUnicode().forEach((cp, b) => {
      unicodeToByte[cp] = b;
    });
    const entries = Object.entries(json.model.vocab);
    let maxId = -1;
    let chars = 0;
    for (const [token, id] of entries) {
      if (id > maxId) maxId = id;
      chars += token.length;
    }
    const enc = new TextEncoder();
    const added = json.added_tokens.map((t) => enc.encode(t.content));
    for (const t of json.added_tokens) if (t.id > maxId) maxId = t.id;
    this.size = maxId + 1;
    this.starts = new Int32Array(this.size).fill(-1);
    this.ends = new Int32Array(this.size).fill(-1);
    // A byte-level token has one byte per UTF-16 unit; any other token (not in Qwen's vocab) at most three.
    let data = new Uint8Array(chars * 3 + added.reduce((n, a) => n + a.length, 0));
    let off = 0;
    for (const [token, id] of entries) {
      const start = off;
      let k = 0;
      for (; k < token.length; k++) {
        const c = token.charCodeAt(k);
        const b = c < 0x144 ? unicodeToByte[c]! : -1;
        if (b < 0) break;
        data[off++] = b;
      }
      if (k < token.length) {
        // Not a byte-level token: keep its UTF-8 so decode still shows something.
        off = start + enc.encodeInto(token, data.subarray(start)).written;
      }
      this.starts[id] = start;
      this.ends[id] = off;
    }
    const special = new Set<number>();
    json.added_tokens.forEach((t, i) => {
      const bytes = added[i]!;
      data.set(bytes, off);
      this.starts[t.id] = off;
      off += bytes.length;
      this.ends[t.id] = off;
      if (t.special) special.add(t.id);
    });
    this.specialIds = special;
    if (off < data.length / 2) data = data.slice(0, off);
    this.data = data;
  }

  has(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.size && this.starts[id]! >= 0;
  }

  /** Raw bytes of one id (a view, do not modify); undefined for an id with no token. */
  get(id: number): Uint8Array | undefined {
    if (!this.has(id)) return undefined;
    return this.data.subarray(this.starts[id]!, this.ends[id]!);
  }
}
