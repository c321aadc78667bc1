// Decoding from raw token bytes. Invalid UTF-8 becomes U+FFFD (HF's errors="replace"); a leading U+FEFF is kept.
import type { TokenBytes } from './byte-level.js';
import { TokenizerError } from './errors.js';

export interface DecodeOptions {
  /** Drop special added tokens (<|im_end|>, ...) from the text. Default false. */
  skipSpecialTokens?: boolean;
}

export function checkIds(ids: unknown, table: TokenBytes, where: string): asserts ids is ArrayLike<number> {
  if (!Array.isArray(ids) && !ArrayBuffer.isView(ids)) {
    throw new TokenizerError(`${where}: ids must be an array of integers, got ${describe(ids)}`);
  }
  const arr = ids as ArrayLike<unknown>;
  for (let i = 0; i < arr.length; i++) {
    const id = arr[i];
    if (typeof id !== 'number' || !table.has(id)) {
      throw new TokenizerError(
        `${where}: ids[${i}] = ${describe(id)} is not a token id (valid: integers 0..${table.size - 1})`,
      );
    }
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'number') return String(v);
  return typeof v;
}

export function idsToBytes(ids: ArrayLike<number>, table: TokenBytes, skipSpecial: boolean): Uint8Array {
  let n = 0;
  for (let i = 0; i < ids.length; i++) {
    if (skipSpecial && table.specialIds.has(ids[i]!)) continue;
    n += table.get(ids[i]!)!.length;
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (let i = 0; i < ids.length; i++) {
    if (skipSpecial && table.specialIds.has(ids[i]!)) continue;
    const b = table.get(ids[i]!)!;
    out.set(b, off);
    off += b.length;
  }
  return out;
}

/**
 * Incremental decoder for generation: push ids as they are sampled and get back only complete characters.
 * A multi-byte character split across tokens is held until its last byte arrives, so the output never contains a
 * broken or replaced character that the full decode would not have. `end()` flushes (an unfinished tail becomes U+FFFD).
 */
export class StreamDecoder {
  private decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private text = '';

  constructor(
    private readonly table: TokenBytes,
    private readonly options: DecodeOptions = {},
  ) {}

  /** Adds one id or several; returns the text that became complete (possibly ''). */
  push(ids: number | ArrayLike<number>): string {
    const list = typeof ids === 'number' ? [ids] : ids;
    checkIds(list, this.table, 'StreamDecoder.push');
    const chunk = this.decoder.decode(idsToBytes(list, this.table, this.options.skipSpecialTokens ?? false), {
      stream: true,
    });
    this.text += chunk;
    return chunk;
  }

  /** Flushes held bytes (an incomplete character becomes U+FFFD) and resets for a new sequence. */
  end(): string {
    const rest = this.decoder.decode();
    this.text += rest;
    this.decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    this.text = '';
    return rest;
  }

  /** Everything emitted since the last end(). */
  get emitted(): string {
    return this.text;
  }
}
