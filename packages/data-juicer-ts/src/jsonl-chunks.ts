// The JSONL engine's unit of work: a byte range of one input file, read, parsed, run through the streaming ops and
// serialised to export/stats lines by whichever thread holds it (the main thread with np 1, a worker otherwise). The
// same function runs in both places, so np 1 and np N give byte-identical results; the main thread only stitches
// the returned buffers together in input order.
//
// Line ownership: a chunk [start, end) owns every line that *starts* in it (offset 0, or just after a '\n'). Its last
// line may run past `end`; it is read to its '\n'. So chunks can be cut at any byte offset without the main thread
// scanning the file, and every line belongs to exactly one chunk.
//
// Nothing here imports @steel/dataset statically: it pulls in Arrow and parquet-wasm, which would cost each worker
// ~0.4 CPU-s at start-up. Its exact JSON codec (integers beyond 2^53) is loaded only when a line needs it.

import { isUtf8 } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Deduplicator, type Op } from './op.js';
import { Pipeline, type TraceEntry } from './pipeline.js';
import { getField, HASH_KEY, MINHASH_KEY, type Sample, SIMHASH_KEY, STATS_KEY } from './sample.js';

/** Lines longer than this are rejected as `line-too-long` without being buffered (the @steel/dataset limit). */
export const JSONL_MAX_RECORD_BYTES = 256 * 1024 * 1024;

/**
 * Default bytes per chunk. At the end of a run a thread can wait for up to WORKER_QUEUE chunks another thread still
 * holds, so chunks must be small: 256 KiB (~30 ms of the Steel text recipe) measured ~0.1 s faster with np 2 than
 * 1 MiB on 43 MB (speed-up median 1.78x vs 1.56x over 8 interleaved pairs) and no slower with np 1.
 */
export const DEFAULT_JSONL_CHUNK_BYTES = 256 * 1024;

export interface JsonlChunk {
  /** Position in the run (results are stitched in this order). */
  index: number;
  file: string;
  start: number;
  end: number;
}

/** Cut each file into chunks of about `chunkBytes` (an empty file gets none). */
export function planJsonlChunks(files: Array<{ path: string; size: number }>, chunkBytes: number): JsonlChunk[] {
  if (!(Number.isInteger(chunkBytes) && chunkBytes >= 1))
    throw new Error(`jsonl chunk size must be a positive integer of bytes, got ${chunkBytes}`);
  const chunks: JsonlChunk[] = [];
  for (const f of files)
    for (let s = 0; s < f.size; s += chunkBytes)
      chunks.push({ index: chunks.length, file: f.path, start: s, end: Math.min(f.size, s + chunkBytes) });
  return chunks;
}

/**
 * What happens after the streaming ops:
 * - `none`: nothing, the lines are final;
 * - `dedup`: the trailing deduplicators' hashes are computed here and returned; the main thread decides (it needs
 *   every hash) and writes the survivors' lines;
 * - `hash`: sharded runs: the hashes are computed and kept on every output sample (`runRecipe`'s `hashWith`).
 */
export type ChunkTail = 'none' | 'dedup' | 'hash';

export interface ChunkProcessorConfig {
  textKey: string;
  keepStats: boolean;
  keepHashes: boolean;
  traceNum: number;
  tail: ChunkTail;
}

export interface ChunkReject {
  /** 1-based line within the chunk (the main thread adds the lines of the file's earlier chunks). */
  line: number;
  reason: string;
  message?: string;
}

export interface ChunkOpError {
  /** Index in the recipe's op list; -1 for a `hashWith` hash. */
  index: number;
  op: string;
  message: string;
  /** The failing sample when the chunk ran in the main thread (worker results leave it out). */
  sample?: Sample;
  error?: Error;
}

