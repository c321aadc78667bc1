// Test helper: the tiny ONNX causal LM of tools/fixtures/eval written to a temp folder, and an independent plain-JS
// forward pass of the same weights (full recompute, no KV cache) to check the ORT scorer against.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeTinyLm, TINY, type TinyWeights } from '../../../tools/fixtures/eval/make-tiny-lm.mjs';

export function writeTinyLm(seed = 1234, half = false): { dir: string; weights: TinyWeights; vocabSize: number } {
  const lm = makeTinyLm(seed, { half });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steel-eval-tiny-'));
  fs.writeFileSync(path.join(dir, 'model.onnx'), lm.modelBytes);
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), lm.tokenizerJson);
  return { dir, weights: lm.weights, vocabSize: lm.vocabSize };
}

/** x [n] times W [n, m] (row-major) -> [m]. */
function vecMat(x: ArrayLike<number>, W: Float32Array, n: number, m: number): number[] {
  const out = new Array<number>(m).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j]! += x[i]! * W[i * m + j]!;
  return out;
}

/** Logits [T][V] of the whole sequence, positions 0..T-1. */
export function referenceLogits(w: TinyWeights, vocab: number, ids: readonly number[]): number[][] {
  const { dim: D, heads: H, headDim: Dh, ff: F } = TINY;
  const x = ids.map((id, t) =>
    Array.from({ length: D }, (_, d) => w.E[id * D + d]! + Math.sin(t * w.freq[d]! + w.phase[d]!)),
  );
  const q = x.map((r) => vecMat(r, w.Wq, D, D));
  const k = x.map((r) => vecMat(r, w.Wk, D, D));
  const v = x.map((r) => vecMat(r, w.Wv, D, D));
  return x.map((xt, t) => {
    const o = new Array<number>(D).fill(0);
    for (let h = 0; h < H; h++) {
      const scores: number[] = [];
      for (let s = 0; s <= t; s++) {
        let dot = 0;
        for (let d = 0; d < Dh; d++) dot += q[t]![h * Dh + d]! * k[s]![h * Dh + d]!;
        scores.push(dot / Math.sqrt(Dh));
      }
      const max = Math.max(...scores);
      const e = scores.map((z) => Math.exp(z - max));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let s = 0; s <= t; s++) for (let d = 0; d < Dh; d++) o[h * Dh + d]! += (e[s]! / sum) * v[s]![h * Dh + d]!;
    }
    const attn = vecMat(o, w.Wo, D, D);
    const x2 = xt.map((z, d) => z + attn[d]!);
    const hidden = vecMat(x2, w.W1, D, F).map((z) => Math.max(0, z));
    const ff = vecMat(hidden, w.W2, F, D);
    const x3 = x2.map((z, d) => z + ff[d]!);
    return vecMat(x3, w.Wlm, D, vocab);
  });
}

export function logSoftmax(row: readonly number[]): number[] {
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((a, z) => a + Math.exp(z - max), 0));
  return row.map((z) => z - lse);
}
