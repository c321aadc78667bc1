// Steel's own engine: @steel/kernels-native's byte-level BPE with Qwen2's pre-tokenizer (C++ on `threads` threads
// when the addon is built, its JavaScript twin otherwise). This file does what HF does around the model: added
// tokens are split out of the raw text first (leftmost-longest, as HF's matcher), each remaining piece is NFC
// normalized on its own, then the kernel pre-tokenizes and merges it.
import { createRequire } from 'node:module';
import { createQwen2BpeKernel, type Qwen2BpeKernel, qwen2BpeTablesFromVocab } from '@steel/kernels-native';
import { TokenizerError } from '../errors.js';
import { NFC_DIFFERS_FROM_HF } from '../nfc-differences.js';
import { QWEN2_PRETOKENIZE_REGEX, type TokenizerJson } from '../tokenizer-json.js';
import type { EncodeEngine, FlatEncoding } from './engine.js';
import { NativeEngine } from './native.js';

type StringNormalizer = { normalizeString(s: string): string };
let hfNfcCache: StringNormalizer | null | undefined;

/**
 * NFC as HF's normalizer does it. JavaScript's `normalize` knows a newer Unicode: on the few code points where the
 * two differ (generated list, src/nfc-differences.ts) the text goes through HF's own NFC when the binding loads.
 */
