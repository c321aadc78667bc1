// Test helpers: a seeded RNG and a central-finite-difference gradient check run entirely through ORT.
import { type DType, Graph, grad, Session, type SessionOptions, tensor, type Value } from '../src/index.js';

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randn(n: number, r: () => number, scale = 1): number[] {
  return Array.from({ length: n }, () => {
    const u = Math.max(r(), 1e-12);
    return scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  });
}

export interface InputSpec {
  /** Shape used in the graph (may contain names). */
  shape: (number | string)[];
  /** Actual dims fed (defaults to shape when it has no names). */
  dims?: number[];
  /** Values (default: standard normal). */
  values?: number[];
  /** Integer input (indices): fed as int64 and not differentiated. */
  int?: boolean;
}

export interface CheckOptions {
  dtype?: DType;
  h?: number;
  rtol?: number;
  atol?: number;
  seed?: number;
  session?: SessionOptions;
}

/**
 * Builds loss = sum(f(xs) * R) with a random R, takes grads of every float input with grad(), and compares
 * each element with (loss(x+h) - loss(x-h)) / 2h computed by ORT on the same graph.
 */
export async function gradCheck(
  f: (g: Graph, xs: Value[]) => Value,
  specs: InputSpec[],
  opts: CheckOptions = {},
): Promise<{ maxErr: number; checked: number }> {
  const dtype = opts.dtype ?? 'float64';
  const r = rng(opts.seed ?? 1);
  const dimsOf = (s: InputSpec) => s.dims ?? (s.shape as number[]);
  const values = specs.map(
    (s) =>
      s.values ??
      randn(
        dimsOf(s).reduce((a, b) => a * b, 1),
        r,
      ),
  );
  const arr = (v: number[]) => (dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v));
  const feedsOf = (vals: number[][]) =>
    Object.fromEntries(
      specs.map((s, i) => [
        `x${i}`,
        s.int
          ? tensor(BigInt64Array.from(vals[i]!.map((v) => BigInt(v))), dimsOf(s))
          : tensor(arr(vals[i]!), dimsOf(s)),
      ]),
    );

  // Pass 1: output dims, to size R.
  const g0 = new Graph();
  const xs0 = specs.map((s, i) => g0.input(`x${i}`, s.int ? 'int64' : dtype, s.shape));
  g0.output(f(g0, xs0), 'out');
  const s0 = await Session.create(g0, opts.session);
  const outDims = [...(await s0.run(feedsOf(values))).outputs.out!.dims];
  const R = randn(
    outDims.reduce((a, b) => a * b, 1),
    r,
  );

  const g = new Graph();
  const xs = specs.map((s, i) => g.input(`x${i}`, s.int ? 'int64' : dtype, s.shape));
  const out = f(g, xs);
  const rIn = g.input('r', dtype, out.shape);
  const prod = g.mul(out, rIn);
  const loss =
    out.rank === 0
      ? prod
      : g.reduceSum(
          prod,
          out.shape.map((_, i) => i),
        );
  g.output(loss, 'loss');
  const diff = specs.flatMap((s, i) => (s.int ? [] : [i]));
  const grads = grad(
    loss,
    diff.map((i) => xs[i]!),
  );
  grads.forEach((gv, k) => {
    g.output(gv, `g${diff[k]}`);
  });
  const sess = await Session.create(g, opts.session);
  const rT = tensor(arr(R), outDims);
  const base = await sess.run({ ...feedsOf(values), r: rT });
  const h = opts.h ?? (dtype === 'float64' ? 1e-6 : 1e-2);
  const rtol = opts.rtol ?? (dtype === 'float64' ? 1e-5 : 2e-2);
  const atol = opts.atol ?? (dtype === 'float64' ? 1e-7 : 2e-3);
  let maxErr = 0;
  let checked = 0;
  for (const i of diff) {
    const an = base.outputs[`g${i}`]!.data as Float64Array | Float32Array;
    for (let e = 0; e < values[i]!.length; e++) {
      const lossAt = async (delta: number) => {
        const v = values.map((a) => [...a]);
        v[i]![e]! += delta;
        return Number((await sess.run({ ...feedsOf(v), r: rT }, { outputs: ['loss'] })).outputs.loss!.data[0]);
      };
      const fd = ((await lossAt(h)) - (await lossAt(-h))) / (2 * h);
      const err = Math.abs(fd - an[e]!);
      maxErr = Math.max(maxErr, err / (atol + rtol * Math.abs(fd)));
      if (err > atol + rtol * Math.abs(fd)) {
        throw new Error(`grad of x${i}[${e}]: analytic ${an[e]} vs finite difference ${fd} (|diff| ${err})`);
      }
      checked++;
    }
  }
  return { maxErr, checked };
}
