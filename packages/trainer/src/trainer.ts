// The optimizer step: gradient accumulation over micro-batches (each micro-batch's loss scaled by 1/accumulation,
// as Steel's `loss / 8`), global-norm clipping, AdamW on fp32 master weights, the LR from a schedule.
import { availableParallelism } from 'node:os';
import type { ExecutionProvider, OptimizationLevel } from '@steel/graph';
import { createOptimizerKernels, keepFreedMemory, type OptimizerKernels } from '@steel/kernels-native';
import type { LossGraph, LossShape, ModelDefinition } from './model.js';
import { AdamW, type AdamWOptions, type AdamWState, clipCoefficient } from './optimizer.js';
import { learningRate, type Schedule, validateSchedule } from './schedule.js';
import { TrainStep } from './step.js';

export interface TrainerOptions {
  /** Sequences per micro-batch and tokens per sequence (windows are seq + 1 tokens). */
  batch: number;
  seq: number;
  /** Micro-batches per optimizer step (default 1). */
  accumulation?: number;
  /** Global-norm clip (default 1.0, Steel); 0 disables. */
  clipNorm?: number;
  optimizer?: AdamWOptions;
  schedule: Schedule;
  /** Target token id excluded from the loss (Steel: 151643 pad), or null (default). */
  ignoreTokenId?: number | null;
  lossChunks?: number;
  /** Packed rows: the step graph takes segment/position ids, at most this many samples per row. */
  maxSegments?: number;
  /** LM head + loss only on this many label positions per micro-batch (the step takes `label_index`). */
  labelRows?: number;
  /** A loss graph other than the model's next-token mean (post-training objectives). */
  buildLoss?: (shape: LossShape) => LossGraph;
  ep?: ExecutionProvider;
  threads?: number;
  optimization?: OptimizationLevel;
  /**
   * Threads of the gradient norm and the AdamW update (@steel/kernels-native's C++ kernels; default: `threads`, else
   * every core). Results are the same bits on any count, and with the JS fallback (one thread) where the addon is
   * not built.
   */
  optimizerThreads?: number;
  /** 'auto' (default: the C++ kernels when the addon is built), 'cpp' (an error if not), or 'js'. */
  optimizerKernels?: 'auto' | 'cpp' | 'js';
  /** Embedding lookup and its gradient outside the graph (default true; see TrainStep). */
  hostEmbedding?: boolean;
  /**
   * Call @steel/kernels-native's keepFreedMemory() (default true): glibc then reuses the large buffers freed after
   * each step instead of faulting fresh pages in (measured on the issue-7 config: 1.3-1.9 s -> 1.07-1.26 s per
   * step). Process-wide; set false in a process that must give memory back to the OS.
   */
  keepFreedMemory?: boolean;
}

export interface StepResult {
  /** Optimizer step just taken (1-based). */
  step: number;
  /** Mean of the micro-batch losses. */
  loss: number;
  microLosses: number[];
  /** The loss graph's extra outputs of each micro-batch (e.g. DPO rewards), when it has any. */
  microOutputs: Record<string, Float32Array>[];
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Milliseconds: ORT runs (forward+backward), accumulation + norm + AdamW (the optimizer kernels), the whole step. */
  ortMs: number;
  optimizerMs: number;
  stepMs: number;
}

export class Trainer {
  readonly grads = new Map<string, Float32Array>();
  private readonly accum = new Map<string, Float32Array>();
  readonly accumulation: number;
  readonly clipNorm: number;
  readonly ignoreTokenId: number | null;
  /** The element loops of the norm and AdamW (C++ or the JS fallback). */
  readonly kernels: OptimizerKernels;

  private constructor(
    readonly model: ModelDefinition,
    readonly params: Map<string, Float32Array>,
    readonly optimizer: AdamW,
    readonly schedule: Schedule,
    readonly step: TrainStep,
    opts: TrainerOptions,
  ) {
    this.accumulation = opts.accumulation ?? 1;
    this.clipNorm = opts.clipNorm ?? 1.0;
    this.ignoreTokenId = opts.ignoreTokenId ?? null;
    this.kernels = createOptimizerKernels({
      implementation: opts.optimizerKernels ?? 'auto',
      threads: opts.optimizerThreads ?? opts.threads ?? availableParallelism(),
    });
    for (const p of model.params) {
      const n = params.get(p.name)!.length;
      this.grads.set(p.name, new Float32Array(n));
      if (this.accumulation > 1) this.accum.set(p.name, new Float32Array(n));
    }
    step.bind(params, this.accumulation > 1 ? this.accum : this.grads);
  }

