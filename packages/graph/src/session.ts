// A thin wrapper over onnxruntime-node: EP choice with a clear CUDA error, threads, optimization level,
// feeds from typed arrays, outputs written in place into preallocated tensors, timing per run.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DType, TypedData } from './dtype.js';
import { Graph } from './graph.js';
import { encodeModel, externalBuffer, type ToModelOptions, toModel } from './serialize.js';

export type ExecutionProvider = 'cpu' | 'cuda';
export type OptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface SessionOptions {
  /** 'cpu' (default) or 'cuda' (needs onnxruntime-node's CUDA 12 provider libraries). */
  ep?: ExecutionProvider;
  /** Threads inside one op (default: ORT's choice, all cores). */
  intraOpThreads?: number;
  interOpThreads?: number;
  /** Graph optimization level (default 'all'). */
  optimization?: OptimizationLevel;
  /** Options for turning a Graph into a model. */
  model?: ToModelOptions;
  /** Write the optimized model here (for inspection). */
  optimizedModelPath?: string;
  /** Extra ORT session options, passed through. */
  ort?: ort.InferenceSession.SessionOptions;
}

export interface RunResult {
  outputs: Record<string, ort.Tensor>;
  /** Wall-clock milliseconds of session.run. */
  ms: number;
  /** Resident set size after the run, bytes. */
  rssBytes: number;
}

/** Feeds may be ORT tensors or typed arrays with dims. float16 is a Uint16Array of half bits. */
export type Feed = ort.Tensor | { data: TypedData; dims: readonly number[]; dtype?: DType };

const ORT_TYPE: Record<DType, ort.Tensor.Type> = {
  float32: 'float32',
  float16: 'float16',
  float64: 'float64',
  int64: 'int64',
  int32: 'int32',
  bool: 'bool',
  uint8: 'uint8',
};

/** Make an ORT tensor from a typed array (dtype inferred from the array class unless given). */
export function tensor(data: TypedData, dims: readonly number[], dtype?: DType): ort.Tensor {
  const t: DType =
    dtype ??
    (data instanceof Float32Array
      ? 'float32'
      : data instanceof Float64Array
        ? 'float64'
        : data instanceof Uint16Array
          ? 'float16'
          : data instanceof BigInt64Array
            ? 'int64'
            : data instanceof Int32Array
              ? 'int32'
              : 'uint8');
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new Error(`tensor: ${data.length} elements for dims [${dims.join(',')}] (${n})`);
  return new ort.Tensor(ORT_TYPE[t], data as never, [...dims]);
}

function ortDir(): string {
  const req = createRequire(import.meta.url);
  return dirname(req.resolve('onnxruntime-node/package.json'));
}

/** Whether onnxruntime-node's CUDA provider library is present. */
export function cudaAvailable(): boolean {
  const dir = join(ortDir(), 'bin', 'napi-v6', process.platform, process.arch);
  return (
    existsSync(join(dir, 'libonnxruntime_providers_cuda.so')) || existsSync(join(dir, 'onnxruntime_providers_cuda.dll'))
  );
}

export const CUDA_MISSING =
  "execution provider 'cuda' is not installed: onnxruntime-node's CUDA 12 provider libraries are downloaded by its " +
  'postinstall script, which was skipped (ONNXRUNTIME_NODE_INSTALL=skip / .npmrc onnxruntime-node-install=skip) or ' +
  'could not reach its download host. Fix: on a machine with CUDA 12 and that host reachable, run ' +
  '`ONNXRUNTIME_NODE_INSTALL_CUDA=v12 npm rebuild onnxruntime-node`, or use ep: "cpu".';

export class Session {
  private constructor(
    readonly ort: ort.InferenceSession,
    readonly ep: ExecutionProvider,
  ) {}

  /** Create from a Graph, model bytes, or an .onnx path (external data beside it is found by ORT). */
  static async create(model: Graph | Uint8Array | string, opts: SessionOptions = {}): Promise<Session> {
    const ep = opts.ep ?? 'cpu';
    if (ep !== 'cpu' && ep !== 'cuda') throw new Error(`Session: unknown ep '${ep}' (allowed: cpu, cuda)`);
    if (ep === 'cuda' && !cudaAvailable()) throw new Error(`Session: ${CUDA_MISSING}`);
    const so: ort.InferenceSession.SessionOptions = {
      executionProviders: [ep],
      graphOptimizationLevel: opts.optimization ?? 'all',
      ...(opts.intraOpThreads ? { intraOpNumThreads: opts.intraOpThreads } : {}),
      ...(opts.interOpThreads ? { interOpNumThreads: opts.interOpThreads } : {}),
      ...(opts.optimizedModelPath ? { optimizedModelFilePath: opts.optimizedModelPath } : {}),
      ...opts.ort,
    };
    let s: ort.InferenceSession;
    try {
      if (model instanceof Graph) {
        const built = toModel(model, opts.model);
        const bytes = encodeModel(built.model);
        if (built.external.length) {
          so.externalData = [{ path: built.externalFile, data: externalBuffer(built) }];
        }
        s = await ort.InferenceSession.create(bytes, so);
      } else if (typeof model === 'string') {
        s = await ort.InferenceSession.create(model, so);
      } else s = await ort.InferenceSession.create(model, so);
    } catch (e) {
      const msg = (e as Error).message;
      if (ep === 'cuda' && /cuda|shared library/i.test(msg))
        throw new Error(`Session: ${CUDA_MISSING} (ORT said: ${msg})`);
      throw e;
    }
    return new Session(s, ep);
  }

  get inputNames(): readonly string[] {
    return this.ort.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.ort.outputNames;
  }

  /**
   * Run. `into` maps output names to preallocated tensors that ORT writes in place (reuse them across
   * steps to avoid allocation); `outputs` picks a subset of outputs to compute.
   */
  async run(
    feeds: Record<string, Feed>,
    opts: { outputs?: readonly string[]; into?: Record<string, ort.Tensor> } = {},
  ): Promise<RunResult> {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) {
      if (v instanceof ort.Tensor) f[k] = v as ort.Tensor;
      else {
        const r = v as { data: TypedData; dims: readonly number[]; dtype?: DType };
        f[k] = tensor(r.data, r.dims, r.dtype);
      }
    }
    const names = opts.outputs ?? this.outputNames;
    for (const n of names)
      if (!this.outputNames.includes(n))
        throw new Error(`Session.run: no output '${n}' (have ${this.outputNames.join(', ')})`);
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const n of names) fetches[n] = opts.into?.[n] ?? null;
    for (const n of Object.keys(opts.into ?? {}))
      if (!names.includes(n)) throw new Error(`Session.run: 'into' names unknown output '${n}'`);
    const t0 = performance.now();
    const out = await this.ort.run(f, fetches as ort.InferenceSession.FetchesType);
    const ms = performance.now() - t0;
    return { outputs: out as Record<string, ort.Tensor>, ms, rssBytes: process.memoryUsage().rss };
  }

  async release(): Promise<void> {
    await this.ort.release();
  }
}

/** Peak resident set size of this process so far (Linux VmHWM), bytes; 0 where unavailable. */
export function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export { ort };
