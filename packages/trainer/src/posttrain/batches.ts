// Rows for the packed-row step graph (segment_ids / position_ids inputs): SFT samples one per row or packed several
// per row, DPO pairs as a chosen row and a rejected row. Targets are the next token where that token is a label and
// -100 elsewhere, so no loss crosses from one sample into the next; padding is segment 0 (seen by nothing).
import type { PreferenceSet, SftSet } from './dataset.js';
import type { MixtureCursor } from './mixture.js';

export interface RowBatch {
  rows: number;
  seq: number;
  ids: BigInt64Array;
  targets: BigInt64Array;
  segments: BigInt64Array;
  positions: BigInt64Array;
  /** Global sample (pair) indices in this batch, in placement order. */
  samples: number[];
  /** Non-pad tokens and counted targets. */
  tokens: number;
  labels: number;
}

function emptyBatch(rows: number, seq: number, padId: number): RowBatch {
  const n = rows * seq;
  return {
    rows,
    seq,
    ids: new BigInt64Array(n).fill(BigInt(padId)),
    targets: new BigInt64Array(n).fill(-100n),
    segments: new BigInt64Array(n),
    positions: new BigInt64Array(n),
    samples: [],
    tokens: 0,
    labels: 0,
  };
}

/** Writes one sample (ids, label flags) at row r from column `start` as segment `seg`. */
function place(
  b: RowBatch,
  r: number,
  start: number,
  seg: number,
  ids: ArrayLike<number>,
  label: (t: number) => boolean,
) {
  const base = r * b.seq + start;
  const L = ids.length;
  for (let t = 0; t < L; t++) {
    b.ids[base + t] = BigInt(ids[t]!);
    b.segments[base + t] = BigInt(seg);
    b.positions[base + t] = BigInt(t);
    if (t + 1 < L && label(t + 1)) {
      b.targets[base + t] = BigInt(ids[t + 1]!);
      b.labels++;
    }
  }
  b.tokens += L;
}

export interface SftBatchOptions {
  rows: number;
  seq: number;
  /** Several samples per row (at most maxSegments), in visiting order. */
  packing: boolean;
  maxSegments: number;
  padId: number;
}

export class SftBatcher {
  constructor(
    readonly set: SftSet,
    readonly cursor: MixtureCursor,
    readonly opts: SftBatchOptions,
  ) {
    if (!opts.packing && opts.maxSegments !== 1)
      throw new RangeError('SftBatcher: without packing a row holds one sample');
  }

  private length(i: number): number {
    return this.set.offsets[i + 1]! - this.set.offsets[i]!;
  }

  next(): RowBatch {
    const { rows, seq, packing, maxSegments, padId } = this.opts;
    const b = emptyBatch(rows, seq, padId);
    const { tokens, trained, offsets } = this.set;
    for (let r = 0; r < rows; r++) {
      let used = 0;
      for (let seg = 1; seg <= maxSegments; seg++) {
        const i = this.cursor.peek();
        const L = this.length(i);
        if (used + L > seq) break; // never for the first sample: samples are cut to seq
        const o = offsets[i]!;
        place(b, r, used, seg, tokens.subarray(o, o + L), (t) => trained[o + t] === 1);
        b.samples.push(i);
        this.cursor.next();
        used += L;
        if (!packing) break;
      }
    }
    return b;
  }
}

/**
 * Fills `out` (length K) with the flat positions of `b` that carry a label, padded with a position whose target is
 * -100 (one always exists: every sample's last position). Throws when there are more labels than K.
 */
export function labelIndex(b: RowBatch, out: BigInt64Array): void {
  let k = 0;
  let pad = -1;
  for (let i = 0; i < b.targets.length; i++) {
    if (b.targets[i] === -100n) {
      if (pad < 0) pad = i;
      continue;
    }
    if (k === out.length) throw new RangeError(`labelIndex: more than ${out.length} labels in a micro-batch`);
    out[k++] = BigInt(i);
  }
  out.fill(BigInt(Math.max(pad, 0)), k);
}

/**
 * An upper bound of the labels of any micro-batch SftBatcher can make: per row, at most seq - 1 and at most the
 * labels of the `maxSegments` most-labelled samples (rounded up to a multiple of 8).
 */
export function sftLabelCapacity(set: SftSet, rows: number, seq: number, maxSegments: number): number {
  const counts: number[] = [];
  for (let i = 0; i + 1 < set.offsets.length; i++) {
    let n = 0;
    for (let t = set.offsets[i]! + 1; t < set.offsets[i + 1]!; t++) n += set.trained[t]!;
    counts.push(n);
  }
  counts.sort((a, b) => b - a);
  const perRow = Math.min(
    seq - 1,
    counts.slice(0, maxSegments).reduce((a, b) => a + b, 0),
  );
  return Math.min(rows * seq, Math.ceil((rows * perRow) / 8) * 8);
}

/** Optimizer steps of one epoch (rows filled the way SftBatcher fills them), for `epochs`-based runs. */
export function sftRowsPerEpoch(
  set: SftSet,
  order: Int32Array,
  seq: number,
  packing: boolean,
  maxSegments: number,
): number {
  if (!packing) return order.length;
  let rows = 0;
  let used = seq + 1;
  let segs = 0;
  for (const i of order) {
    const L = set.offsets[i + 1]! - set.offsets[i]!;
    if (used + L > seq || segs === maxSegments) {
      rows++;
      used = 0;
      segs = 0;
    }
    used += L;
    segs++;
  }
  return rows;
}

/** Rows for pairs `indices` (P of them): rows 0..P-1 prompt + chosen, rows P..2P-1 prompt + rejected. */
export function pairRows(set: PreferenceSet, indices: readonly number[], seq: number, padId: number): RowBatch {
  const P = indices.length;
  const b = emptyBatch(2 * P, seq, padId);
  indices.forEach((i, p) => {
    b.samples.push(i);
    const prompt = set.prompt[i]!;
    for (const [row, answer] of [
      [p, set.chosen[i]!],
      [P + p, set.rejected[i]!],
    ] as const) {
      const ids = new Int32Array(prompt.length + answer.length);
      ids.set(prompt);
      ids.set(answer, prompt.length);
      place(b, row, 0, 1, ids, (t) => t >= prompt.length);
    }
  });
  return b;
}

export class PreferenceBatcher {
  constructor(
    readonly set: PreferenceSet,
    readonly cursor: MixtureCursor,
    readonly opts: { pairs: number; seq: number; padId: number },
  ) {}

  next(): RowBatch {
    const indices = Array.from({ length: this.opts.pairs }, () => this.cursor.next());
    return pairRows(this.set, indices, this.opts.seq, this.opts.padId);
  }
}