export interface ChunkResult {
  index: number;
  /** Export lines in `out` (tail `dedup`: samples hashed, some of which may have failed). */
  rows: number;
  /** Lines this chunk owns, blank ones included (line numbers of the next chunk of the file start after them). */
  lines: number;
  /** Non-blank lines: what @steel/dataset's ErrorReport counts as read. */
  records: number;
  /** Lines that parsed to a JSON object. */
  objects: number;
  /** Objects dropped because their text field is missing or null (Data-Juicer drops None text). */
  droppedNoText: number;
  rejects: ChunkReject[];
  /** Export lines, each ending in '\n'. */
  out: Uint8Array;
  /** `{"__dj__stats__": ...}` lines, one per export line. */
  stats: Uint8Array;
  /** tail `dedup`: per sample, where its export line and stats line end in `out` / `stats`. */
  outEnds?: Uint32Array;
  statsEnds?: Uint32Array;
  /** tail `dedup`: hashes[k][i] is deduplicator k's hash of sample i; '' after that sample's first failure. */
  hashes?: string[][];
  /**
   * tail `dedup` with the tracer on: each sample as the deduplicators receive it (JSON lines, ends in
   * `preDedupEnds`), so the main thread can rebuild the traced duplicate pairs exactly.
   */
  preDedup?: Uint8Array;
  preDedupEnds?: Uint32Array;
  /** tail `dedup`: the first deduplicator whose hash failed on a sample, and why. */
  hashFailures?: Array<{ sample: number; dedup: number; message: string; error?: Error; value?: Sample }>;
  /** Per streaming op: samples in / out / changed / errors in this chunk. */
  deltas: Array<{ in: number; out: number; changed: number; errors: number }>;
  errors: ChunkOpError[];
  trace: TraceEntry[];
}

const LONG_DIGITS = /\d{16}/;

type ExactJson = { parseJson(text: string): unknown; stringifyJson(value: unknown): string };
let exactJson: ExactJson | undefined;
/** @steel/dataset's lossless JSON codec, loaded on first need. */
async function loadExactJson(): Promise<ExactJson> {
  exactJson ??= (await import('@steel/dataset')) as ExactJson;
  return exactJson;
}

/** The bytes of a chunk's lines: from its first owned line start to the end of its last owned line. */
interface ChunkBytes {
  /** Lines as byte ranges into `buf` (without the '\n'); `tooLong` when the line was not buffered. */
  lines: Array<{ a: number; b: number; tooLong: boolean }>;
  buf: Buffer;
  /** Whether the chunk's first line is the file's first (a BOM is removed there). */
  fileStart: boolean;
}

function readChunkBytes(chunk: JsonlChunk, maxLineBytes: number): ChunkBytes {
  const fd = openSync(chunk.file, 'r');
  try {
    const size = fstatSync(fd).size;
    const from = Math.max(0, chunk.start - 1);
    const end = Math.min(chunk.end, size);
    let buf = Buffer.allocUnsafe(Math.max(0, end - from));
    let have = 0;
    while (have < buf.length) {
      const n = readSync(fd, buf, have, buf.length - have, from + have);
      if (n === 0) break;
      have += n;
    }
    buf = buf.subarray(0, have);
    const lines: ChunkBytes['lines'] = [];
    // The first line start at or after chunk.start, relative to `from`.
    let pos = chunk.start === 0 ? 0 : buf.indexOf(0x0a) + 1;
    if (chunk.start > 0 && pos === 0) return { lines, buf, fileStart: false };
    const ownedEnd = end - from; // a line starting at or past this offset belongs to the next chunk
    while (pos < ownedEnd) {
      const nl = buf.indexOf(0x0a, pos);
      if (nl >= 0) {
        lines.push({ a: pos, b: nl, tooLong: nl - pos > maxLineBytes });
        pos = nl + 1;
        continue;
      }
      // The last owned line runs past the chunk: read on to its '\n' (or the end of the file), buffering at most
      // maxLineBytes of it.
      const parts: Buffer[] = [buf];
      let total = buf.length;
      let lineBytes = buf.length - pos;
      let tooLong = lineBytes > maxLineBytes;
      let filePos = from + buf.length;
      const block = Buffer.allocUnsafe(1 << 16);
      while (filePos < size) {
        const n = readSync(fd, block, 0, block.length, filePos);
        if (n === 0) break;
        const k = block.subarray(0, n).indexOf(0x0a);
        const take = k >= 0 ? k : n;
        lineBytes += take;
        if (lineBytes > maxLineBytes) tooLong = true;
        if (!tooLong) {
          parts.push(Buffer.from(block.subarray(0, take)));
          total += take;
        }
        filePos += n;
        if (k >= 0) break;
      }
      if (!tooLong && parts.length > 1) buf = Buffer.concat(parts, total);
      lines.push({ a: pos, b: tooLong ? pos : buf.length, tooLong });
      break;
    }
    return { lines, buf, fileStart: chunk.start === 0 };
  } finally {
    closeSync(fd);
  }
}

