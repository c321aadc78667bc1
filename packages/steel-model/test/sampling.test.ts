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
import { FIXTURES } from './fixtures.js';

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
