// AdamW over fp32 parameter buffers and the global squared norm of the gradients: C++ on several threads when the
// addon is built, else the JavaScript reference on the calling thread. Both give the same bits.

import { type AdamWConstants, adamwKernel, sumOfSquaresJs } from './adamw-js.js';
import { nativeAddon, nativeKernelsStatus } from './addon.js';
import { KernelError } from './errors.js';
import type { KernelImplementation } from './qwen2-bpe.js';

export type { AdamWConstants } from './adamw-js.js';

/** One parameter tensor: weights, gradient, moments (same length) and its decay factor 1 - lr * weightDecay. */
export interface AdamWTensor {
  p: Float32Array;
  g: Float32Array;
  m: Float32Array;
  v: Float32Array;
  decay: number;
}

export interface OptimizerKernelOptions {
  /** 'cpp' (fails if the addon is not available), 'js', or 'auto' (default: cpp when available). */
  implementation?: KernelImplementation | 'auto';
  /** Threads of the C++ kernels (default 2). The JS fallback uses the calling thread. */
  threads?: number;
}

export interface OptimizerKernels {
  readonly implementation: KernelImplementation;
  readonly threads: number;
  /** One AdamW step over every tensor, in place. */
  adamw(tensors: readonly AdamWTensor[], constants: AdamWConstants): void;
  /** Sum of squares of all arrays (float64, fixed blocked order: see sumOfSquaresJs). */
  sumOfSquares(arrays: readonly Float32Array[]): number;
}

function check(tensors: readonly AdamWTensor[], c: AdamWConstants): void {
  for (const [k, v] of Object.entries(c)) {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new KernelError(`adamw: constant ${k} must be finite, got ${v}`);
  }
  tensors.forEach((t, i) => {
    for (const k of ['p', 'g', 'm', 'v'] as const) {
      if (!(t[k] instanceof Float32Array)) throw new KernelError(`adamw: tensors[${i}].${k} must be a Float32Array`);
      if (t[k].length !== t.p.length)
        throw new KernelError(`adamw: tensors[${i}].${k} has ${t[k].length} values, p has ${t.p.length}`);
    }
    if (!Number.isFinite(t.decay)) throw new KernelError(`adamw: tensors[${i}].decay must be finite, got ${t.decay}`);
  });
}

/** The optimizer kernels, C++ or JavaScript (see `implementation`). */
export function createOptimizerKernels(options: OptimizerKernelOptions = {}): OptimizerKernels {
  const want = options.implementation ?? 'auto';
  if (want !== 'auto' && want !== 'cpp' && want !== 'js') {
    throw new KernelError(`implementation must be 'auto', 'cpp' or 'js', got ${JSON.stringify(want)}`);
  }
  const threads = options.threads ?? 2;
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    throw new KernelError(`threads must be an integer from 1 to 1024, got ${String(threads)}`);
  }
  const addon = want === 'js' ? undefined : nativeAddon();
  if (want === 'cpp' && !addon) {
    throw new KernelError(`the C++ kernels are not available: ${nativeKernelsStatus().reason}`);
  }
  if (addon) {
    return {
      implementation: 'cpp',
      threads,
      adamw(tensors, c) {
        check(tensors, c);
        const k = new Float64Array([c.b1, c.b2, 1 - c.b1, 1 - c.b2, c.invBc2Sqrt, c.eps, c.stepSize, c.gradScale]);
        addon.adamwUpdate(
          tensors.map((t) => t.p),
          tensors.map((t) => t.g),
          tensors.map((t) => t.m),
          tensors.map((t) => t.v),
          Float64Array.from(tensors, (t) => t.decay),
          k,
          threads,
        );
      },
      sumOfSquares(arrays) {
        arrays.forEach((a, i) => {
          if (!(a instanceof Float32Array)) throw new KernelError(`sumOfSquares: arrays[${i}] must be a Float32Array`);
        });
        return addon.sumOfSquares(arrays, threads);
      },
    };
  }
  return {
    implementation: 'js',
    threads: 1,
    adamw(tensors, c) {
      check(tensors, c);
      for (const t of tensors)
        adamwKernel(t.p, t.g, t.m, t.v, t.decay, c.b1, c.b2, c.invBc2Sqrt, c.eps, c.stepSize, c.gradScale);
    },
    sumOfSquares(arrays) {
      return sumOfSquaresJs(arrays);
    },
  };
}
