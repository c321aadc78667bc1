// AdamW on two threads: a worker updates one half of the parameters (by size) while the main thread updates the
// other. ORT refuses tensors on SharedArrayBuffers, so the worker's arrays are transferred to it and back each step
// (zero-copy moves); the maps then hold the returned arrays, and the caller re-binds them to the ORT session.
// Each element's arithmetic is the same as on one thread, so results are identical bit for bit.
import { Worker } from 'node:worker_threads';
import { type AdamW, adamwKernel } from './optimizer.js';

interface Item {
  name: string;
  p: Float32Array;
  g: Float32Array;
  m: Float32Array;
  v: Float32Array;
  decay: number;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const adamwKernel = ${adamwKernel.toString()};
parentPort.on('message', (msg) => {
  for (const it of msg.items) adamwKernel(it.p, it.g, it.m, it.v, it.decay, msg.b1, msg.b2, msg.bc2Sqrt, msg.eps, msg.stepSize, msg.scale);
  parentPort.postMessage(msg, msg.items.flatMap((it) => [it.p.buffer, it.g.buffer, it.m.buffer, it.v.buffer]));
});
`;

/** An array that owns its whole buffer (transferable on its own); copies views into larger buffers. */
export function ownBuffer(a: Float32Array): Float32Array {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && !(a.buffer instanceof SharedArrayBuffer)
    ? a
    : Float32Array.from(a);
}

export class ParallelAdamW {
  private readonly worker: Worker;
  /** Names updated by the worker. */
  readonly workerNames: Set<string>;

  constructor(sizes: ReadonlyMap<string, number>) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.unref();
    // greedy balance by element count, largest first
    const order = [...sizes].sort((a, b) => b[1] - a[1]);
    let main = 0;
    let work = 0;
    this.workerNames = new Set();
    for (const [name, n] of order) {
      if (work < main) {
        this.workerNames.add(name);
        work += n;
      } else main += n;
    }
  }

  /** One AdamW step on both threads; `params`, `grads` and the optimizer's moment maps get the returned arrays. */
  async step(
    opt: AdamW,
    params: Map<string, Float32Array>,
    grads: Map<string, Float32Array>,
    lr: number,
    scale: number,
  ): Promise<void> {
    const c = opt.begin(lr);
    const { expAvg, expAvgSq } = opt.state;
    const items: Item[] = [];
    for (const name of this.workerNames) {
      items.push({
        name,
        p: params.get(name)!,
        g: grads.get(name)!,
        m: expAvg.get(name)!,
        v: expAvgSq.get(name)!,
        decay: opt.decays(name) ? 1 - lr * opt.weightDecay : 1,
      });
    }
    const msg = { ...c, scale, items };
    const back = new Promise<{ items: Item[] }>((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
    });
    this.worker.postMessage(
      msg,
      items.flatMap((it) => [it.p.buffer, it.g.buffer, it.m.buffer, it.v.buffer] as ArrayBuffer[]),
    );
    for (const [name, p] of params) {
      if (this.workerNames.has(name)) continue;
      const decay = opt.decays(name) ? 1 - lr * opt.weightDecay : 1;
      adamwKernel(
        p,
        grads.get(name)!,
        expAvg.get(name)!,
        expAvgSq.get(name)!,
        decay,
        c.b1,
        c.b2,
        c.bc2Sqrt,
        c.eps,
        c.stepSize,
        scale,
      );
    }
    const r = await back;
    this.worker.removeAllListeners('error');
    for (const it of r.items) {
      params.set(it.name, it.p);
      grads.set(it.name, it.g);
      expAvg.set(it.name, it.m);
      expAvgSq.set(it.name, it.v);
    }
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
