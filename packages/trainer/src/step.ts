// One micro-batch through ORT: forward + next-token loss + backward as one graph. Parameters are fed from their
// Float32Arrays (no copy on our side), gradients are written by ORT straight into preallocated Float32Arrays.
// The token embedding is looked up here when the model allows it (hostEmbedding): its [V, d] table and gradient then
// stay out of the graph; onnxruntime-node copies every output into a new buffer after each run, and for the issue-7
// config that 155 MB gradient (all zero but the batch's rows) was the costliest copy.
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
  /** Look the embedding rows up and scatter their gradient here, outside the graph (default true; same math). */
  hostEmbedding?: boolean;
}

/** The host-side embedding lookup of a step built with hostEmbedding. */
interface HostEmbedding {
  param: string;
  /** The graph input of the rows and the output of their gradient. */
  input: string;
  output: string;
  tied: boolean;
  vocab: number;
  hidden: number;
  rows: Float32Array;
  rowsTensor: ort.Tensor;
  rowsGrad: Float32Array;
  rowsGradTensor: ort.Tensor;
  /** The bound table and gradient buffer. */
  table?: Float32Array;
  grad?: Float32Array;
  /** Rows of `grad` written by the last run (zeroed before the next one when the graph does not write `grad`). */
  touched: Int32Array;
  touchedCount: number;
}

export interface StepTimings {
  buildMs: number;
  sessionMs: number;
}

/** The compiled loss+gradient graph for one micro-batch shape. */
export class TrainStep {
  private readonly paramTensors = new Map<string, ort.Tensor>();
  private bound = false;
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
    private readonly host: HostEmbedding | null,
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
      ...((opts.hostEmbedding ?? true) ? { hostEmbedding: true } : {}),
    };
    const lg = opts.build ? opts.build(shape) : model.buildLoss(shape);
    const emb = lg.embedding;
    // an untied embedding looked up on the host is not a graph input; its gradient is scattered from the rows'
    const names = model.params.map((p) => p.name).filter((n) => !(emb && !emb.tied && n === emb.param));
    const values = names.map((n) => {
      const v = lg.params.get(n);
      if (!v) throw new Error(`model '${model.kind}': the loss graph has no parameter '${n}'`);
      return v;
    });
    const grads = grad(lg.loss, emb ? [...values, emb.input] : values);
    names.forEach((n, i) => {
      lg.graph.output(grads[i]!, `grad.${n}`);
    });
    let host: HostEmbedding | null = null;
    if (emb) {
      const output = `grad.${emb.input.name}`;
      lg.graph.output(grads[names.length]!, output);
      const def = model.params.find((p) => p.name === emb.param);
      const [vocab, hidden] = def?.shape ?? [];
      if (!vocab || !hidden || def!.shape.length !== 2)
        throw new Error(`model '${model.kind}': embedding '${emb.param}' must be a [vocab, hidden] parameter`);
      const rows = new Float32Array(batch * seq * hidden);
      const rowsGrad = new Float32Array(batch * seq * hidden);
      host = {
        param: emb.param,
        input: emb.input.name,
        output,
        tied: emb.tied,
        vocab,
        hidden,
        rows,
        rowsTensor: tensor(rows, [batch, seq, hidden]),
        rowsGrad,
        rowsGradTensor: tensor(rowsGrad, [batch, seq, hidden]),
        touched: new Int32Array(batch * seq),
        touchedCount: 0,
      };
    }
    const t1 = performance.now();
    const session = await Session.create(lg.graph, {
      ep: opts.ep ?? 'cpu',
      ...(opts.threads ? { intraOpThreads: opts.threads } : {}),
      optimization: opts.optimization ?? 'all',
      // ORT's memory pattern plans one block per run from the first run's allocations; for a training graph that
      // block is new memory again in the second run (measured on the issue-7 config: runs 1-2 took 4.2 s each with
      // it, 2.1 s without; later runs the same either way)
      ort: { enableMemPattern: false },
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
      host,
    );
  }

  /** Binds parameter arrays (fed each run; update them in place between runs) and gradient arrays (written). */
  bind(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>): void {
    for (const p of this.model.params) {
      const w = params.get(p.name);
      const gr = grads.get(p.name);
      if (!w || !gr) throw new Error(`TrainStep.bind: no buffer for '${p.name}'`);
      if (this.host?.param === p.name) {
        this.host.table = w;
        this.host.grad = gr;
        this.host.touchedCount = 0;
        if (!this.host.tied) {
          gr.fill(0); // from here on only the rows of each run are written (and zeroed again before the next)
          continue;
        }
      }
      this.paramTensors.set(p.name, tensor(w, p.shape));
      this.gradTensors.set(p.name, tensor(gr, p.shape));
    }
    this.bound = true;
  }

  /** Runs forward + backward on the current `ids`/`targets`; returns the loss. Gradients land in the bound arrays. */
  async run(): Promise<number> {
    if (!this.bound) throw new Error('TrainStep.run: call bind() first');
    const feeds: Record<string, ort.Tensor> = { [this.targetsName]: this.targetsTensor };
    const into: Record<string, ort.Tensor> = {};
    const host = this.host;
    if (host) {
      this.lookUpRows(host);
      feeds[host.input] = host.rowsTensor;
      into[host.output] = host.rowsGradTensor;
    } else feeds[this.idsName] = this.idsTensor;
    for (const [n, t] of this.extraTensors) feeds[n] = t;
    for (const [n, t] of this.paramTensors) feeds[n] = t;
    for (const [n, t] of this.gradTensors) into[`grad.${n}`] = t;
    const { outputs } = await this.session.run(feeds, { into });
    if (host) this.scatterRowGrads(host);
    if (this.extraOutputs.length) {
      this.lastOutputs = {};
      for (const n of this.extraOutputs) this.lastOutputs[n] = Float32Array.from(outputs[n]!.data as Float32Array);
    }
    return Number((outputs.loss!.data as Float32Array)[0]);
  }

  /** rows[r] = table[ids[r]]; an id outside the table is an error naming its position (as ORT's Gather would be). */
  private lookUpRows(h: HostEmbedding): void {
    const { table, rows, hidden: d, vocab } = h;
    for (let r = 0; r < this.ids.length; r++) {
      const id = Number(this.ids[r]!);
      if (!(id >= 0 && id < vocab))
        throw new RangeError(
          `TrainStep.run: token id ${id} at row ${Math.floor(r / this.seq)}, position ${r % this.seq} is outside the embedding (0..${vocab - 1})`,
        );
      rows.set(table!.subarray(id * d, id * d + d), r * d);
    }
  }

  /** grad[ids[r]] += rowsGrad[r] in row order; first zeroes the rows the last run wrote, unless the graph wrote grad. */
  private scatterRowGrads(h: HostEmbedding): void {
    const { grad: gr, rowsGrad, hidden: d, touched } = h;
    if (!h.tied) for (let k = 0; k < h.touchedCount; k++) gr!.fill(0, touched[k]! * d, touched[k]! * d + d);
    for (let r = 0; r < this.ids.length; r++) {
      const id = Number(this.ids[r]!);
      const at = id * d;
      const from = r * d;
      for (let j = 0; j < d; j++) gr![at + j] = gr![at + j]! + rowsGrad[from + j]!;
      touched[r] = id;
    }
    h.touchedCount = this.ids.length;
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