export function hfNfc(text: string): string {
  if (!NFC_DIFFERS_FROM_HF.test(text)) return text.normalize('NFC');
  if (hfNfcCache === undefined) {
    try {
      hfNfcCache = (
        createRequire(import.meta.url)('tokenizers') as { nfcNormalizer(): StringNormalizer }
      ).nfcNormalizer();
    } catch {
      hfNfcCache = null; // no binding: JavaScript's NFC (differs from HF only on those code points)
    }
  }
  return hfNfcCache ? hfNfcCache.normalizeString(text) : text.normalize('NFC');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const emptyOrNull = (v: unknown) => v === undefined || v === null || v === '';

/**
 * Why the kernel cannot reproduce HF on this tokenizer.json, or undefined when it can: NFC, Split(Qwen2 regex,
 * Isolated) + ByteLevel without its own regex, a plain BPE (no dropout, unk, prefixes or byte fallback), added tokens
 * matched on raw text without strip/word options, and no truncation or padding.
 */
export function fastEngineUnsupportedReason(json: TokenizerJson): string | undefined {
  const n = json.normalizer;
  if (!isObject(n) || n.type !== 'NFC') return `normalizer is ${JSON.stringify(isObject(n) ? n.type : n)}, not NFC`;
  const pre = json.pre_tokenizer;
  const steps = isObject(pre) && pre.type === 'Sequence' && Array.isArray(pre.pretokenizers) ? pre.pretokenizers : [];
  const [split, byteLevel] = steps as Array<Record<string, unknown> | undefined>;
  const pattern = isObject(split?.pattern) ? split.pattern.Regex : undefined;
  if (
    steps.length !== 2 ||
    split?.type !== 'Split' ||
    pattern !== QWEN2_PRETOKENIZE_REGEX ||
    split.behavior !== 'Isolated' ||
    split.invert === true
  ) {
    return "pre_tokenizer is not Sequence[Split(Qwen2's regex, Isolated), ByteLevel]";
  }
  if (byteLevel?.type !== 'ByteLevel' || byteLevel.add_prefix_space === true || byteLevel.use_regex === true) {
    return 'the second pre-tokenizer is not ByteLevel(add_prefix_space=false, use_regex=false)';
  }
  const m = json.model;
  if (m.type !== 'BPE') return `model is ${m.type}, not BPE`;
  if (!emptyOrNull(m.dropout) && m.dropout !== 0) return 'BPE dropout is set';
  if (!emptyOrNull(m.unk_token)) return 'the BPE has an unk token';
  if (!emptyOrNull(m.continuing_subword_prefix) || !emptyOrNull(m.end_of_word_suffix)) {
    return 'the BPE has a subword prefix or suffix';
  }
  if (m.byte_fallback === true || m.ignore_merges === true) return 'the BPE uses byte_fallback or ignore_merges';
  for (const t of json.added_tokens) {
    if (t.normalized || t.lstrip || t.rstrip || t.single_word) {
      return `added token ${JSON.stringify(t.content)} uses normalized/lstrip/rstrip/single_word`;
    }
    if (t.content === '') return 'an added token is empty';
  }
  if (!emptyOrNull(json.truncation) || !emptyOrNull(json.padding)) return 'truncation or padding is configured';
  return undefined;
}

/** Finds added tokens in raw text: at the leftmost match, the longest token (HF's LeftmostLongest). */
class AddedTokenMatcher {
  private readonly regex: RegExp;
  private readonly ids: Map<string, number>;
  private readonly firstChars: Set<string>;

  constructor(tokens: ReadonlyArray<{ content: string; id: number }>) {
    this.ids = new Map(tokens.map((t) => [t.content, t.id]));
    // Alternation takes the first alternative that matches, so longest first gives leftmost-longest.
    const sorted = [...this.ids.keys()].sort((a, b) => b.length - a.length);
    this.regex = new RegExp(sorted.map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'gu');
    this.firstChars = new Set(sorted.map((s) => s[0]!));
  }

  /** Parts of `text`: strings (text between tokens) and numbers (token ids); undefined when there is no token. */
  split(text: string): Array<string | number> | undefined {
    let candidate = false;
    for (const c of this.firstChars) {
      if (text.includes(c)) {
        candidate = true;
        break;
      }
    }
    if (!candidate) return undefined;
    const parts: Array<string | number> = [];
    let last = 0;
    this.regex.lastIndex = 0;
    for (let m = this.regex.exec(text); m !== null; m = this.regex.exec(text)) {
      if (m.index > last) parts.push(text.slice(last, m.index));
      parts.push(this.ids.get(m[0])!);
      last = m.index + m[0].length;
    }
    if (parts.length === 0) return undefined;
    if (last < text.length) parts.push(text.slice(last));
    return parts;
  }
}

export interface FastEngineOptions {
  /** Threads of the C++ kernel for encodeBatch. */
  threads: number;
  /** 'auto' (C++ when built, else JS), or force one for tests. */
  kernel?: 'auto' | 'cpp' | 'js';
}

export class FastEngine implements EncodeEngine {
  readonly name = 'fast' as const;
  readonly kernel: Qwen2BpeKernel;
  readonly threads: number;
  private readonly special: AddedTokenMatcher | undefined;
  private readonly plain: AddedTokenMatcher | undefined;
  /** HF's binding, built on first use for offsets only (null: it does not load here). */
  private offsetsEngine: NativeEngine | null | undefined;

  constructor(
    private readonly json: TokenizerJson,
    options: FastEngineOptions,
  ) {
    const reason = fastEngineUnsupportedReason(json);
    if (reason) throw new TokenizerError(`the fast engine cannot reproduce HF on this tokenizer: ${reason}`);
    let kernel: Qwen2BpeKernel;
    try {
      kernel = createQwen2BpeKernel(qwen2BpeTablesFromVocab(json.model.vocab, json.model.merges), {
        implementation: options.kernel ?? 'auto',
        heapFromBytes: 16,
      });
    } catch (err) {
      throw new TokenizerError(`the fast engine cannot load this tokenizer: ${(err as Error).message}`);
    }
    this.kernel = kernel;
    this.threads = options.threads;
    const all = json.added_tokens;
    this.special = all.length > 0 ? new AddedTokenMatcher(all) : undefined;
    // Special tokens as plain text (HF split_special_tokens); non-special added tokens (Qwen3's <think>) still match.
    const nonSpecial = all.filter((t) => !t.special);
    this.plain = nonSpecial.length > 0 ? new AddedTokenMatcher(nonSpecial) : undefined;
  }

  async encodeBatchFlat(texts: string[], allowSpecial: boolean): Promise<FlatEncoding> {
    const matcher = allowSpecial ? this.special : this.plain;
    const segments: string[] = [];
    // Per text: undefined = exactly one segment (the common case), else its parts (segment index or token id).
    let layouts: Array<Array<{ segment: number } | { id: number }> | undefined> | undefined;
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i]!;
      const parts = matcher?.split(text);
      if (!parts) {
        segments.push(hfNfc(text));
        if (layouts) layouts.push(undefined);
        continue;
      }
      layouts ??= new Array(i).fill(undefined);
      layouts.push(
        parts.map((p) => {
          if (typeof p === 'number') return { id: p };
          segments.push(hfNfc(p));
          return { segment: segments.length - 1 };
        }),
      );
    }
    const { ids, ends } = await this.kernel.encode(segments, { threads: this.threads });
    if (!layouts) {
      const offsets = new Int32Array(texts.length + 1);
      offsets.set(ends, 1);
      return { ids, offsets };
    }
    let total = 0;
    const lengthOf = (s: number) => ends[s]! - (s > 0 ? ends[s - 1]! : 0);
    let seg = 0;
    for (const layout of layouts) {
      if (!layout) total += lengthOf(seg++);
      else for (const p of layout) total += 'id' in p ? 1 : lengthOf(seg++);
    }
    const out = new Int32Array(total);
    const offsets = new Int32Array(texts.length + 1);
    let at = 0;
    seg = 0;
    const copySegment = (s: number) => {
      const start = s > 0 ? ends[s - 1]! : 0;
      out.set(ids.subarray(start, ends[s]!), at);
      at += ends[s]! - start;
    };
    layouts.forEach((layout, i) => {
      if (!layout) copySegment(seg++);
      else {
        for (const p of layout) {
          if ('id' in p) out[at++] = p.id;
          else copySegment(seg++);
        }
      }
      offsets[i + 1] = at;
    });
    return { ids: out, offsets };
  }

  async encodeBatch(texts: string[], allowSpecial: boolean): Promise<number[][]> {
    const { ids, offsets } = await this.encodeBatchFlat(texts, allowSpecial);
    const out: number[][] = new Array(texts.length);
    for (let i = 0; i < texts.length; i++) {
      const start = offsets[i]!;
      const doc: number[] = new Array(offsets[i + 1]! - start);
      for (let k = 0; k < doc.length; k++) doc[k] = ids[start + k]!;
      out[i] = doc;
    }
    return out;
  }

  async encode(text: string, allowSpecial: boolean): Promise<number[]> {
    return (await this.encodeBatch([text], allowSpecial))[0]!;
  }

  /**
   * Offsets come from HF's binding: its alignment maps NFC output back into the input, which the kernel (given
   * normalized text) cannot. The ids are the same; without the binding the caller computes offsets over NFC(text).
   */
  async encodeWithOffsets(text: string, allowSpecial: boolean) {
    if (this.offsetsEngine === undefined) {
      try {
        this.offsetsEngine = new NativeEngine(this.json);
      } catch {
        this.offsetsEngine = null;
      }
    }
    return this.offsetsEngine?.encodeWithOffsets(text, allowSpecial);
  }
}
