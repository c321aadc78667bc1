// Run a list of ops over samples: in memory, or streaming over batches (async iterables of sample arrays or Arrow
// RecordBatches). Mappers and filters stream batch by batch; a deduplicator needs every sample that reached it, so it
// is a barrier: the samples before it are gathered, deduplicated in order, then streamed on. A sample an op fails on
// is dropped alone and reported; the rest go on.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
// @steel/dataset (Arrow, parquet) is imported only by runRecordBatches: worker threads start ~0.5 s faster without it.
import type { batchFromRecords } from '@steel/dataset';
import { Deduplicator, type DuplicatePair, Filter, Mapper, type Op } from './op.js';
import { HASH_KEY, MINHASH_KEY, type Sample, SIMHASH_KEY, STATS_KEY } from './sample.js';

type RecordBatch = ReturnType<typeof batchFromRecords>;

export interface OpReport {
  /** Position in the op list. */
  index: number;
  name: string;
  kind: Op['kind'];
  /** Samples that reached the op. */
  in: number;
  /** Samples it passed on. */
  out: number;
  /** Mappers: samples whose text changed. */
  changed: number;
  /** Samples dropped because the op threw on them. */
  errors: number;
  /** The first few error messages, for the report. */
  errorSamples: string[];
}

export interface TraceEntry {
  op: string;
  index: number;
  kind: 'mapper' | 'filter' | 'deduplicator';
  /** mapper: before/after text; filter: the removed sample (with stats); deduplicator: a kept/removed pair. */
  original?: string;
  processed?: string;
  removed?: Sample;
  pair?: DuplicatePair;
}

export interface PipelineOptions {
  /** Keep `__dj__stats__` in the output (Data-Juicer's keep_stats_in_res_ds). Default false. */
  keepStats?: boolean;
  /** Keep the `__dj__hash` / `__dj__simhash` / `__dj__minhash` fields (keep_hashes_in_res_ds). Default false. */
  keepHashes?: boolean;
  /** Record up to `traceNum` changed/removed samples per op (Data-Juicer's tracer). Default 0 = off. */
  traceNum?: number;
  /** Called for each sample an op fails on (the sample is dropped). In worker threads only `op` and `error` are real. */
  onError?: (info: { op: string; index: number; error: Error; sample: Sample }) => void;
  /**
   * Worker threads for the mappers and filters of `runBatches` (Data-Juicer's `np`); 1 = run in this thread.
   * Output order stays the input order. Workers rebuild the ops by name from the registry, so user ops must be
   * registered by a module listed in `workerModules`.
   */
  workers?: number;
  /** Module specifiers each worker imports first (e.g. one that calls registerOp for user ops). */
  workerModules?: string[];
}

/** The compiled worker entry (dist/worker.js), also when this module runs from source (tests). */
export function workerEntry(): URL {
  const here = import.meta.url;
  const url = here.endsWith('.ts') ? new URL('../dist/worker.js', here) : new URL('./worker.js', here);
  if (!existsSync(fileURLToPath(url)))
    throw new Error(`parallel pipeline: worker entry ${fileURLToPath(url)} is missing; build the package first`);
  return url;
}

interface WorkerResult {
  type: 'result';
  id: number;
  samples: Sample[];
  deltas: Array<{ in: number; out: number; changed: number; errors: number }>;
  errors: string[];
  trace: TraceEntry[];
}

const ERROR_SAMPLES = 5;

// Structured clone (postMessage) turns class instances into plain objects. @steel/dataset's RawJson (an integer
// literal beyond Int64, kept verbatim) would come back as {text: "..."} and be written as an object: such values go
// to the workers as tagged plain objects and are rebuilt on the way back.
const RAW_JSON_TAG = '__steel_dataset_raw_json__';

function isRawJson(v: object): v is { text: string } {
  return v.constructor?.name === 'RawJson' && typeof (v as { text?: unknown }).text === 'string';
}

/** `v` with every RawJson swapped by `swap` (copies only the containers on the way to one); `v` itself if none. */
function mapRawJson(v: unknown, swap: (raw: object) => unknown | undefined): unknown {
  if (v === null || typeof v !== 'object') return v;
  const swapped = swap(v);
  if (swapped !== undefined) return swapped;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    v.forEach((e, i) => {
      const m = mapRawJson(e, swap);
      if (m === e) return;
      out ??= [...v];
      out[i] = m;
    });
    return out ?? v;
  }
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(v)) {
    const e = (v as Record<string, unknown>)[k];
    const m = mapRawJson(e, swap);
    if (m === e) continue;
    out ??= { ...(v as Record<string, unknown>) };
    out[k] = m;
  }
  return out ?? v;
}

const tagRawJson = (raw: object) => (isRawJson(raw) ? { [RAW_JSON_TAG]: raw.text } : undefined);

export class Pipeline {
  readonly ops: readonly Op[];
  readonly reports: OpReport[];
  readonly trace: TraceEntry[] = [];
  private readonly opts: PipelineOptions;

