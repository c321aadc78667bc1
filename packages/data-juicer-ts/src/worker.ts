// Worker-thread entry for parallel runs. Two modes, chosen by workerData.mode:
// - samples (Pipeline.runBatches): builds the streaming ops from their registry specs once, then runs each batch of
//   samples it is sent and replies with the surviving samples, per-op counts, errors and trace entries;
// - jsonl (runRecipe's JSONL engine): reads, parses, processes and serialises the byte ranges of the input it is
//   sent, one at a time, and replies with the export/stats bytes (transferred, not copied) and the counts.

import { parentPort, workerData } from 'node:worker_threads';
import { defaultRegistry } from './builtin.js';
import { type ChunkProcessorConfig, chunkTransferList, type JsonlChunk, JsonlChunkProcessor } from './jsonl-chunks.js';
import type { Deduplicator } from './op.js';
import { Pipeline } from './pipeline.js';
import type { Sample } from './sample.js';

interface OpSpec {
  name: string;
  params: Record<string, unknown>;
}

interface SamplesInit {
  mode?: 'samples';
  ops: OpSpec[];
  modules: string[];
  traceNum: number;
}

interface JsonlInit {
  mode: 'jsonl';
  ops: OpSpec[];
  /** Deduplicators whose hashes the chunks compute (trailing deduplicators, or runRecipe's hashWith). */
  tail: OpSpec[];
  cfg: ChunkProcessorConfig;
  modules: string[];
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function runSamplesMode(init: SamplesInit): Promise<void> {
  const ops = init.ops.map((o) => defaultRegistry.create(o.name, o.params));
  const errors: string[] = [];
  const pipeline = new Pipeline(ops, {
    keepStats: true,
    keepHashes: true,
    traceNum: init.traceNum,
    onError: (e) => errors.push(`${e.op}: ${e.error.message}`),
  });
  await pipeline.prepare();
  parentPort!.postMessage({ type: 'ready' });
  parentPort!.on('message', (msg: { id: number; samples: Sample[] }) => {
    const before = pipeline.reports.map((r) => ({ ...r }));
    const traceStart = pipeline.trace.length;
    errors.length = 0;
    const out = pipeline.runSamples(msg.samples);
    const deltas = pipeline.reports.map((r, i) => ({
      in: r.in - before[i]!.in,
      out: r.out - before[i]!.out,
      changed: r.changed - before[i]!.changed,
      errors: r.errors - before[i]!.errors,
    }));
    parentPort!.postMessage({
      type: 'result',
      id: msg.id,
      samples: out,
      deltas,
      errors: [...errors],
      trace: pipeline.trace.slice(traceStart),
    });
  });
}

async function runJsonlMode(init: JsonlInit): Promise<void> {
  const ops = init.ops.map((o) => defaultRegistry.create(o.name, o.params));
  const tail = init.tail.map((o) => defaultRegistry.create(o.name, o.params) as Deduplicator);
  const proc = new JsonlChunkProcessor(ops, tail, init.cfg, false);
  await proc.prepare();
  parentPort!.postMessage({ type: 'ready' });
  // One chunk at a time: the per-op counts of a chunk are the difference of the processor's totals around it.
  let queue = Promise.resolve();
  parentPort!.on('message', (msg: { id: number; chunk: JsonlChunk }) => {
    queue = queue.then(async () => {
      try {
        const result = await proc.process(msg.chunk);
        parentPort!.postMessage({ type: 'result', id: msg.id, result }, chunkTransferList(result));
      } catch (e) {
        parentPort!.postMessage({ type: 'failed', id: msg.id, message: message(e) });
      }
    });
  });
}

async function main(): Promise<void> {
  const init = workerData as SamplesInit | JsonlInit;
  for (const m of init.modules) await import(m);
  if (init.mode === 'jsonl') await runJsonlMode(init);
  else await runSamplesMode(init);
}

main().catch((e) => {
  parentPort!.postMessage({ type: 'fatal', message: message(e) });
});
