// The optimizer kernels in JavaScript: the reference the C++ versions (src/cpp/adamw.cc) match bit for bit.

/** The step's constants, computed once by the caller so that every implementation uses the same doubles. */
export interface AdamWConstants {
  b1: number;
  b2: number;
  /** 1 / sqrt(1 - b2^t). */
  invBc2Sqrt: number;
  eps: number;
  /** lr / (1 - b1^t). */
  stepSize: number;
  /** Multiplier of every gradient element (the clipping coefficient; 1 = none). */
  gradScale: number;
}

/**
 * The per-element AdamW update (torch.optim.AdamW's single-tensor path): p, m, v updated in place from g.
 * Intermediates are float64 and rounded to fp32 once, when stored: torch rounds after every op, so results may
 * differ from torch's by an ulp per step (per-op Math.fround made this loop ~3x slower).
 * Self-contained (no closure), so a worker can be built from its source text.
 */
export function adamwKernel(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  decay: number,
  b1: number,
  b2: number,
  invBc2Sqrt: number,
  eps: number,
  stepSize: number,
  scale: number,
): void {
  const omb1 = 1 - b1;
  const omb2 = 1 - b2;
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i]! * scale;
    const mi = m[i]! * b1 + gi * omb1;
    const vi = v[i]! * b2 + gi * gi * omb2;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) * invBc2Sqrt + eps);
  }
}

/** Elements per block of `sumOfSquaresJs` (and of the C++ version). */
export const NORM_BLOCK = 16384;

/**
 * Sum of squares of all arrays in float64, in a fixed order that a multi-threaded version can reproduce: each array
 * is cut into NORM_BLOCK-element blocks, a block is summed in 8 interleaved lanes (element i into lane i % 8)
 * combined as ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)), and the block sums are added in order.
 */
export function sumOfSquaresJs(arrays: Iterable<Float32Array>): number {
  let total = 0;
  for (const x of arrays) {
    for (let at = 0; at < x.length; at += NORM_BLOCK) {
      const end = Math.min(x.length, at + NORM_BLOCK);
      let l0 = 0;
      let l1 = 0;
      let l2 = 0;
      let l3 = 0;
      let l4 = 0;
      let l5 = 0;
      let l6 = 0;
      let l7 = 0;
      let i = at;
      for (; i + 8 <= end; i += 8) {
        const x0 = x[i]!;
        const x1 = x[i + 1]!;
        const x2 = x[i + 2]!;
        const x3 = x[i + 3]!;
        const x4 = x[i + 4]!;
        const x5 = x[i + 5]!;
        const x6 = x[i + 6]!;
        const x7 = x[i + 7]!;
        l0 += x0 * x0;
        l1 += x1 * x1;
        l2 += x2 * x2;
        l3 += x3 * x3;
        l4 += x4 * x4;
        l5 += x5 * x5;
        l6 += x6 * x6;
        l7 += x7 * x7;
      }
      // the tail (only an array's last block can be short) continues lane by lane from lane 0
      const tail = [l0, l1, l2, l3, l4, l5, l6, l7];
      for (let k = 0; i < end; i++, k++) tail[k] = tail[k]! + x[i]! * x[i]!;
      total += tail[0]! + tail[1]! + (tail[2]! + tail[3]!) + (tail[4]! + tail[5]! + (tail[6]! + tail[7]!));
    }
  }
  return total;
}