  constructor(ops: readonly Op[], opts: PipelineOptions = {}) {
    for (const [i, op] of ops.entries())
      if (!(op instanceof Mapper || op instanceof Filter || op instanceof Deduplicator))
        throw new TypeError(`Pipeline op #${i} is not a Mapper, Filter or Deduplicator`);
    this.ops = ops;
    this.opts = opts;
    this.reports = ops.map((op, index) => ({
      index,
      name: op.name,
      kind: op.kind,
      in: 0,
      out: 0,
      changed: 0,
      errors: 0,
      errorSamples: [],
    }));
  }

  private fail(i: number, sample: Sample, e: unknown): void {
    const error = e instanceof Error ? e : new Error(String(e));
    const r = this.reports[i]!;
    r.errors++;
    if (r.errorSamples.length < ERROR_SAMPLES) r.errorSamples.push(error.message);
    this.opts.onError?.({ op: r.name, index: i, error, sample });
  }

  private traceCount(i: number): number {
    return this.trace.filter((t) => t.index === i).length;
  }

  /** Apply the streaming op `i` (mapper or filter) to a batch of samples. */
  private applyStreaming(i: number, samples: Sample[]): Sample[] {
    const op = this.ops[i]!;
    const r = this.reports[i]!;
    const traceNum = this.opts.traceNum ?? 0;
    r.in += samples.length;
    const out: Sample[] = [];
    for (const s of samples) {
      try {
        if (op instanceof Mapper) {
          const next = op.process(s);
          const before = s[op.textKey];
          const after = next[op.textKey];
          if (before !== after) {
            r.changed++;
            if (traceNum > 0 && this.traceCount(i) < traceNum)
              this.trace.push({
                op: op.name,
                index: i,
                kind: 'mapper',
                original: String(before),
                processed: String(after),
              });
          }
          out.push(next);
        } else if (op instanceof Filter) {
          const { sample, keep } = op.run(s);
          if (keep) out.push(sample);
          else if (traceNum > 0 && this.traceCount(i) < traceNum)
            this.trace.push({ op: op.name, index: i, kind: 'filter', removed: sample });
        }
      } catch (e) {
        this.fail(i, s, e);
      }
    }
    r.out += out.length;
    return out;
  }

  private applyDedup(i: number, samples: Sample[]): Sample[] {
    const op = this.ops[i] as Deduplicator;
    const r = this.reports[i]!;
    r.in += samples.length;
    const res = op.process(samples, this.opts.traceNum ?? 0);
    for (const { index, error } of res.errors) this.fail(i, samples[index]!, error);
    for (const pair of res.dupPairs) this.trace.push({ op: op.name, index: i, kind: 'deduplicator', pair });
    r.out += res.kept.length;
    return res.kept;
  }

  /** Remove the reserved fields the options do not keep. */
  finalize(sample: Sample): Sample {
    if (this.opts.keepStats && this.opts.keepHashes) return sample;
    const out: Sample = { ...sample };
    if (!this.opts.keepStats) delete out[STATS_KEY];
    if (!this.opts.keepHashes) {
      delete out[HASH_KEY];
      delete out[SIMHASH_KEY];
      delete out[MINHASH_KEY];
    }
    return out;
  }

  /** Await every op's `prepare()` (model loading). runBatches/runRecordBatches call it themselves. */
  async prepare(): Promise<void> {
    for (const op of this.ops) await op.prepare();
  }

