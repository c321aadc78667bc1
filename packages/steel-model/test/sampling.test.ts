import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  chooseToken,
  generateTokens,
  loadModelFolder,
  processLogits,
  Rng,
  referenceStep,
  samplingFromGenerationConfig,
  softmax,
} from '../src/index.js';
import { kthLargest } from '../src/sampling.js';
import { FIXTURES } from './fixtures.js';

/** HF's warpers written the plain way (full sorts of the whole row), to check processLogits' faster paths against. */
function plainWarp(logits: ArrayLike<number>, temperature: number, topK: number, topP: number): Float64Array {
  const V = logits.length;
  const s = Float64Array.from(logits, (x) => x / temperature);
  if (topK > 0 && topK < V) {
    const kth = Float64Array.from(s).sort()[V - topK]!;
    for (let i = 0; i < V; i++) if (s[i]! < kth) s[i] = Number.NEGATIVE_INFINITY;
  }
  if (topP < 1) {
    const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => s[a]! - s[b]! || a - b);
    const probs = softmax(s);
    let cum = 0;
    for (let r = 0; r < V - 1; r++) {
      cum += probs[order[r]!]!;
      if (cum <= 1 - topP) s[order[r]!] = Number.NEGATIVE_INFINITY;
      else break;
    }
  }
  return s;
}

interface ProcessorCase {
  do_sample: boolean;
  temperature: number;
  top_k: number;
  top_p: number;
  penalty: number;
  logits: number[];
  previous: number[];
  probs: number[];
  kept: number;
  argmax: number;
}
const golden = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'sampling.json'), 'utf8')) as {
  processors: ProcessorCase[];
  greedy_generation: { case: string; prompt: number[]; repetition_penalty: number; tokens: number[] };
};

const optionsOf = (c: ProcessorCase) => ({
  doSample: c.do_sample,
  temperature: c.temperature,
  topK: c.top_k,
  topP: c.top_p,
  repetitionPenalty: c.penalty,
});

