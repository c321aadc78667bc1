// datasketch's optimal_param: the (bands, rows) minimising the equally weighted false-positive and false-negative
// areas under the LSH S-curve, integrated numerically (Data-Juicer uses scipy.integrate.quad; a 64-point
// Gauss-Legendre rule per half-interval agrees to far more digits than the choice needs).

// 32-point Gauss-Legendre nodes/weights on [-1, 1] (positive half; symmetric).
function gaussLegendre(n: number): { x: number[]; w: number[] } {
  const x: number[] = [];
  const w: number[] = [];
  for (let i = 1; i <= n; i++) {
    let z = Math.cos((Math.PI * (i - 0.25)) / (n + 0.5));
    let pp = 0;
    for (let it = 0; it < 100; it++) {
      let p1 = 1;
      let p2 = 0;
      for (let j = 1; j <= n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
      }
      pp = (n * (z * p1 - p2)) / (z * z - 1);
      const z1 = z;
      z = z1 - p1 / pp;
      if (Math.abs(z - z1) < 1e-15) break;
    }
    x.push(z);
    w.push(2 / ((1 - z * z) * pp * pp));
  }
  return { x, w };
}

const GL = gaussLegendre(64);

function integrate(f: (s: number) => number, a: number, b: number): number {
  // composite: 8 panels of 64-point Gauss-Legendre
  const panels = 8;
  let total = 0;
  const h = (b - a) / panels;
  for (let k = 0; k < panels; k++) {
    const lo = a + k * h;
    const mid = lo + h / 2;
    for (let i = 0; i < GL.x.length; i++) total += GL.w[i]! * f(mid + (h / 2) * GL.x[i]!);
  }
  return (total * h) / 2;
}

export function falsePositiveArea(threshold: number, b: number, r: number): number {
  return integrate((s) => 1 - (1 - s ** r) ** b, 0, threshold);
}

export function falseNegativeArea(threshold: number, b: number, r: number): number {
  return integrate((s) => 1 - (1 - (1 - s ** r) ** b), threshold, 1);
}

/** datasketch optimal_param(threshold, num_perm, 0.5, 0.5): returns [bands, rows]. */
export function optimalLshParams(threshold: number, numPerm: number, fpWeight = 0.5, fnWeight = 0.5): [number, number] {
  let minError = Number.POSITIVE_INFINITY;
  let opt: [number, number] = [0, 0];
  for (let b = 1; b <= numPerm; b++) {
    const maxR = Math.floor(numPerm / b);
    for (let r = 1; r <= maxR; r++) {
      const error = falsePositiveArea(threshold, b, r) * fpWeight + falseNegativeArea(threshold, b, r) * fnWeight;
      if (error < minError) {
        minError = error;
        opt = [b, r];
      }
    }
  }
  return opt;
}
