// Byte-level BPE with Qwen2's pre-tokenizer: the C++ kernel when the addon is built, else the same algorithm in
// JavaScript. Both give HF `tokenizers`' ids for one NFC text segment without added tokens (the caller normalizes and
// splits out added tokens; @steel/tokenizer does).
import { type EncodedSegments, type NativeHandle, nativeAddon, nativeKernelsStatus } from './addon.js';
import { KernelError } from './errors.js';
import { JsQwen2Bpe } from './qwen2-bpe-js.js';

export type { EncodedSegments } from './addon.js';

export type KernelImplementation = 'cpp' | 'js';

/** The model as ids: what the kernel needs from a tokenizer.json. */
export interface Qwen2BpeTables {
  /** byteIds[b] = id of the byte-level token of byte b, or -1 if the vocabulary has none (that byte is dropped). */
  byteIds: Int32Array;
  /** [left, right, merged] id triples in rank order (merge i has rank i). */
  merges: Int32Array;
}

export interface Qwen2BpeOptions {
  /** 'cpp' (fails if the addon is not available), 'js', or 'auto' (default: cpp when available, else js). */
  implementation?: KernelImplementation | 'auto';
  /**
   * Pieces of at least this many bytes are merged with a heap (HF's scheme), shorter ones by rescanning the pair
   * ranks, which is faster for them. Both give the same ids; tests set 0 to check that. Default 128.
   */
  heapFromBytes?: number;
}

export interface EncodeSegmentsOptions {
  /** Threads for the C++ kernel (segments are spread over them). Default 1. The JS fallback always uses 1. */
  threads?: number;
}

export interface Qwen2BpeKernel {
  readonly implementation: KernelImplementation;
  /**
   * Ids of every segment, concatenated: segment i is ids[ends[i-1] ?? 0 .. ends[i]). The C++ kernel works off the
   * main thread, so the event loop stays free meanwhile.
   */
  encode(segments: readonly string[], options?: EncodeSegmentsOptions): Promise<EncodedSegments>;
  /** The same on the calling thread (C++: still spread over `threads`). */
  encodeSync(segments: readonly string[], options?: EncodeSegmentsOptions): EncodedSegments;
  /** The pre-tokenizer alone: the pieces of `text` in order (they concatenate to `text`). */
  preTokenize(text: string): string[];
}

/** GPT-2's bytes_to_unicode: the printable stand-in code point of each byte in byte-level vocabularies. */
export function byteLevelAlphabet(): string[] {
  const out: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out[b] = String.fromCodePoint(printable ? b : 256 + n++);
  }
  return out;
}

/**
 * The kernel tables from a byte-level BPE vocabulary and merge list as they appear in tokenizer.json
 * (`model.vocab`, `model.merges` as "a b" strings or [a, b] pairs). Errors name the merge that does not fit.
 */
export function qwen2BpeTablesFromVocab(
  vocab: Readonly<Record<string, number>>,
  merges: ReadonlyArray<string | readonly [string, string]>,
): Qwen2BpeTables {
  // One property read per lookup; the typeof check rejects inherited names such as "constructor".
  const id = (token: string): number | undefined => {
    const v = vocab[token];
    return typeof v === 'number' ? v : undefined;
  };
  const byteIds = new Int32Array(256).fill(-1);
  byteLevelAlphabet().forEach((ch, b) => {
    const v = id(ch);
    if (v !== undefined) byteIds[b] = v;
  });
  const triples = new Int32Array(merges.length * 3);
  merges.forEach((m, i) => {
    let left: string;
    let right: string;
    if (typeof m === 'string') {
      const space = m.indexOf(' ');
      if (space <= 0 || space !== m.lastIndexOf(' ') || space === m.length - 1) {
        throw new KernelError(`merges[${i}] = ${JSON.stringify(m)} is not two tokens separated by one space`);
      }
      left = m.slice(0, space);
      right = m.slice(space + 1);
    } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') {
      [left, right] = m;
    } else {
      throw new KernelError(`merges[${i}] must be "a b" or ["a", "b"], got ${JSON.stringify(m)}`);
    }
    const a = id(left);
    const b = id(right);
    const ab = id(left + right);
    if (a === undefined || b === undefined || ab === undefined) {
      const missing = [left, right, left + right].filter((t) => id(t) === undefined);
      throw new KernelError(
        `merges[${i}] (${JSON.stringify(left)} + ${JSON.stringify(right)}): ${missing.map((t) => JSON.stringify(t)).join(', ')} not in the vocabulary`,
      );
    }
    triples[3 * i] = a;
    triples[3 * i + 1] = b;
    triples[3 * i + 2] = ab;
  });
  return { byteIds, merges: triples };
}

