// AdamW on fp32 master weights held in Float32Arrays, exactly torch.optim.AdamW's single-tensor path
// (torch 1.13, foreach=False), plus global-norm clipping as torch.nn.utils.clip_grad_norm_. The element loops are
// @steel/kernels-native's (C++ on several threads when built, else the JS reference: the same bits either way).
// Why not in-graph: see README "Optimizer placement" (measured by tools/bench/trainer-optimizer.mjs).
import {
  type AdamWConstants,
  type AdamWTensor,
  createOptimizerKernels,
  type OptimizerKernels,
} from '@steel/kernels-native';

const JS_KERNELS = createOptimizerKernels({ implementation: 'js' });

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (Steel: 0.05 on every parameter). */
  weightDecay?: number;
  /** Parameters that get no weight decay (exact names, or RegExps tested against the name). Steel: none. */
  noDecay?: ReadonlyArray<string | RegExp>;
}

export interface AdamWState {
  /** Optimizer steps taken so far (torch's `state['step']`). */
  step: number;
  /** First and second moments by parameter name. */
  expAvg: Map<string, Float32Array>;
  expAvgSq: Map<string, Float32Array>;
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly noDecay: ReadonlyArray<string | RegExp>;
  readonly state: AdamWState;

  constructor(params: ReadonlyMap<string, Float32Array>, opts: AdamWOptions = {}, state?: AdamWState) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    this.noDecay = opts.noDecay ?? [];
    for (const [k, v] of [
      ['beta1', this.beta1],
      ['beta2', this.beta2],
    ] as const)
      if (!(v >= 0 && v < 1)) throw new RangeError(`AdamW: ${k} must be in [0, 1), got ${v}`);
    if (!(this.eps > 0)) throw new RangeError(`AdamW: eps must be > 0, got ${this.eps}`);
    if (!(this.weightDecay >= 0)) throw new RangeError(`AdamW: weightDecay must be >= 0, got ${this.weightDecay}`);
    if (state) {
      for (const [name, p] of params) {
        const m = state.expAvg.get(name);
        const v = state.expAvgSq.get(name);
        if (!m || !v || m.length !== p.length || v.length !== p.length)
          throw new RangeError(`AdamW: saved moments for '${name}' are missing or have the wrong size`);
      }
      this.state = state;
    } else {
      const expAvg = new Map<string, Float32Array>();
      const expAvgSq = new Map<string, Float32Array>();
      for (const [name, p] of params) {
        expAvg.set(name, new Float32Array(p.length));
        expAvgSq.set(name, new Float32Array(p.length));
      }
      this.state = { step: 0, expAvg, expAvgSq };
    }
  }

  /** Advances the step counter; the step's constants (gradScale multiplies every gradient element). */
  begin(lr: number, gradScale = 1): AdamWConstants {
    this.state.step++;
    const t = this.state.step;
    const { beta1: b1, beta2: b2, eps } = this;
    return { b1, b2, eps, invBc2Sqrt: 1 / Math.sqrt(1 - b2 ** t), stepSize: lr / (1 - b1 ** t), gradScale };
  }

  /** Whether weight decay applies to this parameter. */
  decays(name: string): boolean {
    return !this.noDecay.some((p) => (typeof p === 'string' ? p === name : p.test(name)));
  }

  /**
   * One step with learning rate `lr`: params are updated in place from `grads` (same names, same sizes), each
   * gradient multiplied by `gradScale` first (the clipping coefficient, fused here to save a pass over memory).
   * `kernels`: the element loops (default: the JS reference on this thread).
   */
  step(
    params: ReadonlyMap<string, Float32Array>,
    grads: ReadonlyMap<string, Float32Array>,
    lr: number,
    gradScale = 1,
    kernels: OptimizerKernels = JS_KERNELS,
  ): void {
    const tensors: AdamWTensor[] = [];
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (!g || g.length !== p.length) throw new RangeError(`AdamW: no gradient of the right size for '${name}'`);
      const m = this.state.expAvg.get(name)!;
      const v = this.state.expAvgSq.get(name)!;
      tensors.push({ p, g, m, v, decay: this.decays(name) ? 1 - lr * this.weightDecay : 1 });
    }
    kernels.adamw(tensors, this.begin(lr, gradScale));
  }
}

/** L2 norm of all gradients together (float64, in the fixed blocked order of @steel/kernels-native's sumOfSquares). */
export function globalNorm(grads: Iterable<Float32Array>, kernels: OptimizerKernels = JS_KERNELS): number {
  return Math.sqrt(kernels.sumOfSquares([...grads]));
}

/** The global norm and torch's clipping coefficient min(1, maxNorm / (norm + 1e-6)) (1 when maxNorm <= 0). */
export function clipCoefficient(
  grads: Iterable<Float32Array>,
  maxNorm: number,
  kernels: OptimizerKernels = JS_KERNELS,
): { norm: number; scale: number } {
  const norm = globalNorm(grads, kernels);
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) return { norm, scale: 1 };
  const coef = maxNorm / (norm + 1e-6);
  return { norm, scale: coef < 1 ? coef : 1 };
}

/**
 * torch.nn.utils.clip_grad_norm_: scales every gradient by maxNorm / (norm + 1e-6) when that is below 1.
 * Returns the norm before clipping. maxNorm <= 0 or Infinity disables clipping (the norm is still returned).
 */
export function clipGradNorm(grads: Iterable<Float32Array>, maxNorm: number): number {
  const list = [...grads];
  const norm = globalNorm(list);
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) return norm;
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    const c = Math.fround(coef);
    for (const g of list) for (let i = 0; i < g.length; i++) g[i] = g[i]! * c;
  }
  return norm;
}
