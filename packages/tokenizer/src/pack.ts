// Tokenize a stream of documents and pack it into LITPKDS shards, the way Steel prepared its pre-training data
// (spec §2.3): documents in input order, `<|im_end|>` after every document, fixed-size files that documents
// straddle, the last file's tail padded with `<|endoftext|>`. The shard format itself lives in @steel/dataset.

import { type PackedManifest, PackedShardWriter, writeDataset, writePackedManifest } from '@steel/dataset';
import { Field, Int32, List, makeData, RecordBatch, Schema, Struct } from 'apache-arrow';
import type { FlatEncoding } from './engines/engine.js';
import { TokenizerError } from './errors.js';
import type { QwenTokenizer } from './tokenizer.js';

export interface PackTextsOptions {
  outDir: string;
  /** Shard file prefix: files are `${prefix}_0000000000.bin`, ... Default 'part'. */
  prefix?: string;
  /** Training context length; windows are blockSize + 1 tokens. Default 2048. */
  blockSize?: number;
  /** Windows per file: chunk size = (blockSize + 1) * chunkBlocks. Default 1024 (~8 MB per file; Steel: 204,800). */
  chunkBlocks?: number;
  /** Steel's rule: silently drop a last chunk at most 5 % full. Default false (nothing dropped). */
  steelCompat?: boolean;
  /** Split special-token strings inside documents into control ids (Steel's behaviour). Default false. */
  allowSpecial?: boolean;
  overwrite?: boolean;
  /** Recorded in the manifest. */
  sources?: string[];
  /** Recorded in the manifest (flags of the run). */
  options?: Record<string, unknown>;
  /** Manifest file name in outDir (default manifest.json). */
  manifestName?: string;
  /** Documents the caller skipped as bad records (read when the manifest is written). */
  skippedDocuments?: () => number;
  /**
   * Also write an Arrow IPC file here with one row per document, column `input_ids` (list of int32: the document's
   * ids without the `<|im_end|>` separator), in input order.
   */
  arrowOutput?: string;
  /** Documents per encodeBatch call (default 256); one call is encoded while the previous one is packed. */
  encodeBatchSize?: number;
  /** Called after each batch is packed. */
  onProgress?: (p: { documents: number; bytes: number; tokens: number }) => void;
}

export interface PackTextsResult {
  manifest: PackedManifest;
  manifestPath: string;
  /** UTF-8 bytes of the input texts. */
  bytes: number;
}

const ID_LIST = new List(new Field('item', new Int32(), false));
const IDS_SCHEMA = new Schema([new Field('input_ids', ID_LIST, false)]);

/** One Arrow batch with an `input_ids: List<Int32>` column: the flat encoding is already Arrow's values + offsets. */
function idsBatch({ ids, offsets }: FlatEncoding): RecordBatch {
  const length = offsets.length - 1;
  const child = makeData({ type: new Int32(), length: ids.length, nullCount: 0, data: ids });
  const list = makeData({ type: ID_LIST, length, nullCount: 0, valueOffsets: offsets, child });
  const struct = makeData({ type: new Struct(IDS_SCHEMA.fields), length, nullCount: 0, children: [list] });
  return new RecordBatch(IDS_SCHEMA, struct);
}

/** The documents' ids with the separator after each, in one array (one writer call per batch). */
function withSeparators({ ids, offsets }: FlatEncoding, sep: number): Int32Array {
  const docs = offsets.length - 1;
  const out = new Int32Array(ids.length + docs);
  let at = 0;
  for (let i = 0; i < docs; i++) {
    const doc = ids.subarray(offsets[i]!, offsets[i + 1]!);
    out.set(doc, at);
    at += doc.length;
    out[at++] = sep;
  }
  return out;
}

/** A minimal async queue feeding writeDataset while batches are produced. */
class BatchChannel implements AsyncIterable<RecordBatch> {
  private readonly items: RecordBatch[] = [];
  private waiting: ((r: IteratorResult<RecordBatch>) => void) | undefined;
  private closed = false;

  push(batch: RecordBatch): void {
    const w = this.waiting;
    this.waiting = undefined;
    if (w) w({ value: batch, done: false });
    else this.items.push(batch);
  }

