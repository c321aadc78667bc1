// AdamW on fp32 master weights held in Float32Arrays, exactly torch.optim.AdamW's single-tensor path
// (torch 1.13, foreach=False), plus global-norm clipping as torch.nn.utils.clip_grad_norm_.
// Why JS and not in-graph: see README "Optimizer placement" (measured by tools/bench/trainer-optimizer.mjs).

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

  /** Advances the step counter; the step's constants. */
  begin(lr: number): { b1: number; b2: number; eps: number; bc2Sqrt: number; stepSize: number } {
    this.state.step++;
    const t = this.state.step;
    const { beta1: b1, beta2: b2, eps } = this;
    return { b1, b2, eps, bc2Sqrt: Math.sqrt(1 - b2 ** t), stepSize: lr / (1 - b1 ** t) };
  }

  /** Whether weight decay applies to this parameter. */
  decays(name: string): boolean {
    return !this.noDecay.some((p) => (typeof p === 'string' ? p === name : p.test(name)));
  }

  /**
   * One step with learning rate `lr`: params are updated in place from `grads` (same names, same sizes), each
   * gradient multiplied by `gradScale` first (the clipping coefficient, fused here to save a pass over memory).
   */
  step(
    params: ReadonlyMap<string, Float32Array>,
    grads: ReadonlyMap<string, Float32Array>,
    lr: number,
    gradScale = 1,
  ): void {
    const { b1, b2, eps, bc2Sqrt, stepSize } = this.begin(lr);
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (!g || g.length !== p.length) throw new RangeError(`AdamW: no gradient of the right size for '${name}'`);
      const m = this.state.expAvg.get(name)!;
      const v = this.state.expAvgSq.get(name)!;
      const decay = this.decays(name) ? 1 - lr * this.weightDecay : 1;
      adamwKernel(p, g, m, v, decay, b1, b2, bc2Sqrt, eps, stepSize, gradScale);
    }
  }
}

/**
 * The per-element update. Intermediates are float64 and rounded to fp32 once, when stored: torch rounds after
 * every op, so results may differ from torch's by an ulp per step; per-op Math.fround made this loop ~3x slower
 * (16-22 vs 5.6-6 ns/param on this machine).
 */
export function adamwKernel(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  decay: number,
  b1: number,
  b2: number,
  bc2Sqrt: number,
  eps: number,
  stepSize: number,
  scale: number,
): void {
  const omb1 = 1 - b1;
  const omb2 = 1 - b2;
  const ibc = 1 / bc2Sqrt;
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i]! * scale;
    const mi = m[i]! * b1 + gi * omb1;
    const vi = v[i]! * b2 + gi * gi * omb2;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) * ibc + eps);
  }
}

/** L2 norm of all gradients together (accumulated in float64). */
export function globalNorm(grads: Iterable<Float32Array>): number {
  let s = 0;
  for (const g of grads) {
    for (let i = 0; i < g.length; i++) {
      const x = g[i]!;
      s += x * x;
    }
  }
  return Math.sqrt(s);
}

/** The global norm and torch's clipping coefficient min(1, maxNorm / (norm + 1e-6)) (1 when maxNorm <= 0). */
export function clipCoefficient(grads: Iterable<Float32Array>, maxNorm: number): { norm: number; scale: number } {
  const norm = globalNorm(grads);
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