describe('logits processing vs transformers (PyTorch re-implementation of its processors)', () => {
  golden.processors.forEach((c, n) => {
    it(`case ${n}: sample=${c.do_sample} T=${c.temperature} k=${c.top_k} p=${c.top_p} penalty=${c.penalty}`, () => {
      const scores = processLogits(c.logits, c.previous, optionsOf(c));
      expect(scores.filter((s) => Number.isFinite(s)).length).toBe(c.kept);
      const probs = softmax(scores);
      for (let i = 0; i < probs.length; i++) expect(Math.abs(probs[i]! - c.probs[i]!)).toBeLessThan(1e-12);
      if (!c.do_sample) expect(chooseToken(c.logits, c.previous, optionsOf(c), new Rng(0))).toBe(c.argmax);
    });
  });

  it('top-k (heap) and top-p (sorting only the surviving tokens) equal the full-sort algorithm on big rows with ties', () => {
    const rng = new Rng(11);
    const V = 20_000;
    for (const [k, p, T] of [
      [50, 0.8, 1],
      [50, 1, 0.7],
      [1, 0.9, 1],
      [0, 0.8, 1.3],
      [3000, 0.95, 1],
      [V - 1, 0.5, 1],
    ] as const) {
      // coarse values (multiples of 0.25) make many ties, also at the k-th value
      const logits = Float32Array.from({ length: V }, () => Math.round(rng.normal() * 12) / 4);
      const ours = processLogits(logits, [], { doSample: true, topK: k, topP: p, temperature: T });
      expect(Array.from(ours), `k=${k} p=${p} T=${T}`).toEqual(Array.from(plainWarp(logits, T, k, p)));
    }
  });

  it('kthLargest counts repeats like a sort and treats NaN as the sort does', () => {
    const rng = new Rng(5);
    for (const n of [1, 2, 7, 100, 1001]) {
      const v = Float64Array.from({ length: n }, () => Math.round(rng.normal() * 3));
      const sorted = Float64Array.from(v).sort();
      // + 0: the sort orders -0 before +0, the heap may return either; they compare equal, which is all top-k uses
      for (const k of [1, 2, Math.ceil(n / 2), n].filter((x) => x <= n))
        expect(kthLargest(v, k) + 0).toBe(sorted[n - k]! + 0);
    }
    const withNaN = [3, Number.NaN, -1, 2, Number.NEGATIVE_INFINITY];
    expect(kthLargest(withNaN, 1)).toBeNaN();
    expect(kthLargest(withNaN, 2)).toBe(3);
    expect(() => kthLargest([1, 2], 3)).toThrow(/k = 3 with 2 values/);
  });

  it('sampling draws follow the processed distribution', () => {
    const c = golden.processors.find((p) => p.do_sample && p.top_k === 5)!;
    const rng = new Rng(3);
    const counts = new Array(c.logits.length).fill(0);
    const n = 20000;
    for (let i = 0; i < n; i++) counts[chooseToken(c.logits, c.previous, optionsOf(c), rng)]++;
    for (const [i, k] of counts.entries()) expect(Math.abs(k / n - c.probs[i]!)).toBeLessThan(0.015);
    expect(counts.filter((k) => k > 0).length).toBe(5);
  });

  it("maps Steel's generation_config to HF defaults plus its own values", () => {
    expect(samplingFromGenerationConfig({ do_sample: true, top_p: 0.8, repetition_penalty: 1.1 })).toEqual({
      doSample: true,
      temperature: 1,
      topK: 50,
      topP: 0.8,
      repetitionPenalty: 1.1,
    });
  });

  it('rejects impossible options with the allowed range', () => {
    expect(() => processLogits([0, 1], [], { doSample: true, temperature: 0 })).toThrow(/temperature = 0 .*> 0/);
    expect(() => processLogits([0, 1], [], { topP: 1.5 })).toThrow(/topP = 1.5 .*\(0, 1\]/);
    expect(() => processLogits([0, 1], [], { topK: -1 })).toThrow(/topK = -1/);
  });
});

describe('generateTokens', () => {
  it('greedy generation with the reference KV cache reproduces the torch cached path token for token', async () => {
    const g = golden.greedy_generation;
    const { config, weights } = await loadModelFolder(path.join(FIXTURES, g.case));
    const { step, cache } = referenceStep(config, weights);
    const tokens: number[] = [];
    for await (const t of generateTokens(step, g.prompt, {
      maxNewTokens: g.tokens.length,
      repetitionPenalty: g.repetition_penalty,
    })) {
      tokens.push(t);
    }
    expect(tokens).toEqual(g.tokens);
    expect(cache.length).toBe(g.prompt.length + g.tokens.length - 1); // the last token is chosen, not fed
  });

  it('stops after a stop token (yielding it) and calls the model with the prompt once, then one token per call', async () => {
    const calls: number[][] = [];
    const V = 8;
    // A fake model: always prefers (last fed id + 1) mod V.
    const step = (ids: number[]) => {
      calls.push(ids);
      const row = new Float64Array(V);
      row[(ids.at(-1)! + 1) % V] = 5;
      return row;
    };
    const out: number[] = [];
    for await (const t of generateTokens(step, [1, 2], { maxNewTokens: 10, stopTokens: [5] })) out.push(t);
    expect(out).toEqual([3, 4, 5]);
    expect(calls).toEqual([[1, 2], [3], [4]]);
  });

  it('same seed, same samples; maxNewTokens bounds the output', async () => {
    const step = () => Float64Array.from({ length: 16 }, (_, i) => Math.sin(i));
    const run = async (seed: number) => {
      const out: number[] = [];
      for await (const t of generateTokens(step, [0], { doSample: true, topK: 0, maxNewTokens: 12, seed })) out.push(t);
      return out;
    };
    expect(await run(1)).toEqual(await run(1));
    expect(await run(1)).not.toEqual(await run(2));
    expect((await run(1)).length).toBe(12);
  });
});