  close(): void {
    this.closed = true;
    const w = this.waiting;
    this.waiting = undefined;
    w?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordBatch> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item) return Promise.resolve({ value: item, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
    };
  }
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new TokenizerError(`${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

/**
 * Encodes every text of `batches` (arrays of documents, in order) and writes packed shards + a manifest.
 * Encoding of one batch overlaps with reading the next (the native engine encodes on its own threads).
 */
export async function packTexts(
  tokenizer: QwenTokenizer,
  batches: AsyncIterable<string[]> | Iterable<string[]>,
  opts: PackTextsOptions,
): Promise<PackTextsResult> {
  const blockSize = positiveInt('blockSize', opts.blockSize ?? 2048);
  const chunkBlocks = positiveInt('chunkBlocks', opts.chunkBlocks ?? 1024);
  const chunkSize = (blockSize + 1) * chunkBlocks;
  const allowSpecial = opts.allowSpecial ?? false;
  const sep = tokenizer.specialTokenId('<|im_end|>');
  const pad = tokenizer.specialTokenId('<|endoftext|>');
  const writer = new PackedShardWriter({
    outDir: opts.outDir,
    prefix: opts.prefix ?? 'part',
    chunkSize,
    padId: pad,
    dtype: 'int32',
    steelCompat: opts.steelCompat ?? false,
    overwrite: opts.overwrite ?? false,
  });
  let documents = 0;
  let bytes = 0;
  let tokens = 0;
  const enc = new TextEncoder();
  let arrow: { channel: BatchChannel; done: Promise<unknown>; error?: unknown } | undefined;
  if (opts.arrowOutput) {
    const channel = new BatchChannel();
    arrow = { channel, done: Promise.resolve() };
    const a = arrow;
    a.done = writeDataset(channel, opts.arrowOutput, { format: 'arrow', overwrite: opts.overwrite ?? false }).catch(
      (err) => {
        a.error = err;
      },
    );
  }
  const write = async (texts: string[], encoded: FlatEncoding) => {
    if (arrow) {
      if (arrow.error) throw arrow.error;
      if (texts.length > 0) arrow.channel.push(idsBatch(encoded));
    }
    const packed = withSeparators(encoded, sep);
    await writer.add(packed);
    tokens += packed.length;
    documents += texts.length;
    for (const t of texts) bytes += t.length < 64 ? enc.encode(t).length : Buffer.byteLength(t, 'utf8');
    opts.onProgress?.({ documents, bytes, tokens });
  };
  let pending: { texts: string[]; ids: Promise<FlatEncoding> } | undefined;
  const subBatch = positiveInt('encodeBatchSize', opts.encodeBatchSize ?? 256);
  for await (const batch of batches) {
    if (!Array.isArray(batch)) throw new TokenizerError('packTexts: each batch must be an array of strings');
    // Smaller encode calls let packing/writing one part overlap with encoding the next on the engine's threads.
    for (let start = 0; start < batch.length; start += subBatch) {
      const texts = start === 0 && batch.length <= subBatch ? batch : batch.slice(start, start + subBatch);
      const next = { texts, ids: tokenizer.encodeBatchFlat(texts, { allowSpecial }) };
      // Keep the rejection handled while the previous part is written.
      next.ids.catch(() => {});
      if (pending) await write(pending.texts, await pending.ids);
      pending = next;
    }
  }
  if (pending) await write(pending.texts, await pending.ids);
  const summary = await writer.finish();
  if (arrow) {
    arrow.channel.close();
    await arrow.done;
    if (arrow.error) throw arrow.error;
  }
  const manifest: PackedManifest = {
    format: 'LITPKDS',
    version: 1,
    dtype: summary.dtype,
    chunkSize,
    blockSize,
    chunkBlocks,
    padId: pad,
    separatorId: sep,
    tokenizer: {
      variant: tokenizer.variant,
      vocabulary: tokenizer.origin,
      engine: tokenizer.engine,
      ...(tokenizer.kernel ? { kernel: tokenizer.kernel, threads: tokenizer.threads } : {}),
      vocabSize: tokenizer.vocabSize,
      allowSpecial,
    },
    sources: opts.sources ?? [],
    options: {
      steelCompat: opts.steelCompat ?? false,
      ...(opts.arrowOutput ? { arrowOutput: opts.arrowOutput } : {}),
      ...opts.options,
    },
    documents,
    skippedDocuments: opts.skippedDocuments?.() ?? 0,
    tokens: summary.tokens,
    droppedTokens: summary.droppedTokens,
    shards: summary.shards,
    createdAt: new Date().toISOString(),
  };
  const manifestPath = await writePackedManifest(opts.outDir, manifest, opts.manifestName);
  return { manifest, manifestPath, bytes };
}
