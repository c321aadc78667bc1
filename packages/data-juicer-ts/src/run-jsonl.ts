// The JSONL engine of runRecipe: plain .jsonl in, plain .jsonl out, no Arrow round trip. Inputs are cut into byte
// ranges (jsonl-chunks.ts); each range is read, parsed, run through the streaming ops and serialised by one thread
// (the main thread with np 1, worker threads otherwise), and the main thread only stitches the returned buffers into
// the export and stats files in input order, adds line numbers to rejected records, merges per-op counts, errors and
// trace entries, and runs the trailing deduplicators over the hashes the chunks computed.

import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { detectFormat, type ErrorReport, listDatasetFiles, parseJson, writeAtomically } from '@steel/dataset';
import {
  type ChunkProcessorConfig,
  type ChunkResult,
  type ChunkTail,
  DEFAULT_JSONL_CHUNK_BYTES,
  type JsonlChunk,
  JsonlChunkProcessor,
  planJsonlChunks,
} from './jsonl-chunks.js';
import { Deduplicator, type Op } from './op.js';
import { type OpReport, type TraceEntry, workerEntry } from './pipeline.js';
import type { Sample } from './sample.js';

const ERROR_SAMPLES = 5;

/** writeSync until every byte is written (a regular file normally takes all at once). */
function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

function isPlainJsonl(path: string): boolean {
  try {
    const f = detectFormat(path);
    return f.format === 'jsonl' && f.compression === 'none';
  } catch {
    return false;
  }
}

/**
 * The input files when the JSONL engine can run this job, else undefined (the Arrow engine runs it): every input
 * file and the export are uncompressed `.jsonl`, no mixture weights, deduplicators only at the end of the op list,
 * and `hashWith` only without deduplicators in the recipe. The choice never depends on the number of workers, so
 * np 1 and np N always run the same engine.
 */
export async function jsonlEngineInputs(
  paths: string[],
  weights: number[],
  exportPath: string,
  ops: readonly Op[],
  hashWith: readonly Deduplicator[] | undefined,
): Promise<string[] | undefined> {
  if (weights.some((w) => w !== 1) || !isPlainJsonl(exportPath)) return undefined;
  const firstDedup = ops.findIndex((o) => o instanceof Deduplicator);
  if (firstDedup >= 0 && ops.slice(firstDedup).some((o) => !(o instanceof Deduplicator))) return undefined;
  if (firstDedup >= 0 && hashWith && hashWith.length > 0) return undefined;
  let files: string[];
  try {
    files = await listDatasetFiles(paths);
  } catch {
    return undefined; // the Arrow engine reports the problem with its usual message
  }
  return files.length > 0 && files.every(isPlainJsonl) ? files : undefined;
}

export interface JsonlEngineJob {
  files: string[];
  exportPath: string;
  statsPath: string;
  overwrite: boolean;
  ops: readonly Op[];
  textKey: string;
  keepStats: boolean;
  keepHashes: boolean;
  traceNum: number;
  hashWith?: readonly Deduplicator[];
  workers: number;
  workerModules?: string[];
  chunkBytes?: number;
  errors: ErrorReport;
  onError?: (info: { op: string; index: number; error: Error; sample: Sample }) => void;
  onProgress?: (read: number) => void;
}

export interface JsonlEngineResult {
  written: number;
  droppedNoText: number;
  ops: OpReport[];
  trace: TraceEntry[];
  chunks: number;
  /** Worker threads used (0: everything ran in the calling thread). */
  workers: number;
}