function isBlank(buf: Buffer, a: number, b: number): boolean {
  for (let i = a; i < b; i++) {
    const c = buf[i]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/** The record without the reserved fields the run does not keep (Pipeline.finalize with keepStats on). */
function withoutHashes(s: Sample): Sample {
  if (!(HASH_KEY in s || SIMHASH_KEY in s || MINHASH_KEY in s)) return s;
  const out: Sample = { ...s };
  delete out[HASH_KEY];
  delete out[SIMHASH_KEY];
  delete out[MINHASH_KEY];
  return out;
}

/**
 * The per-thread state of the JSONL engine: the streaming ops (a Pipeline with stats and hashes kept, exactly as the
 * worker of `Pipeline.runBatches` runs them) and the deduplicators of the tail.
 */
export class JsonlChunkProcessor {
  private readonly pipeline: Pipeline;
  private readonly opErrors: ChunkOpError[] = [];
  private readonly encoder = new TextEncoder();

  constructor(
    streamingOps: readonly Op[],
    private readonly tailDedups: readonly Deduplicator[],
    private readonly cfg: ChunkProcessorConfig,
    private readonly includeFailedSamples: boolean,
  ) {
    for (const op of streamingOps)
      if (op instanceof Deduplicator) throw new Error(`jsonl engine: ${op.name} cannot run inside a chunk`);
    this.pipeline = new Pipeline(streamingOps, {
      keepStats: true,
      keepHashes: true,
      traceNum: cfg.traceNum,
      onError: (e) =>
        this.opErrors.push({
          index: e.index,
          op: e.op,
          message: e.error.message,
          ...(includeFailedSamples ? { sample: e.sample, error: e.error } : {}),
        }),
    });
  }

  async prepare(): Promise<void> {
    await this.pipeline.prepare();
    for (const d of this.tailDedups) await d.prepare();
  }

  async process(chunk: JsonlChunk, maxLineBytes = JSONL_MAX_RECORD_BYTES): Promise<ChunkResult> {
    const { lines, buf, fileStart } = readChunkBytes(chunk, maxLineBytes);
    const rejects: ChunkReject[] = [];
    const samples: Sample[] = [];
    let records = 0;
    let objects = 0;
    let droppedNoText = 0;
    let sawLongDigits = false;
    // One UTF-8 check and one decode for the whole chunk when it is valid (the common case): '\n' never occurs
    // inside a multi-byte sequence, so every line of a valid region is valid.
    const first = lines[0];
    const last = lines[lines.length - 1];
    let bomSkip = 0;
    if (first && fileStart && buf[first.a] === 0xef && buf[first.a + 1] === 0xbb && buf[first.a + 2] === 0xbf)
      bomSkip = 3;
    const regionValid =
      first && last && !lines.some((l) => l.tooLong) && isUtf8(buf.subarray(first.a + bomSkip, last.b));
    for (let k = 0; k < lines.length; k++) {
      const { a: a0, b: b0, tooLong } = lines[k]!;
      const lineNo = k + 1;
      if (tooLong) {
        records++;
        rejects.push({ line: lineNo, reason: 'line-too-long', message: `longer than ${maxLineBytes} bytes` });
        continue;
      }
      let a = a0;
      let b = b0;
      if (k === 0) a += bomSkip;
      if (b > a && buf[b - 1] === 0x0d) b--;
      if (isBlank(buf, a, b)) continue;
      records++;
      if (!regionValid && !isUtf8(buf.subarray(a, b))) {
        rejects.push({ line: lineNo, reason: 'invalid-utf8' });
        continue;
      }
      const text = buf.toString('utf8', a, b);
      let value: unknown;
      try {
        if (LONG_DIGITS.test(text)) {
          sawLongDigits = true;
          value = (await loadExactJson()).parseJson(text);
        } else value = JSON.parse(text);
      } catch (err) {
        rejects.push({ line: lineNo, reason: 'invalid-json', message: (err as Error).message });
        continue;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        rejects.push({
          line: lineNo,
          reason: 'not-an-object',
          message: `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`,
        });
        continue;
      }
      objects++;
      const v = getField(value as Record<string, unknown>, this.cfg.textKey);
      if (v === undefined || v === null) {
        droppedNoText++;
        continue;
      }
      samples.push(value as Sample);
    }

    // The streaming ops, with per-op deltas and this chunk's trace entries.
    const before = this.pipeline.reports.map((r) => ({ ...r }));
    const traceStart = this.pipeline.trace.length;
    this.opErrors.length = 0;
    const kept = this.pipeline.runSamples(samples);
    const deltas = this.pipeline.reports.map((r, i) => ({
      in: r.in - before[i]!.in,
      out: r.out - before[i]!.out,
      changed: r.changed - before[i]!.changed,
      errors: r.errors - before[i]!.errors,
    }));
    const errors: ChunkOpError[] = [...this.opErrors];
    const trace = this.pipeline.trace.slice(traceStart);

    // JSON.stringify, unless the row holds a bigint (it throws) or a RawJson (it would be quoted: an integer beyond
    // Int64 always shows as 16+ digits): then undefined, and the caller takes the exact serializer.
    const fastStringify = (row: unknown): string | undefined => {
      try {
        const s = JSON.stringify(row);
        return sawLongDigits && LONG_DIGITS.test(s) ? undefined : s;
      } catch {
        return undefined;
      }
    };
    const statsLine = (s: Sample) => JSON.stringify({ [STATS_KEY]: s[STATS_KEY] ?? {} });
    const exportRow = (s: Sample): Sample => {
      if (this.cfg.keepStats) return s;
      const { [STATS_KEY]: _drop, ...rest } = s;
      return rest;
    };

    let outText = '';
    let statsText = '';
    const result: ChunkResult = {
      index: chunk.index,
      lines: lines.length,
      rows: 0,
      records,
      objects,
      droppedNoText,
      rejects,
      out: new Uint8Array(0),
      stats: new Uint8Array(0),
      deltas,
      errors,
      trace,
    };
    if (this.cfg.tail === 'dedup') {
      // Hash every sample for each trailing deduplicator in turn (as Deduplicator.process does on the samples that
      // reach it); stop at a sample's first failure: it is dropped there if it gets that far.
      const n = kept.length;
      const hashes = this.tailDedups.map(() => new Array<string>(n).fill(''));
      const failures: NonNullable<ChunkResult['hashFailures']> = [];
      const outEnds = new Uint32Array(n);
      const statsEnds = new Uint32Array(n);
      const tracing = this.cfg.traceNum > 0;
      const preEnds = new Uint32Array(tracing ? n : 0);
      let preText = '';
      let preBytes = 0;
      let outBytes = 0;
      let statsBytes = 0;
      for (let i = 0; i < n; i++) {
        let s = kept[i]!;
        if (tracing) {
          const pre = `${fastStringify(s) ?? (await loadExactJson()).stringifyJson(s)}\n`;
          preText += pre;
          preBytes += Buffer.byteLength(pre);
          preEnds[i] = preBytes;
        }
        let failed = false;
        for (let k = 0; k < this.tailDedups.length; k++) {
          const d = this.tailDedups[k]!;
          try {
            s = d.computeHash(s);
            hashes[k]![i] = String(s[d.hashKey]);
          } catch (e) {
            const error = e instanceof Error ? e : new Error(String(e));
            failures.push({
              sample: i,
              dedup: k,
              message: error.message,
              ...(this.includeFailedSamples ? { error, value: s } : {}),
            });
            failed = true;
            break;
          }
        }
        if (!failed) {
          const row = this.cfg.keepHashes ? s : withoutHashes(s);
          const r = exportRow(row);
          const line = `${fastStringify(r) ?? (await loadExactJson()).stringifyJson(r)}\n`;
          const sl = `${statsLine(row)}\n`;
          outText += line;
          statsText += sl;
          outBytes += Buffer.byteLength(line);
          statsBytes += Buffer.byteLength(sl);
        }
        outEnds[i] = outBytes;
        statsEnds[i] = statsBytes;
      }
      result.rows = n;
      result.outEnds = outEnds;
      result.statsEnds = statsEnds;
      result.hashes = hashes;
      result.hashFailures = failures;
      if (tracing) {
        result.preDedup = this.encoder.encode(preText);
        result.preDedupEnds = preEnds;
      }
    } else {
      for (let s of kept) {
        if (!this.cfg.keepHashes) s = withoutHashes(s);
        if (this.cfg.tail === 'hash') {
          try {
            for (const d of this.tailDedups) s = d.computeHash(s);
          } catch (e) {
            const error = e instanceof Error ? e : new Error(String(e));
            errors.push({
              index: -1,
              op: 'hash',
              message: error.message,
              ...(this.includeFailedSamples ? { sample: s, error } : {}),
            });
            continue;
          }
        }
        const r = exportRow(s);
        outText += `${fastStringify(r) ?? (await loadExactJson()).stringifyJson(r)}\n`;
        statsText += `${statsLine(s)}\n`;
        result.rows++;
      }
    }
    result.out = this.encoder.encode(outText);
    result.stats = this.encoder.encode(statsText);
    return result;
  }
}

/** The ArrayBuffers of a result that can be transferred (not copied) to another thread. */
export function chunkTransferList(r: ChunkResult): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const a of [r.out, r.stats, r.outEnds, r.statsEnds, r.preDedup, r.preDedupEnds])
    if (a && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer)
      list.push(a.buffer);
  return list;
}
