// Run a list of ops over samples: in memory, or streaming over batches (async iterables of sample arrays or Arrow
// RecordBatches). Mappers and filters stream batch by batch; a deduplicator needs every sample that reached it, so it
// is a barrier: the samples before it are gathered, deduplicated in order, then streamed on. A sample an op fails on
// is dropped alone and reported; the rest go on.

import { batchFromRecords, recordsFromBatch } from '@steel/dataset';
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
  /** Called for each sample an op fails on (the sample is dropped). */
  onError?: (info: { op: string; index: number; error: Error; sample: Sample }) => void;
}

const ERROR_SAMPLES = 5;

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
      if (dedupAt < 0) {
        for await (const batch of input) {
          let cur = batch;
          for (let i = from; i < end; i++) cur = this.applyStreaming(i, cur);
          if (cur.length > 0) yield cur;
        }
        return;
      }
      const gathered: Sample[] = [];
      for await (const batch of input) {
        let cur = batch;
        for (let i = from; i < end; i++) cur = this.applyStreaming(i, cur);
        for (const s of cur) gathered.push(s);
      }
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
    const samples = (async function* () {
      for await (const b of batches) yield recordsFromBatch(b) as Sample[];
    })();
    for await (const out of this.runBatches(samples)) yield batchFromRecords(out);
  }
}