/** Run a job with the JSONL engine; writes the export and the stats file atomically. */
export async function runJsonlEngine(job: JsonlEngineJob): Promise<JsonlEngineResult> {
  const firstDedup = job.ops.findIndex((o) => o instanceof Deduplicator);
  const local = firstDedup < 0 ? [...job.ops] : job.ops.slice(0, firstDedup);
  const dedups = (firstDedup < 0 ? [] : job.ops.slice(firstDedup)) as Deduplicator[];
  const tail: ChunkTail = dedups.length > 0 ? 'dedup' : job.hashWith && job.hashWith.length > 0 ? 'hash' : 'none';
  const tailOps = tail === 'dedup' ? dedups : tail === 'hash' ? [...job.hashWith!] : [];
  const cfg: ChunkProcessorConfig = {
    textKey: job.textKey,
    keepStats: job.keepStats,
    keepHashes: job.keepHashes,
    traceNum: job.traceNum,
    tail,
  };
  const reports: OpReport[] = job.ops.map((op, index) => ({
    index,
    name: op.name,
    kind: op.kind,
    in: 0,
    out: 0,
    changed: 0,
    errors: 0,
    errorSamples: [],
  }));
  const trace: TraceEntry[] = [];
  const traced = new Array<number>(job.ops.length).fill(0);
  const addTrace = (t: TraceEntry) => {
    if (traced[t.index]! < job.traceNum) {
      traced[t.index]!++;
      trace.push(t);
    }
  };
  const reportError = (index: number, op: string, error: Error, sample: Sample) => {
    if (index >= 0) {
      const r = reports[index]!;
      r.errors++;
      if (r.errorSamples.length < ERROR_SAMPLES) r.errorSamples.push(error.message);
    }
    job.onError?.({ op, index, error, sample });
  };

  const chunks = planJsonlChunks(
    job.files.map((path) => ({ path, size: statSync(path).size })),
    job.chunkBytes ?? DEFAULT_JSONL_CHUNK_BYTES,
  );
  // np N: N - 1 workers beside the main thread (which also processes chunks), no more than there are chunks to share.
  const nWorkers = job.workers > 1 ? Math.max(1, Math.min(job.workers - 1, chunks.length - 1)) : 0;
  const results = scheduleChunks(chunks, nWorkers, local, tailOps, cfg, job.workerModules ?? []);

  const statsTmp = join(dirname(job.statsPath), `.${basename(job.statsPath)}.tmp-${process.pid}`);
  let written = 0;
  let droppedNoText = 0;
  try {
    await writeAtomically(job.exportPath, job.overwrite, async (tmp) => {
      const outFd = openSync(tmp, 'w');
      const statsFd = openSync(statsTmp, 'w');
      try {
        const lineBase = new Map<string, number>();
        const held: ChunkResult[] = []; // tail `dedup`: every chunk, until the hashes are all known
        let objects = 0;
        for await (const r of results) {
          const file = chunks[r.index]!.file;
          const base = lineBase.get(file) ?? 0;
          lineBase.set(file, base + r.lines);
          job.errors.countRead(r.records);
          for (const rej of r.rejects)
            job.errors.record({
              file,
              line: base + rej.line,
              reason: rej.reason,
              ...(rej.message === undefined ? {} : { message: rej.message }),
            });
          droppedNoText += r.droppedNoText;
          r.deltas.forEach((d, k) => {
            const rep = reports[k]!;
            rep.in += d.in;
            rep.out += d.out;
            rep.changed += d.changed;
          });
          for (const e of r.errors) reportError(e.index, e.op, e.error ?? new Error(e.message), e.sample ?? {});
          for (const t of r.trace) addTrace(t);
          if (tail === 'dedup') held.push(r);
          else {
            writeAll(outFd, r.out);
            writeAll(statsFd, r.stats);
            written += r.rows;
          }
          objects += r.objects;
          job.onProgress?.(objects);
        }
        if (tail === 'dedup')
          written = finishDedups(
            held,
            dedups,
            firstDedup,
            reports,
            addTrace,
            reportError,
            outFd,
            statsFd,
            job.traceNum,
          );
      } finally {
        closeSync(outFd);
        closeSync(statsFd);
      }
    });
    renameSync(statsTmp, job.statsPath);
  } catch (e) {
    rmSync(statsTmp, { force: true });
    throw e;
  }
  return { written, droppedNoText, ops: reports, trace, chunks: chunks.length, workers: nWorkers };
}

/**
 * The trailing deduplicators over every chunk's hashes, in dataset order and in turn (each sees the survivors of the
 * previous one, as in the Pipeline), then the survivors' lines written. Returns the number written.
 */
