// Reverse-mode autodiff over the op records of a Graph. The backward pass is emitted into the same graph
// with ordinary ONNX ops, so one ONNX model computes forward, gradients (and an optimizer step if built).

import { isFloat } from './dtype.js';
import { type Graph, type OpRecord, Value } from './graph.js';
import { fmt, GraphError } from './shape.js';

export interface GradOptions {
  /** Upstream gradient of `loss` (default: ones; required shape = loss shape). */
  seed?: Value;
  /**
   * Ordering barriers (experimental): once a `wrt` gradient is complete, add `0*max(grad)` to the gradient
   * flowing on through the same op, so ORT computes it there instead of after the whole backward (see README).
   */
  order?: boolean;
}

/**
 * Gradients of `loss` with respect to each of `wrt` (a zeros tensor when the loss does not depend on one).
 * Gradients reaching a value along several paths are summed; `stopGradient` cuts a path.
 */
export function grad(loss: Value, wrt: readonly Value[], opts: GradOptions = {}): Value[] {
  return vjp([loss], [opts.seed ?? null], wrt, { order: !!opts.order });
}

/**
 * Vector-Jacobian product: sum_i seeds[i] . d outputs[i] / d wrt. A null seed means ones (scalar outputs).
 */
export function vjp(
  outputs: readonly Value[],
  seeds: readonly (Value | null)[],
  wrt: readonly Value[],
  opts: { fromRecord?: number; order?: boolean } = {},
): Value[] {
  const first = opts.fromRecord ?? 0; // only ops recorded from here on are differentiated (local VJP)
  const g = outputs[0]?.graph ?? wrt[0]?.graph;
  if (!g) throw new GraphError('grad', 'nothing to differentiate');
  for (const w of wrt) {
    if (!isFloat(w.dtype)) throw new GraphError('grad', `cannot differentiate with respect to ${w} (not a float)`);
  }
  const grads = new Map<number, Value>();
  outputs.forEach((o, i) => {
    if (!isFloat(o.dtype)) throw new GraphError('grad', `output ${o} is not a float`);
    const seed = seeds[i] ?? seedOnes(g, o);
    if (seed.dtype !== o.dtype || seed.rank !== o.rank) {
      throw new GraphError('grad', `seed ${seed} does not match ${o}`);
    }
    accumulate(g, grads, o, seed);
  });

  // Forward: which values depend on any wrt. Backward: which records lie between wrt and outputs.
  const depends = new Set<number>(wrt.map((w) => w.id));
  const records = g.records;
  const lastOut = Math.max(...outputs.map((o) => (o.producer ? records.lastIndexOf(o.producer) : -1)));
  for (let r = first; r <= lastOut; r++) {
    const rec = records[r]!;
    if (rec.inputs.some((x) => depends.has(x.id))) for (const o of rec.outputs) depends.add(o.id);
  }

  // For ordering barriers: the earliest record reading each wrt (its gradient is complete after it).
  const wrtIds = new Set(wrt.map((w) => w.id));
  const completes = new Map<number, Value[]>();
  if (opts.order) {
    const seen = new Set<number>();
    for (let r = first; r <= lastOut; r++) {
      for (const x of records[r]!.inputs) {
        if (!wrtIds.has(x.id) || seen.has(x.id)) continue;
        seen.add(x.id);
        completes.set(r, [...(completes.get(r) ?? []), x]);
      }
    }
  }

  for (let r = lastOut; r >= first; r--) {
    const rec = records[r]!;
    const gys = rec.outputs.map((o) => grads.get(o.id) ?? null);
    if (gys.every((x) => x === null)) continue;
    const needs = rec.inputs.map((x) => depends.has(x.id) && isFloat(x.dtype));
    if (!needs.some(Boolean)) continue;
    if (!rec.grad) {
      if (rec.op === 'Identity') continue; // stopGradient
      throw new GraphError(
        'grad',
        `op ${rec.op} (${describe(rec)}) has no gradient rule but lies on the path to the loss`,
      );
    }
    const gxs = rec.grad(gys, needs);
    rec.inputs.forEach((x, i) => {
      const gx = gxs[i];
      if (!needs[i] || !gx) return;
      if (
        gx.rank !== x.rank ||
        gx.shape.some((d, k) => typeof d === 'number' && typeof x.shape[k] === 'number' && d !== x.shape[k])
      ) {
        throw new GraphError('grad', `rule of ${rec.op} gave ${fmt(gx.shape)} for input ${x} (internal error)`);
      }
      accumulate(g, grads, x, gx);
    });
    const done = (completes.get(r) ?? []).flatMap((w) => grads.get(w.id) ?? []);
    if (done.length)
      tieInto(
        g,
        grads,
        done,
        rec.inputs.filter((x, i) => needs[i] && !wrtIds.has(x.id)),
      );
  }
  return wrt.map((w) => grads.get(w.id) ?? g.zerosLike(w));
}

