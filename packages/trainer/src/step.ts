// One micro-batch through ORT: forward + next-token loss + backward as one graph. Parameters are fed from their
// Float32Arrays (no copy on our side), gradients are written by ORT straight into preallocated Float32Arrays.
import { type ExecutionProvider, grad, type OptimizationLevel, type ort, Session, tensor } from '@steel/graph';
import type { LossGraph, LossShape, ModelDefinition } from './model.js';

export interface StepOptions {
  batch: number;
  seq: number;
  /** Vocabulary chunks of the loss (default 8). */
  lossChunks?: number;
  /** Packed rows (segment/position id inputs), at most this many samples per row. */
  maxSegments?: number;
  /** LM head + loss only on this many label positions (input `label_index`). */
  labelRows?: number;
  /** Builds the loss graph instead of `model.buildLoss` (post-training objectives such as DPO). */
  build?: (shape: LossShape) => LossGraph;
  ep?: ExecutionProvider;
  threads?: number;
  optimization?: OptimizationLevel;
}

export interface StepTimings {
  buildMs: number;
  sessionMs: number;
}

/** The compiled loss+gradient graph for one micro-batch shape. */
export class TrainStep {
  private readonly paramTensors = new Map<string, ort.Tensor>();
  private readonly gradTensors = new Map<string, ort.Tensor>();
  private readonly idsTensor: ort.Tensor;
  private readonly targetsTensor: ort.Tensor;
  /** Feed buffers: fill these before `run()`. */
  readonly ids: BigInt64Array;
  readonly targets: BigInt64Array;
  /** Buffers of the graph's extra inputs by name (fill before `run()`). */
  readonly extra = new Map<string, BigInt64Array | Float32Array>();
  private readonly extraTensors = new Map<string, ort.Tensor>();
  /** The extra outputs of the last run (copies), by name. */
  lastOutputs: Record<string, Float32Array> = {};

  private constructor(
    readonly model: ModelDefinition,
    readonly session: Session,
    readonly batch: number,
    readonly seq: number,
    private readonly idsName: string,
    private readonly targetsName: string,
    readonly timings: StepTimings,
    extraInputs: NonNullable<LossGraph['extraInputs']>,
    private readonly extraOutputs: readonly string[],
  ) {
    this.ids = new BigInt64Array(batch * seq);
    this.targets = new BigInt64Array(batch * seq);
    this.idsTensor = tensor(this.ids, [batch, seq]);
    this.targetsTensor = tensor(this.targets, [batch, seq]);
    for (const x of extraInputs) {
      const n = x.shape.reduce((a, b) => a * b, 1);
      const buf = x.dtype === 'int64' ? new BigInt64Array(n) : new Float32Array(n);
      this.extra.set(x.name, buf);
      this.extraTensors.set(x.name, tensor(buf, x.shape));
    }
  }

  /** The buffer of an extra input (a clear error when the graph has none of that name). */
  feed(name: string): BigInt64Array | Float32Array {
    const b = this.extra.get(name);
    if (!b)
      throw new Error(
        `TrainStep: the graph has no input '${name}' (has: ${[...this.extra.keys()].join(', ') || 'none'})`,
      );
    return b;
  }

  static async create(model: ModelDefinition, opts: StepOptions): Promise<TrainStep> {
    const { batch, seq } = opts;
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
    if (!Number.isInteger(seq) || seq < 1) throw new RangeError(`seq must be a positive integer, got ${seq}`);
    const t0 = performance.now();
    const shape: LossShape = {
      batch,
      seq,
      lossChunks: opts.lossChunks ?? 8,
      ...(opts.maxSegments ? { maxSegments: opts.maxSegments } : {}),
      ...(opts.labelRows ? { labelRows: opts.labelRows } : {}),
    };
    const lg = opts.build ? opts.build(shape) : model.buildLoss(shape);
    const names = model.params.map((p) => p.name);
    const values = names.map((n) => {
      const v = lg.params.get(n);
      if (!v) throw new Error(`model '${model.kind}': the loss graph has no parameter '${n}'`);
      return v;
    });
    const grads = grad(lg.loss, values);
    names.forEach((n, i) => {
      lg.graph.output(grads[i]!, `grad.${n}`);
    });
    const t1 = performance.now();
    const session = await Session.create(lg.graph, {
      ep: opts.ep ?? 'cpu',
      ...(opts.threads ? { intraOpThreads: opts.threads } : {}),
      optimization: opts.optimization ?? 'all',
    });
    const t2 = performance.now();
    return new TrainStep(
      model,
      session,
      batch,
      seq,
      lg.idsInput,
      lg.targetsInput,
      { buildMs: t1 - t0, sessionMs: t2 - t1 },
      lg.extraInputs ?? [],
      lg.extraOutputs ?? [],
    );
  }

  /** Binds parameter arrays (fed each run; update them in place between runs) and gradient arrays (written). */
  bind(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>): void {
    for (const p of this.model.params) {
      const w = params.get(p.name);
      const gr = grads.get(p.name);
      if (!w || !gr) throw new Error(`TrainStep.bind: no buffer for '${p.name}'`);
      this.paramTensors.set(p.name, tensor(w, p.shape));
      this.gradTensors.set(p.name, tensor(gr, p.shape));
    }
  }

  /** Runs forward + backward on the current `ids`/`targets`; returns the loss. Gradients land in the bound arrays. */
  async run(): Promise<number> {
    if (this.paramTensors.size === 0) throw new Error('TrainStep.run: call bind() first');
    const feeds: Record<string, ort.Tensor> = {
      [this.idsName]: this.idsTensor,
      [this.targetsName]: this.targetsTensor,
    };
    const into: Record<string, ort.Tensor> = {};
    for (const [n, t] of this.extraTensors) feeds[n] = t;
    for (const [n, t] of this.paramTensors) feeds[n] = t;
    for (const [n, t] of this.gradTensors) into[`grad.${n}`] = t;
    const { outputs } = await this.session.run(feeds, { into });
    if (this.extraOutputs.length) {
      this.lastOutputs = {};
      for (const n of this.extraOutputs) this.lastOutputs[n] = Float32Array.from(outputs[n]!.data as Float32Array);
    }
    return Number((outputs.loss!.data as Float32Array)[0]);
  }

  /**
   * Fills ids/targets from a [batch, seq + 1] window block: ids = columns 0..seq-1, targets = columns 1..seq;
   * a target equal to `ignoreTokenId` (Steel: the pad 151643) becomes -100 (not counted in the loss).
   */
  setBatch(windows: Int32Array, ignoreTokenId: number | null = null): void {
    const { batch: B, seq: T } = this;
    if (windows.length !== B * (T + 1))
      throw new RangeError(`setBatch: expected ${B} x ${T + 1} tokens, got ${windows.length}`);
    for (let b = 0; b < B; b++) {
      const row = b * (T + 1);
      for (let t = 0; t < T; t++) {
        this.ids[b * T + t] = BigInt(windows[row + t]!);
        const y = windows[row + t + 1]!;
        this.targets[b * T + t] = ignoreTokenId !== null && y === ignoreTokenId ? -100n : BigInt(y);
      }
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
