// Static cost figures of a built graph: node counts and matmul FLOPs for given values of the named dims.

import type { Graph } from './graph.js';
import { liveNodes } from './serialize.js';
import type { Dim } from './shape.js';
import { GraphError } from './shape.js';

/** Value of a dim given the named dims; understands derived names like 'batch*seq', 'seq+seq', 'seq-1'. */
export function evalDim(d: Dim, env: Readonly<Record<string, number>>): number {
  if (typeof d === 'number') return d;
  if (d in env) return env[d]!;
  if (/^\d+$/.test(d)) return Number(d);
  if (d.includes('+')) return d.split('+').reduce((a, p) => a + evalDim(p, env), 0);
  if (d.includes('*')) return d.split('*').reduce((a, p) => a * evalDim(p, env), 1);
  const minus = /^(.*)-(\d+)$/.exec(d);
  if (minus) return evalDim(minus[1]!, env) - Number(minus[2]);
  throw new GraphError('evalDim', `no value for dim '${d}' (given: ${Object.keys(env).join(', ')})`);
}

export interface GraphStats {
  nodes: number;
  byOp: Record<string, number>;
  /** 2*M*N*K summed over the live MatMul and Gemm nodes. */
  matmulFlops: number;
}

/** Node counts and matmul FLOPs of the live graph (what ORT will run), with named dims set by `env`. */
export function graphStats(g: Graph, env: Readonly<Record<string, number>> = {}): GraphStats {
  const byOp: Record<string, number> = {};
  let flops = 0;
  const nodes = liveNodes(g);
  for (const n of nodes) {
    byOp[n.opType] = (byOp[n.opType] ?? 0) + 1;
    if (n.opType !== 'MatMul' && n.opType !== 'Gemm') continue;
    const y = g.value(n.outputs[0]!)!;
    const a = g.value(n.inputs[0]!)!;
    const transA =
      n.opType === 'Gemm' && 'i' in (n.attrs.transA ?? { f: 0 }) && (n.attrs.transA as { i: number }).i === 1;
    const K = evalDim(transA ? a.shape[0]! : a.shape[a.rank - 1]!, env);
    const outElems = y.shape.reduce<number>((p, d) => p * evalDim(d, env), 1);
    flops += 2 * outElems * K;
  }
  return { nodes: nodes.length, byOp, matmulFlops: flops };
}