function finishDedups(
  held: ChunkResult[],
  dedups: Deduplicator[],
  firstDedup: number,
  reports: OpReport[],
  addTrace: (t: TraceEntry) => void,
  reportError: (index: number, op: string, error: Error, sample: Sample) => void,
  outFd: number,
  statsFd: number,
  traceNum: number,
): number {
  const starts: number[] = [];
  let total = 0;
  for (const r of held) {
    starts.push(total);
    total += r.rows;
  }
  const failAt = new Int32Array(total).fill(-1);
  const failure = new Map<number, NonNullable<ChunkResult['hashFailures']>[number]>();
  held.forEach((r, c) => {
    for (const f of r.hashFailures ?? []) {
      failAt[starts[c]! + f.sample] = f.dedup;
      failure.set(starts[c]! + f.sample, f);
    }
  });
  const locate = (g: number): [ChunkResult, number] => {
    let lo = 0;
    let hi = held.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= g) lo = mid;
      else hi = mid - 1;
    }
    return [held[lo]!, g - starts[lo]!];
  };
  const hashOf = (k: number, g: number): string => {
    const [r, i] = locate(g);
    return r.hashes![k]![i]!;
  };
  // A traced duplicate: the sample as the Pipeline holds it at deduplicator k (its pre-deduplication form with the
  // hashes of deduplicators 0..k added, as Deduplicator.process adds them).
  const sampleAt = (k: number, g: number): Sample => {
    const [r, i] = locate(g);
    const a = i > 0 ? r.preDedupEnds![i - 1]! : 0;
    const line = Buffer.from(r.preDedup!.buffer, r.preDedup!.byteOffset + a, r.preDedupEnds![i]! - a - 1);
    let s = parseJson(line.toString('utf8')) as Sample;
    for (let j = 0; j <= k; j++) s = dedups[j]!.computeHash(s);
    return s;
  };
  let alive = Array.from({ length: total }, (_, g) => g);
  dedups.forEach((d, k) => {
    const rep = reports[firstDedup + k]!;
    rep.in += alive.length;
    const hashed: number[] = [];
    for (const g of alive) {
      if (failAt[g] === k) {
        const f = failure.get(g)!;
        reportError(firstDedup + k, d.name, f.error ?? new Error(f.message), f.value ?? {});
      } else hashed.push(g);
    }
    const { keep, groups } = d.keepMaskAndGroupsForHashes(hashed.map((g) => hashOf(k, g)));
    for (const [a, b] of groups.slice(0, Math.max(0, traceNum)))
      addTrace({
        op: d.name,
        index: firstDedup + k,
        kind: 'deduplicator',
        pair: { kept: sampleAt(k, hashed[a]!), removed: sampleAt(k, hashed[b]!) },
      });
    alive = hashed.filter((_, j) => keep[j]);
    rep.out += alive.length;
  });
  const keepSample = new Uint8Array(total);
  for (const g of alive) keepSample[g] = 1;
  held.forEach((r, c) => {
    const outParts: Uint8Array[] = [];
    const statsParts: Uint8Array[] = [];
    for (let i = 0; i < r.rows; i++) {
      if (!keepSample[starts[c]! + i]) continue;
      const o0 = i > 0 ? r.outEnds![i - 1]! : 0;
      const s0 = i > 0 ? r.statsEnds![i - 1]! : 0;
      outParts.push(r.out.subarray(o0, r.outEnds![i]!));
      statsParts.push(r.stats.subarray(s0, r.statsEnds![i]!));
    }
    if (outParts.length) {
      writeAll(outFd, Buffer.concat(outParts));
      writeAll(statsFd, Buffer.concat(statsParts));
    }
  });
  return alive.length;
}

interface WorkerMessage {
  type: 'ready' | 'fatal' | 'result' | 'failed';
  id?: number;
  message?: string;
  result?: ChunkResult;
}

/** Chunks a worker may have queued: enough that it never waits while the main thread is busy with a chunk. */
const WORKER_QUEUE = 2;

/**
 * Chunk results in chunk order, from `nWorkers` worker threads and the calling thread. The workers get chunks first
 * (each keeps WORKER_QUEUE queued, the one with the fewest gets the next); whenever they are all full, the calling
 * thread processes the next chunk itself (with np 1 there are no workers and it processes them all). So np N keeps N
 * threads busy: N - 1 workers plus the main thread, whose stitching and writing take little. Results held for
 * reordering are bounded (4 chunks per thread beyond the oldest unfinished one), so memory stays a few chunks per
 * thread whatever the input size. Worker start-up overlaps with the main thread's first chunks; the run still waits
 * for every worker to start, so a worker that cannot build the ops fails the run whatever the input size.
 */