  /**
   * Run the streaming ops [from, end) over `input` in worker threads, keeping input order: at most 2 batches in
   * flight per worker, results yielded in submission order.
   */
  private async *runParallelSegment(
    from: number,
    end: number,
    input: AsyncIterable<Sample[]>,
  ): AsyncGenerator<Sample[]> {
    const n = Math.max(1, Math.floor(this.opts.workers ?? 1));
    const specs = this.ops.slice(from, end).map((op) => ({ name: op.name, params: { ...op.params } }));
    const url = workerEntry();
    const workers: Worker[] = [];
    const pending = new Map<number, { resolve: (r: WorkerResult) => void; reject: (e: Error) => void }>();
    const fail = (e: Error) => {
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    };
    try {
      await Promise.all(
        Array.from({ length: n }, () => {
          const w = new Worker(url, {
            workerData: { ops: specs, modules: this.opts.workerModules ?? [], traceNum: this.opts.traceNum ?? 0 },
          });
          workers.push(w);
          return new Promise<void>((resolve, reject) => {
            w.on('message', (m: { type: string; id?: number; message?: string }) => {
              if (m.type === 'ready') resolve();
              else if (m.type === 'fatal') {
                const e = new Error(`pipeline worker: ${m.message}`);
                reject(e);
                fail(e);
              } else if (m.type === 'result') {
                const p = pending.get(m.id!);
                pending.delete(m.id!);
                p?.resolve(m as WorkerResult);
              }
            });
            w.on('error', (e) => {
              reject(e);
              fail(e);
            });
          });
        }),
      );
      const queue: Array<Promise<WorkerResult>> = [];
      let nextId = 0;
      const tagged = new Set<number>(); // batches that held a RawJson
      const take = async (): Promise<Sample[]> => {
        const r = await queue.shift()!;
        r.deltas.forEach((d, k) => {
          const rep = this.reports[from + k]!;
          rep.in += d.in;
          rep.out += d.out;
          rep.changed += d.changed;
          rep.errors += d.errors;
        });
        for (const msg of r.errors) {
          const op = msg.slice(0, msg.indexOf(':'));
          const idx = this.ops.findIndex((o, i) => i >= from && i < end && o.name === op);
          const rep = this.reports[idx >= 0 ? idx : from]!;
          if (rep.errorSamples.length < ERROR_SAMPLES) rep.errorSamples.push(msg.slice(op.length + 2));
          this.opts.onError?.({ op, index: idx, error: new Error(msg.slice(op.length + 2)), sample: {} });
        }
        const traceNum = this.opts.traceNum ?? 0;
        for (const t of r.trace) {
          const index = from + t.index;
          if (this.traceCount(index) < traceNum) this.trace.push({ ...t, index });
        }
        if (!tagged.delete(r.id)) return r.samples;
        const { RawJson } = await import('@steel/dataset');
        const untag = (o: object) => {
          const t = (o as Record<string, unknown>)[RAW_JSON_TAG];
          return typeof t === 'string' && Object.keys(o).length === 1 ? new RawJson(t) : undefined;
        };
        return r.samples.map((x) => mapRawJson(x, untag) as Sample);
      };
      for await (const batch of input) {
        const id = nextId++;
        const w = workers[id % n]!;
        queue.push(
          new Promise<WorkerResult>((resolve, reject) => {
            pending.set(id, { resolve, reject });
            const sent = batch.map((x) => mapRawJson(x, tagRawJson) as Sample);
            if (sent.some((x, k) => x !== batch[k])) tagged.add(id);
            w.postMessage({ id, samples: sent });
          }),
        );
        if (queue.length >= 2 * n) {
          const out = await take();
          if (out.length) yield out;
        }
      }
      while (queue.length) {
        const out = await take();
        if (out.length) yield out;
      }
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  }

  /** Run every op over an in-memory list of samples (call `await prepare()` first if an op loads a model). */
  runSamples(samples: Sample[]): Sample[] {
    const unready = this.ops.find((op) => op.needsPrepare());
    if (unready) throw new Error(`${unready.name} loads a model: await pipeline.prepare() before runSamples/runTexts`);
    let cur = samples;
    for (let i = 0; i < this.ops.length; i++)
      cur = this.ops[i] instanceof Deduplicator ? this.applyDedup(i, cur) : this.applyStreaming(i, cur);
    return cur.map((s) => this.finalize(s));
  }

  /** Convenience: run over bare strings (text under "text"), returning the surviving texts. */
  runTexts(texts: string[]): string[] {
    return this.runSamples(texts.map((text) => ({ text }))).map((s) => String(s.text));
  }

  /**
   * Stream batches of samples through the ops, in order. Output batches follow input order; a deduplicator gathers
   * everything before it and emits its survivors in batches of `barrierBatchSize`.
   */
  async *runBatches(
    batches: AsyncIterable<Sample[]> | Iterable<Sample[]>,
    barrierBatchSize = 1000,
  ): AsyncGenerator<Sample[]> {
    // Split the op list into segments of streaming ops separated by deduplicators.
    const run = async function* (
      this: Pipeline,
      from: number,
      input: AsyncIterable<Sample[]>,
    ): AsyncGenerator<Sample[]> {
      let dedupAt = -1;
      for (let i = from; i < this.ops.length; i++) {
        if (this.ops[i] instanceof Deduplicator) {
          dedupAt = i;
          break;
        }
      }
      const end = dedupAt < 0 ? this.ops.length : dedupAt;
      const parallel = (this.opts.workers ?? 1) > 1 && end > from;
      const segment = parallel
        ? this.runParallelSegment(from, end, input)
        : async function* (this: Pipeline) {
            for await (const batch of input) {
              let cur = batch;
              for (let i = from; i < end; i++) cur = this.applyStreaming(i, cur);
              if (cur.length > 0) yield cur;
            }
          }.call(this);
      if (dedupAt < 0) {
        yield* segment;
        return;
      }
      const gathered: Sample[] = [];
      for await (const cur of segment) for (const s of cur) gathered.push(s);
      const kept = this.applyDedup(dedupAt, gathered);
      async function* rebatch() {
        for (let k = 0; k < kept.length; k += barrierBatchSize) yield kept.slice(k, k + barrierBatchSize);
      }
      yield* run.call(this, dedupAt + 1, rebatch());
    };
    await this.prepare();
    const input = (async function* () {
      yield* batches;
    })();
    for await (const out of run.call(this, 0, input)) yield out.map((s) => this.finalize(s));
  }

  /** Stream Arrow RecordBatches (e.g. from @steel/dataset's readDataset) through the ops. */
  async *runRecordBatches(batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>): AsyncGenerator<RecordBatch> {
    const { batchFromRecords, recordsFromBatch } = await import('@steel/dataset');
    const samples = (async function* () {
      for await (const b of batches) yield recordsFromBatch(b) as Sample[];
    })();
    for await (const out of this.runBatches(samples)) yield batchFromRecords(out);
  }
}
