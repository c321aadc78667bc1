// Packed rows (ForwardOptions.segments): every sample of a row must get exactly what it gets alone, for every FFN
// type — the logits against the independent reference forward, the per-token NLL against its log-softmax, and the
// gradients of the summed NLL against the sum of each sample's gradients from the ordinary (unpacked) graph.
import path from 'node:path';
import { grad, Session, tensor } from '@steel/graph';
import { describe, expect, it } from 'vitest';
import { buildForward, loadModelFolder, nextTargets, referenceForward, type SteelConfig } from '../src/index.js';
import { CASES, FIXTURES, relMaxDiff } from './fixtures.js';

const TOL = 1e-4;

/** Row 0 holds samples A, B and one pad; row 1 holds sample C and three pads. */
function packedBatch(V: number) {
  const A = [5, 9, 33, 2];
  const B = [40, 41, 3, 3, 12];
  const C = [7, 1, 19, 60, 2, 28, 11].map((x) => x % V);
  const T = 10;
  const rows = [
    { ids: [...A, ...B, 0], seg: [1, 1, 1, 1, 2, 2, 2, 2, 2, 0] },
    { ids: [...C, 0, 0, 0], seg: [1, 1, 1, 1, 1, 1, 1, 0, 0, 0] },
  ];
  const samples = [
    { ids: A, row: 0, start: 0 },
    { ids: B, row: 0, start: 4 },
    { ids: C, row: 1, start: 0 },
  ];
  const pos = rows.map((r) => r.seg.map((s, t) => (s === 0 ? 0 : t - r.seg.indexOf(s))));
  const targets = rows.map(() => new Array<number>(T).fill(-100));
  for (const s of samples) {
    nextTargets(s.ids).forEach((y, t) => {
      targets[s.row]![s.start + t] = y;
    });
  }
  return { T, rows, samples, pos, targets };
}

const i64 = (a: number[][]) => BigInt64Array.from(a.flat().map(BigInt));

async function run(
  config: SteelConfig,
  weights: Map<string, Float32Array>,
  graphOpts: Parameters<typeof buildForward>[1],
  extra: Record<string, ReturnType<typeof tensor>>,
  withGrads: boolean,
) {
  const f = buildForward(config, graphOpts);
  const names = [...f.params.keys()];
  if (withGrads) {
    const total = f.tokenNll ? f.graph.reduceSum(f.tokenNll, [0, 1]) : f.loss!;
    grad(
      total,
      names.map((n) => f.params.get(n)!),
    ).forEach((gv, i) => {
      f.graph.output(gv!, `grad.${names[i]}`);
    });
    if (f.tokenNll) f.graph.output(f.tokenNll, 'nll');
  }
  const session = await Session.create(f.graph, { intraOpThreads: 1 });
  const feeds = { ...extra };
  for (const [n, v] of f.params) feeds[n] = tensor(weights.get(n)!, v.shape as number[]);
  const { outputs } = await session.run(feeds);
  await session.release();
  return outputs;
}

describe('packed rows (segment_ids + position_ids): each sample as if alone', () => {
  for (const name of CASES) {
    it(`${name}: logits, per-token NLL and summed gradients`, async () => {
      const { config, weights } = await loadModelFolder(path.join(FIXTURES, name));
      const V = config.vocab_size;
      const { T, rows, samples, pos, targets } = packedBatch(V);
      const feeds = {
        input_ids: tensor(i64(rows.map((r) => r.ids)), [2, T]),
        segment_ids: tensor(i64(rows.map((r) => r.seg)), [2, T]),
        position_ids: tensor(i64(pos), [2, T]),
      };
      const opts = { batch: 2, seq: T, segments: { maxSegments: 2 } };
      const logits = (await run(config, weights, { ...opts, logits: 'all' }, feeds, false)).logits!
        .data as Float32Array;
      const packed = await run(
        config,
        weights,
        { ...opts, withLoss: 'tokens' },
        { ...feeds, targets: tensor(i64(targets), [2, T]) },
        true,
      );
      const nll = packed.nll!.data as Float32Array;
      const sumGrads = new Map<string, Float64Array>();
      for (const s of samples) {
        const n = s.ids.length;
        const ref = referenceForward(config, weights, s.ids).logits;
        const at = (s.row * T + s.start) * V;
        expect(relMaxDiff(logits.subarray(at, at + n * V), ref)).toBeLessThan(TOL);
        // per-token NLL = logsumexp - logit[target] of the reference logits
        const ys = nextTargets(s.ids);
        for (let t = 0; t < n; t++) {
          const got = nll[s.row * T + s.start + t]!;
          if (ys[t] === -100) {
            expect(got).toBe(0);
            continue;
          }
          const z = ref.subarray(t * V, (t + 1) * V);
          let m = -Infinity;
          for (const x of z) m = Math.max(m, x);
          let e = 0;
          for (const x of z) e += Math.exp(x - m);
          expect(Math.abs(got - (m + Math.log(e) - z[ys[t]!]!))).toBeLessThan(1e-4);
        }
        // gradient of this sample alone (ordinary graph, summed loss = mean x count)
        const alone = await run(
          config,
          weights,
          { batch: 1, seq: n, withLoss: true },
          { input_ids: tensor(i64([s.ids]), [1, n]), targets: tensor(i64([ys]), [1, n]) },
          true,
        );
        const count = ys.filter((y) => y !== -100).length;
        for (const [k, v] of Object.entries(alone)) {
          if (!k.startsWith('grad.')) continue;
          const acc = sumGrads.get(k) ?? new Float64Array(v.data.length);
          (v.data as Float32Array).forEach((x, i) => {
            acc[i] = acc[i]! + x * count;
          });
          sumGrads.set(k, acc);
        }
      }
      // padding positions: nothing counted
      expect(nll[9]).toBe(0);
      for (const t of [7, 8, 9]) expect(nll[T + t]).toBe(0);
      for (const [k, want] of sumGrads) {
        const got = packed[k]!.data as Float32Array;
        const scale = Math.max(...want.map(Math.abs));
        if (scale === 0) continue;
        expect(relMaxDiff(got, want), k).toBeLessThan(TOL);
      }
    });
  }
});