  /** Compiles the step graph. `params` are the fp32 master weights (kept and updated in place). */
  static async create(
    model: ModelDefinition,
    params: Map<string, Float32Array>,
    opts: TrainerOptions,
    optimizerState?: AdamWState,
  ): Promise<Trainer> {
    const acc = opts.accumulation ?? 1;
    if (!Number.isInteger(acc) || acc < 1) throw new RangeError(`accumulation must be an integer >= 1, got ${acc}`);
    const clip = opts.clipNorm ?? 1.0;
    if (!(clip >= 0)) throw new RangeError(`clipNorm must be >= 0 (0 = off), got ${clip}`);
    validateSchedule(opts.schedule);
    if (opts.keepFreedMemory ?? true) keepFreedMemory();
    for (const p of model.params) {
      const a = params.get(p.name);
      const n = p.shape.reduce((x, y) => x * y, 1);
      if (!a || a.length !== n)
        throw new RangeError(
          `parameter '${p.name}': expected ${n} values (shape [${p.shape}]), got ${a?.length ?? 'none'}`,
        );
    }
    const ot = opts.optimizerThreads;
    if (ot !== undefined && !(Number.isInteger(ot) && ot >= 1 && ot <= 1024))
      throw new RangeError(`optimizerThreads must be an integer from 1 to 1024, got ${ot}`);
    const ordered = new Map(model.params.map((p) => [p.name, params.get(p.name)!] as const));
    const optimizer = new AdamW(ordered, opts.optimizer, optimizerState);
    const step = await TrainStep.create(model, {
      batch: opts.batch,
      seq: opts.seq,
      ...(opts.lossChunks ? { lossChunks: opts.lossChunks } : {}),
      ...(opts.maxSegments ? { maxSegments: opts.maxSegments } : {}),
      ...(opts.labelRows ? { labelRows: opts.labelRows } : {}),
      ...(opts.buildLoss ? { build: opts.buildLoss } : {}),
      ...(opts.ep ? { ep: opts.ep } : {}),
      ...(opts.threads ? { threads: opts.threads } : {}),
      ...(opts.optimization ? { optimization: opts.optimization } : {}),
      ...(opts.hostEmbedding !== undefined ? { hostEmbedding: opts.hostEmbedding } : {}),
    });
    return new Trainer(model, ordered, optimizer, opts.schedule, step, opts);
  }

  /** Optimizer steps taken so far. */
  get stepCount(): number {
    return this.optimizer.state.step;
  }

  /** Forward + backward of one micro-batch [batch, seq+1] without updating anything: loss, gradients in `grads`. */
  async lossAndGrads(windows: Int32Array): Promise<number> {
    return this.lossAndGradsWith((s) => s.setBatch(windows, this.ignoreTokenId));
  }

  /** As lossAndGrads, with the step's feed buffers filled by `fill`. */
  async lossAndGradsWith(fill: (step: TrainStep) => void): Promise<number> {
    fill(this.step);
    if (this.accumulation > 1) {
      const loss = await this.step.run();
      for (const [n, g] of this.grads) g.set(this.accum.get(n)!);
      return loss;
    }
    return this.step.run();
  }

  /** One optimizer step over `accumulation` micro-batches, each [batch, seq+1] tokens (row-major). */
  async trainStep(micro: readonly Int32Array[]): Promise<StepResult> {
    return this.trainStepWith(micro.map((w) => (s: TrainStep) => s.setBatch(w, this.ignoreTokenId)));
  }

  /** One optimizer step over `accumulation` micro-batches, each written into the step's feed buffers by a filler. */
  async trainStepWith(micro: readonly ((step: TrainStep) => void)[]): Promise<StepResult> {
    if (micro.length !== this.accumulation)
      throw new RangeError(`trainStep: expected ${this.accumulation} micro-batches, got ${micro.length}`);
    const outputs: Record<string, Float32Array>[] = [];
    const t0 = performance.now();
    let ortMs = 0;
    let jsMs = 0;
    const losses: number[] = [];
    const scale = Math.fround(1 / this.accumulation);
    for (let k = 0; k < micro.length; k++) {
      micro[k]!(this.step);
      const r0 = performance.now();
      losses.push(await this.step.run());
      outputs.push(this.step.lastOutputs);
      const r1 = performance.now();
      ortMs += r1 - r0;
      if (this.accumulation > 1) {
        // grads = sum_k (g_k / accumulation), as backward(loss_k / accumulation) accumulates in torch
        for (const [n, g] of this.grads) {
          const a = this.accum.get(n)!;
          if (k === 0) for (let i = 0; i < g.length; i++) g[i] = a[i]! * scale;
          else for (let i = 0; i < g.length; i++) g[i] = g[i]! + a[i]! * scale;
        }
      }
      jsMs += performance.now() - r1;
    }
    const o0 = performance.now();
    // clipping is applied inside the AdamW pass (grads stay unscaled in `grads`)
    const { norm: gradNorm, scale: clipScale } = clipCoefficient(this.grads.values(), this.clipNorm, this.kernels);
    const stepNo = this.optimizer.state.step + 1;
    const lr = learningRate(this.schedule, stepNo);
    this.optimizer.step(this.params, this.grads, lr, clipScale, this.kernels);
    const o1 = performance.now();
    const loss = losses.reduce((a, b) => a + b, 0) / losses.length;
    return {
      step: stepNo,
      loss,
      microLosses: losses,
      microOutputs: outputs,
      lr,
      gradNorm,
      ortMs,
      optimizerMs: jsMs + (o1 - o0),
      stepMs: o1 - t0,
    };
  }

  async release(): Promise<void> {
    await this.step.release();
  }
}