async function* scheduleChunks(
  chunks: JsonlChunk[],
  nWorkers: number,
  local: Op[],
  tailOps: Deduplicator[],
  cfg: ChunkProcessorConfig,
  modules: string[],
): AsyncGenerator<ChunkResult> {
  const spec = (op: Op) => ({ name: op.name, params: { ...op.params } });
  const workers: Worker[] = [];
  const ready: boolean[] = [];
  const started: Array<Promise<void>> = [];
  const queued = new Array<number>(nWorkers).fill(0);
  const done = new Map<number, ChunkResult>();
  let failure: Error | undefined;
  let closing = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (e: Error) => {
    failure ??= e;
    notify();
  };
  try {
    const url = nWorkers > 0 ? workerEntry() : undefined;
    for (let w = 0; w < nWorkers; w++) {
      const worker = new Worker(url!, {
        workerData: { mode: 'jsonl', ops: local.map(spec), tail: tailOps.map(spec), cfg, modules },
      });
      workers.push(worker);
      ready.push(false);
      started.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (m: WorkerMessage) => {
            if (m.type === 'ready') {
              ready[w] = true;
              resolve();
              notify();
            } else if (m.type === 'result') {
              queued[w]!--;
              done.set(m.id!, m.result!);
              notify();
            } else {
              const chunk = m.id === undefined ? undefined : chunks[m.id];
              const e = new Error(
                m.type === 'fatal'
                  ? `pipeline worker: ${m.message}`
                  : `${chunk?.file ?? 'input'} (bytes ${chunk?.start}-${chunk?.end}): ${m.message}`,
              );
              reject(e);
              fail(e);
            }
          });
          worker.on('error', (e) => {
            reject(e);
            fail(e);
          });
          worker.on('exit', (code) => {
            if (closing) return;
            const e = new Error(`pipeline worker exited unexpectedly (code ${code})`);
            reject(e);
            fail(e);
          });
        }),
      );
    }
    // Rejections surface through `failure`; keep them from being reported as unhandled meanwhile.
    for (const p of started) p.catch(() => undefined);
    const proc = new JsonlChunkProcessor(local, tailOps, cfg, true);
    await proc.prepare();
    let next = 0;
    let flushed = 0;
    const window = 4 * (nWorkers + 1);
    const canTake = () => next < chunks.length && next < flushed + window;
    const pump = () => {
      while (canTake()) {
        let w = -1;
        for (let k = 0; k < nWorkers; k++)
          if (ready[k] && queued[k]! < WORKER_QUEUE && (w < 0 || queued[k]! < queued[w]!)) w = k;
        if (w < 0) return;
        workers[w]!.postMessage({ id: next, chunk: chunks[next] });
        queued[w]!++;
        next++;
      }
    };
    while (flushed < chunks.length) {
      if (failure) throw failure;
      const r = done.get(flushed);
      if (r) {
        done.delete(flushed);
        flushed++;
        pump();
        yield r;
        continue;
      }
      pump();
      if (canTake()) {
        // Every worker is full (or still starting): this thread takes the next chunk.
        const k = next++;
        done.set(k, await proc.process(chunks[k]!));
        // Let the workers' messages in (their results, 'ready') before deciding what to do next.
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (failure) throw failure;
    await Promise.all(started);
  } finally {
    closing = true;
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * export_shard_size for a JSONL export: split it into ceil(bytes / shardSize) contiguous shards by lines (bytes = the
 * lines' UTF-8 size without the '\n', i.e. each row's JSON size), named `<base>-<i>-of-<n>.jsonl`; the lines are
 * copied byte for byte. A result that fits in one shard stays one file.
 */
export async function splitJsonlExport(
  exportPath: string,
  shardSize: number,
  shardName: (i: number, n: number) => string,
  ranges: (rows: number, shards: number) => Array<[number, number]>,
): Promise<string[]> {
  const buf = readFileSync(exportPath);
  const ends: number[] = [];
  let bytes = 0;
  let pos = 0;
  while (pos < buf.length) {
    let nl = buf.indexOf(0x0a, pos);
    if (nl < 0) nl = buf.length;
    bytes += nl - pos;
    ends.push(nl + 1);
    pos = nl + 1;
  }
  const n = Math.ceil(bytes / shardSize);
  if (n <= 1) return [exportPath];
  const out: string[] = [];
  const rs = ranges(ends.length, n);
  for (let i = 0; i < n; i++) {
    const [a, b] = rs[i]!;
    const from = a > 0 ? ends[a - 1]! : 0;
    const to = b > 0 ? Math.min(ends[b - 1]!, buf.length) : 0;
    const p = shardName(i, n);
    await writeAtomically(p, true, async (tmp) => {
      const fd = openSync(tmp, 'w');
      try {
        writeAll(fd, buf.subarray(from, to));
      } finally {
        closeSync(fd);
      }
    });
    out.push(p);
  }
  rmSync(exportPath, { force: true });
  return out;
}
