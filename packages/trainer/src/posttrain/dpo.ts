// DPO (Rafailov et al. 2023) as LLaMA-Factory's `--stage dpo` runs it for Steel (spec §4.3): a micro-batch of P pairs
// is 2P rows (chosen rows, then rejected rows), each row's log-probability of its answer is the sum over the answer's
// tokens (prompt tokens are not labels), the frozen reference model's log-probabilities come in as an input, and
//   z = (log pi(y_w|x) - log ref(y_w|x)) - (log pi(y_l|x) - log ref(y_l|x))
//   sigmoid (standard DPO): -log sigmoid(beta z);  hinge (SLiC): relu(1 - beta z);
//   ipo: (z - 1/(2 beta))^2 with length-averaged log-probabilities (Azar et al. 2023, as TRL/LLaMA-Factory compute it).
// The loss is the mean over pairs; the rewards beta (log pi - log ref) of both answers are extra outputs.
import type { Graph, Value } from '@steel/graph';
import { buildForward, type SteelConfig } from '@steel/steel-model';
import { type LossGraph, type LossShape, segmentInputs, steelEmbedding } from '../model.js';

export type DpoLossKind = 'sigmoid' | 'hinge' | 'ipo';
export const DPO_LOSS_KINDS: readonly DpoLossKind[] = ['sigmoid', 'hinge', 'ipo'];

export interface DpoOptions {
  /** Default 0.1 (Steel). */
  beta: number;
  loss: DpoLossKind;
}

/** Per-row answer log-probability [R] from per-token NLL [R, T] (sum, or the mean over labels for IPO). */
function rowLogp(g: Graph, nll: Value, targets: Value, average: boolean): Value {
  const sum = g.neg(g.reduceSum(nll, 1));
  if (!average) return sum;
  const count = g.noGrad(() => g.max(g.reduceSum(g.cast(g.not(g.equal(targets, -100)), nll.dtype), 1), 1));
  return g.div(sum, count);
}

/**
 * log(1 + exp(x)) without overflow: max(x, 0) + log(1 + exp(-|x|)). Both kinks take their x >= 0 side, so the
 * gradient at x = 0 is the true 1/2 (with Relu's 0 there, DPO's first step, where policy = reference and z = 0,
 * would get no gradient at all).
 */
function softplus(g: Graph, x: Value): Value {
  const pos = g.greaterOrEqual(x, 0);
  const abs = g.where(pos, x, g.neg(x));
  return g.add(g.where(pos, x, 0), g.log(g.add(g.exp(g.neg(abs)), 1)));
}

/** The DPO loss graph for micro-batches of `shape.batch` rows = 2P (P pairs). Inputs: ids, targets, segment and
 * position ids, `ref_logps` [2P]. Outputs: loss, `chosen_rewards` [P], `rejected_rewards` [P]. */
export function dpoLossBuilder(config: SteelConfig, o: DpoOptions): (shape: LossShape) => LossGraph {
  return ({ batch, seq, lossChunks, hostEmbedding }) => {
    if (batch % 2 !== 0)
      throw new RangeError(`DPO: rows per micro-batch must be even (chosen + rejected), got ${batch}`);
    const P = batch / 2;
    const f = buildForward(config, {
      batch,
      seq,
      withLoss: 'tokens',
      lossChunks: lossChunks ?? 8,
      segments: { maxSegments: 1 },
      ...(hostEmbedding ? { inputsEmbeds: true } : {}),
    });
    const g = f.graph;
    const logp = rowLogp(g, f.tokenNll!, f.targets!, o.loss === 'ipo'); // [2P]
    const ref = g.input('ref_logps', logp.dtype, [batch]);
    const ratio = g.sub(logp, ref); // log pi - log ref, [2P]
    const chosen = g.slice(ratio, [0], [P], [0]);
    const rejected = g.slice(ratio, [P], [batch], [0]);
    const z = g.sub(chosen, rejected); // [P]
    let perPair: Value;
    if (o.loss === 'sigmoid') perPair = softplus(g, g.mul(z, -o.beta));
    else if (o.loss === 'hinge') perPair = g.relu(g.sub(1, g.mul(z, o.beta)));
    else {
      const d = g.sub(z, 1 / (2 * o.beta));
      perPair = g.mul(d, d);
    }
    const loss = g.reduceMean(perPair, 0);
    g.output(loss, 'loss');
    g.output(
      g.noGrad(() => g.mul(chosen, o.beta)),
      'chosen_rewards',
    );
    g.output(
      g.noGrad(() => g.mul(rejected, o.beta)),
      'rejected_rewards',
    );
    return {
      graph: g,
      loss,
      params: f.params,
      idsInput: 'input_ids',
      targetsInput: 'targets',
      extraInputs: [...segmentInputs(batch, seq), { name: 'ref_logps', dtype: 'float32', shape: [batch] }],
      extraOutputs: ['chosen_rewards', 'rejected_rewards'],
      ...steelEmbedding(f),
    };
  };
}

/** Forward-only graph of per-row answer log-probabilities (reference model): outputs `logp_sum`, `label_count` [R]. */
export function rowLogpGraph(
  config: SteelConfig,
  rows: number,
  seq: number,
  lossChunks = 8,
): { graph: Graph; params: Map<string, Value> } {
  const f = buildForward(config, { batch: rows, seq, withLoss: 'tokens', lossChunks, segments: { maxSegments: 1 } });
  const g = f.graph;
  g.output(rowLogp(g, f.tokenNll!, f.targets!, false), 'logp_sum');
  g.output(g.reduceSum(g.cast(g.not(g.equal(f.targets!, -100)), f.tokenNll!.dtype), 1), 'label_count');
  return { graph: g, params: f.params };
}