/** grads[x] += 0 * sum(max(d) for d in done): a data dependency that makes ORT compute `done` first. */
function tieInto(g: Graph, grads: Map<number, Value>, done: Value[], into: Value[]): void {
  const targets = into.filter((x) => grads.has(x.id));
  if (!targets.length) return;
  const tie = g.noGrad(() =>
    done.map((d) => g.mul(g.reduceMax(d, [...d.shape.keys()]), 0)).reduce((a, b) => g.add(a, b)),
  );
  for (const x of targets) {
    const gx = grads.get(x.id)!;
    grads.set(x.id, g.add(gx, g.cast(tie, gx.dtype)));
  }
}

function accumulate(g: Graph, grads: Map<number, Value>, x: Value, gx: Value): void {
  const prev = grads.get(x.id);
  grads.set(x.id, prev ? g.add(prev, gx) : gx);
}

function seedOnes(g: Graph, o: Value): Value {
  if (o.shape.every((d) => d === 1))
    return o.rank === 0
      ? g.scalar(1, o.dtype)
      : g.reshape(
          g.scalar(1, o.dtype),
          o.shape.map(() => 1),
        );
  return g.constantOfShape(g.shapeOf(o), 1, o.dtype, o.shape);
}

function describe(rec: OpRecord): string {
  return `${rec.inputs.map((v) => v.toString()).join(', ')} -> ${rec.outputs.map((v) => v.toString()).join(', ')}`;
}

export { Value };

/**
 * Activation checkpointing (rematerialization): `fn(...inputs)` is computed once in the forward pass,
 * but none of its intermediate values are kept for the backward; the backward recomputes the block from
 * its inputs and differentiates the copy. Saves the block's activations at the cost of one more forward.
 * Values `fn` captures from outside (parameters) get gradients too.
 *
 * The recomputation reads `input + 0*min(upstream grad)`: that makes it wait for the backward (so ORT
 * cannot run it early and keep its activations alive) and keeps ORT's common-subexpression elimination
 * from merging it with the forward copy.
 */
export function checkpoint(inputs: readonly Value[], fn: (...xs: Value[]) => Value[]): Value[] {
  const g = inputs[0]?.graph;
  if (!g) throw new GraphError('checkpoint', 'needs at least one input');
  let captured: Value[] = [];
  const outs = g.composite(
    'Checkpoint',
    [...inputs],
    () => {
      const before = g.params.length + g.inputs.length;
      const r = g.capturing(() => fn(...inputs));
      if (g.params.length + g.inputs.length !== before) {
        throw new GraphError(
          'checkpoint',
          'fn created params or inputs; create them outside fn (fn runs again in the backward)',
        );
      }
      captured = r.captured.filter((v) => !inputs.includes(v));
      return r.result;
    },
    (gys, needs) => {
      const live = gys.find((x): x is Value => x !== null);
      if (!live) return [];
      const zero = g.noGrad(() => g.mul(g.reduceMax(live, [...live.shape.keys()]), 0));
      const xs = inputs.map((x) => (isFloat(x.dtype) ? g.add(x, g.cast(zero, x.dtype)) : x));
      const from = g.records.length;
      const again = fn(...xs);
      const targets = [...xs, ...captured];
      const want = targets.map((x, i) => needs[i]! && isFloat(x.dtype));
      const gs = vjp(
        again.filter((_, i) => gys[i] !== null),
        gys.filter((x): x is Value => x !== null),
        targets.filter((_, i) => want[i]),
        { fromRecord: from },
      );
      let k = 0;
      const out = targets.map((_, i) => (want[i] ? gs[k++]! : null));
      // Ordering barrier: ORT runs the graph in a reverse-DFS order from the outputs, which would leave the
      // captured params' gradient reductions (and the activations they read) for the very end. Making the
      // gradient that flows on to the previous block depend on them forces them to run now.
      const done = out.slice(inputs.length).filter((x): x is Value => x !== null);
      if (done.length) {
        const tie = g.noGrad(() =>
          done.map((d) => g.mul(g.reduceMax(d, [...d.shape.keys()]), 0)).reduce((a, b) => g.add(a, b)),
        );
        for (let i = 0; i < inputs.length; i++) {
          const gx = out[i];
          if (gx) out[i] = g.add(gx, g.cast(tie, gx.dtype));
        }
      }
      return out;
    },
  );
  // The record was made with the explicit inputs; add the captured values so autodiff reaches them.
  const rec = outs[0]!.producer;
  if (rec) rec.inputs.push(...captured);
  return outs;
}