function checkTables(tables: Qwen2BpeTables): void {
  if (!(tables?.byteIds instanceof Int32Array) || tables.byteIds.length !== 256) {
    throw new KernelError('tables.byteIds must be an Int32Array of 256 ids (-1 for a byte without a token)');
  }
  if (!(tables.merges instanceof Int32Array) || tables.merges.length % 3 !== 0) {
    throw new KernelError('tables.merges must be an Int32Array of [left, right, merged] triples');
  }
}

function checkSegments(segments: readonly string[], where: string): void {
  if (!Array.isArray(segments)) throw new KernelError(`${where}: segments must be an array of strings`);
  for (let i = 0; i < segments.length; i++) {
    if (typeof segments[i] !== 'string') {
      throw new KernelError(`${where}: segments[${i}] must be a string, got ${typeof segments[i]}`);
    }
  }
}

function threadsOf(options: EncodeSegmentsOptions | undefined, where: string): number {
  const t = options?.threads ?? 1;
  if (!Number.isInteger(t) || t < 1 || t > 1024) {
    throw new KernelError(`${where}: threads must be an integer from 1 to 1024, got ${String(t)}`);
  }
  return t;
}

class CppQwen2Bpe implements Qwen2BpeKernel {
  readonly implementation = 'cpp' as const;
  private readonly handle: NativeHandle;
  private readonly utf8 = new TextDecoder('utf-8', { ignoreBOM: true }); // a leading U+FEFF is text here

  constructor(
    private readonly addon: NonNullable<ReturnType<typeof nativeAddon>>,
    tables: Qwen2BpeTables,
    heapFromBytes: number,
  ) {
    try {
      this.handle = addon.qwen2BpeCreate(tables.byteIds, tables.merges, heapFromBytes);
    } catch (err) {
      throw new KernelError(`cannot build the C++ Qwen2 BPE: ${(err as Error).message}`);
    }
  }

  encode(segments: readonly string[], options?: EncodeSegmentsOptions): Promise<EncodedSegments> {
    checkSegments(segments, 'encode');
    return this.addon.qwen2BpeEncode(this.handle, segments, threadsOf(options, 'encode'));
  }

  encodeSync(segments: readonly string[], options?: EncodeSegmentsOptions): EncodedSegments {
    checkSegments(segments, 'encodeSync');
    return this.addon.qwen2BpeEncodeSync(this.handle, segments, threadsOf(options, 'encodeSync'));
  }

  preTokenize(text: string): string[] {
    checkSegments([text], 'preTokenize');
    const bytes = Buffer.from(text, 'utf8');
    const bounds = this.addon.qwen2BpePreTokenize(this.handle, text);
    const out: string[] = [];
    for (let k = 0; k < bounds.length; k += 2) out.push(this.utf8.decode(bytes.subarray(bounds[k]!, bounds[k + 1]!)));
    return out;
  }
}

class JsKernel implements Qwen2BpeKernel {
  readonly implementation = 'js' as const;
  private readonly impl: JsQwen2Bpe;

  constructor(tables: Qwen2BpeTables, heapFromBytes: number) {
    this.impl = new JsQwen2Bpe(tables, heapFromBytes);
  }

  async encode(segments: readonly string[], options?: EncodeSegmentsOptions): Promise<EncodedSegments> {
    return this.encodeSync(segments, options);
  }

  encodeSync(segments: readonly string[], options?: EncodeSegmentsOptions): EncodedSegments {
    checkSegments(segments, 'encodeSync');
    threadsOf(options, 'encodeSync');
    return this.impl.encodeSegments(segments);
  }

  preTokenize(text: string): string[] {
    checkSegments([text], 'preTokenize');
    return this.impl.preTokenize(text);
  }
}

/** A Qwen2 byte-level BPE kernel over `tables` (see qwen2BpeTablesFromVocab). */
export function createQwen2BpeKernel(tables: Qwen2BpeTables, options: Qwen2BpeOptions = {}): Qwen2BpeKernel {
  checkTables(tables);
  const which = options.implementation ?? 'auto';
  if (which !== 'auto' && which !== 'cpp' && which !== 'js') {
    throw new KernelError(`implementation must be 'auto', 'cpp' or 'js', got ${JSON.stringify(which)}`);
  }
  const heapFromBytes = options.heapFromBytes ?? 128;
  if (!Number.isInteger(heapFromBytes) || heapFromBytes < 0) {
    throw new KernelError(`heapFromBytes must be an integer >= 0, got ${String(heapFromBytes)}`);
  }
  if (which === 'js') return new JsKernel(tables, heapFromBytes);
  const addon = nativeAddon();
  if (addon) return new CppQwen2Bpe(addon, tables, heapFromBytes);
  if (which === 'cpp') {
    const status = nativeKernelsStatus();
    throw new KernelError(`the C++ kernels are not available (${status.reason}; ${status.path})`);
  }
  return new JsKernel(tables, heapFromBytes);
}
