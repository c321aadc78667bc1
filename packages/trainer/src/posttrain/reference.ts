// The frozen reference model of DPO: per-row answer log-probabilities from a forward-only graph with the reference
// weights baked in. Either every pair once before training (cached in the run folder, keyed by the data hash and the
// reference model, so a resumed run does not recompute), or each micro-batch alongside the policy step.
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeAtomically } from '@steel/dataset';
import { type ExecutionProvider, Session, tensor } from '@steel/graph';
import type { SteelConfig } from '@steel/steel-model';
import { pairRows, type RowBatch } from './batches.js';
import type { PreferenceSet } from './dataset.js';
import { rowLogpGraph } from './dpo.js';

export const REFERENCE_FILE = 'reference_logps.json';

export interface RowLogps {
  /** Sum of the answer tokens' log-probabilities, per row. */
  sum: Float64Array;
  /** Answer tokens (labels), per row. */
  count: Float64Array;
}

export class ReferenceScorer {
  private constructor(
    private readonly session: Session,
    private readonly weights: Map<string, ReturnType<typeof tensor>>,
    readonly rows: number,
    readonly seq: number,
  ) {}

  static async create(
    config: SteelConfig,
    weights: ReadonlyMap<string, Float32Array>,
    o: { rows: number; seq: number; lossChunks?: number; threads?: number; ep?: ExecutionProvider },
  ): Promise<ReferenceScorer> {
    const { graph, params } = rowLogpGraph(config, o.rows, o.seq, o.lossChunks ?? 8);
    const session = await Session.create(graph, {
      ep: o.ep ?? 'cpu',
      ...(o.threads ? { intraOpThreads: o.threads } : {}),
      optimization: 'all',
    });
    const feeds = new Map<string, ReturnType<typeof tensor>>();
    for (const [n, v] of params) {
      const w = weights.get(n);
      if (!w) throw new Error(`reference model: no weights for ${n}`);
      feeds.set(n, tensor(w, v.shape as number[]));
    }
    return new ReferenceScorer(session, feeds, o.rows, o.seq);
  }

  async score(b: RowBatch): Promise<RowLogps> {
    if (b.rows !== this.rows || b.seq !== this.seq)
      throw new RangeError(`reference: batch ${b.rows}x${b.seq}, graph ${this.rows}x${this.seq}`);
    const shape = [b.rows, b.seq];
    const feeds: Record<string, ReturnType<typeof tensor>> = {
      input_ids: tensor(b.ids, shape),
      targets: tensor(b.targets, shape),
      segment_ids: tensor(b.segments, shape),
      position_ids: tensor(b.positions, shape),
    };
    for (const [n, t] of this.weights) feeds[n] = t;
    const { outputs } = await this.session.run(feeds);
    return {
      sum: Float64Array.from(outputs.logp_sum!.data as Float32Array),
      count: Float64Array.from(outputs.label_count!.data as Float32Array),
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Reference log-probabilities of every pair (chosen and rejected), index = pair index. */
export interface PairLogps {
  chosen: RowLogps;
  rejected: RowLogps;
}

/** The rows of pairs `indices` as a batch lays them out: chosen rows first, then rejected rows. */
export function rowsOf(v: PairLogps, indices: readonly number[]): RowLogps {
  const P = indices.length;
  const rows: RowLogps = { sum: new Float64Array(2 * P), count: new Float64Array(2 * P) };
  indices.forEach((i, p) => {
    rows.sum[p] = v.chosen.sum[i]!;
    rows.count[p] = v.chosen.count[i]!;
    rows.sum[P + p] = v.rejected.sum[i]!;
    rows.count[P + p] = v.rejected.count[i]!;
  });
  return rows;
}

/** Scores every pair of `set` with `scorer` (P = scorer.rows / 2 pairs per run; the last run is topped up). */
export async function scoreAllPairs(
  scorer: ReferenceScorer,
  set: PreferenceSet,
  padId: number,
  onProgress?: (done: number, total: number) => void,
): Promise<PairLogps> {
  const N = set.prompt.length;
  const P = scorer.rows / 2;
  const out: PairLogps = {
    chosen: { sum: new Float64Array(N), count: new Float64Array(N) },
    rejected: { sum: new Float64Array(N), count: new Float64Array(N) },
  };
  for (let start = 0; start < N; start += P) {
    const idx = Array.from({ length: P }, (_, p) => Math.min(start + p, N - 1));
    const r = await scorer.score(pairRows(set, idx, scorer.seq, padId));
    for (let p = 0; p < P && start + p < N; p++) {
      out.chosen.sum[start + p] = r.sum[p]!;
      out.chosen.count[start + p] = r.count[p]!;
      out.rejected.sum[start + p] = r.sum[P + p]!;
      out.rejected.count[start + p] = r.count[P + p]!;
    }
    onProgress?.(Math.min(start + P, N), N);
  }
  return out;
}

interface CacheFile {
  version: 1;
  dataHash: string;
  reference: string;
  chosenSum: number[];
  chosenCount: number[];
  rejectedSum: number[];
  rejectedCount: number[];
}

/** The cached reference log-probs of `outDir` when they belong to this data and reference model, else null. */
export function readReferenceCache(outDir: string, dataHash: string, reference: string): PairLogps | null {
  const file = path.join(outDir, REFERENCE_FILE);
  if (!existsSync(file)) return null;
  const c = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
  if (c.version !== 1 || c.dataHash !== dataHash || c.reference !== reference) return null;
  return {
    chosen: { sum: Float64Array.from(c.chosenSum), count: Float64Array.from(c.chosenCount) },
    rejected: { sum: Float64Array.from(c.rejectedSum), count: Float64Array.from(c.rejectedCount) },
  };
}

export async function writeReferenceCache(
  outDir: string,
  dataHash: string,
  reference: string,
  v: PairLogps,
): Promise<void> {
  const c: CacheFile = {
    version: 1,
    dataHash,
    reference,
    chosenSum: [...v.chosen.sum],
    chosenCount: [...v.chosen.count],
    rejectedSum: [...v.rejected.sum],
    rejectedCount: [...v.rejected.count],
  };
  await writeAtomically(path.join(outDir, REFERENCE_FILE), true, (tmp) => writeFile(tmp, JSON.stringify(c)));
}
