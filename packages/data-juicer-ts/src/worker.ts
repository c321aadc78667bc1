// Worker-thread entry for parallel pipelines: builds the (streaming) ops from their registry specs once, then runs
// each batch it is sent and replies with the surviving samples, per-op counts, errors and trace entries.

import { parentPort, workerData } from 'node:worker_threads';
import { defaultRegistry } from './builtin.js';
import { Pipeline } from './pipeline.js';
import type { Sample } from './sample.js';

interface WorkerInit {
  ops: Array<{ name: string; params: Record<string, unknown> }>;
  modules: string[];
  traceNum: number;
}

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  for (const m of init.modules) await import(m);
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

main().catch((e) => {
  parentPort!.postMessage({ type: 'fatal', message: e instanceof Error ? e.message : String(e) });
});
