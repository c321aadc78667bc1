import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  generateTokens,
  loadModelFolder,
  nextTokenLoss,
  ReferenceCache,
  referenceForward,
  referenceStep,
  SteelModel,
} from '../src/index.js';
import { CASES, expectedJson, expectedTensors, FIXTURES, relMaxDiff } from './fixtures.js';

const TOL = 1e-4;

describe('SteelModel (ONNX sessions) vs the goldens', () => {
  for (const name of CASES) {
    it(`${name}: logits(), cached prefill+decode (HF's cached path) and grads()`, async () => {
      // v2-senet runs with the weights baked into the sessions, the others with them fed as inputs (both paths)
      const model = await SteelModel.load(path.join(FIXTURES, name), { threads: 1, bakeWeights: name === 'v2-senet' });
      const expected = expectedJson(name);
      const tensors = await expectedTensors(name);
      const ids = expected.ids;
      const V = model.config.vocab_size;
      const logits = await model.logits(ids);
      expect(relMaxDiff(logits, tensors.get('logits')!)).toBeLessThan(TOL);
      expect(Math.abs(nextTokenLoss(logits, V, ids) - expected.loss) / expected.loss).toBeLessThan(TOL);
      const last = await model.lastLogits(ids);
      expect(relMaxDiff(last, tensors.get('logits')!.subarray((ids.length - 1) * V))).toBeLessThan(TOL);

      // prefill `prefill` tokens, then one per call: compare each call's last-position logits
      const cache = model.newCache();
      const cachedWant = name === 'v3-causal' ? tensors.get('logits')! : tensors.get('cached_logits')!;
      const pre = await model.step(ids.slice(0, expected.prefill), cache);
      const at = (t: number) => cachedWant.subarray(t * V, (t + 1) * V);
      expect(relMaxDiff(pre, at(expected.prefill - 1))).toBeLessThan(TOL);
      for (let t = expected.prefill; t < ids.length; t++) {
        const row = await model.step([ids[t]!], cache);
        expect(relMaxDiff(row, at(t)), `position ${t}`).toBeLessThan(TOL);
      }
      expect(cache.length).toBe(ids.length);

      const g = await model.grads(ids);
      expect(Math.abs(g.loss - expected.loss) / expected.loss).toBeLessThan(TOL);
      for (const [n, want] of Object.entries(expected.grad_norms)) {
        expect(Math.abs(g.gradNorms[n]! - want), n).toBeLessThanOrEqual(TOL * want + 1e-9);
      }
      await model.release();
    });
  }

  it('multi-token calls after a non-empty cache match the reference cache (v3: per call; causal: the full recompute)', async () => {
    for (const name of ['v3-gqa-slots', 'v3-causal'] as const) {
      const dir = path.join(FIXTURES, name);
      const model = await SteelModel.load(dir, { threads: 1 });
      const { config, weights } = await loadModelFolder(dir);
      const ids = expectedJson(name).ids;
      const chunks = [ids.slice(0, 3), ids.slice(3, 8), ids.slice(8)];
      const cache = model.newCache();
      const ref = new ReferenceCache(config);
      const V = config.vocab_size;
      for (const chunk of chunks) {
        const ours = await model.step(chunk, cache);
        const want = referenceForward(config, weights, chunk, ref).logits;
        expect(relMaxDiff(ours, want.subarray((chunk.length - 1) * V)), `${name} ${chunk}`).toBeLessThan(TOL);
      }
      if (name === 'v3-causal') {
        const full = (await expectedTensors(name)).get('logits')!;
        const ours = await model.step([], cache).catch((e: Error) => e);
        expect(ours).toBeInstanceOf(RangeError); // empty ids are refused
        expect(relMaxDiff(await model.lastLogits(ids), full.subarray((ids.length - 1) * V))).toBeLessThan(TOL);
      }
      await model.release();
    }
  });

  it('v3 goldens: cached decoding really differs from the full recompute (so the test above tells them apart)', async () => {
    const t = await expectedTensors('steel-tiny');
    expect(relMaxDiff(t.get('cached_logits')!, t.get('logits')!)).toBeGreaterThan(1e-3);
  });

  it("generate(): greedy with repetition penalty reproduces torch's cached generation token for token", async () => {
    const golden = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'sampling.json'), 'utf8')).greedy_generation;
    const model = await SteelModel.load(path.join(FIXTURES, golden.case), { threads: 1 });
    const out: number[] = [];
    for await (const id of model.generate(golden.prompt, {
      maxNewTokens: golden.tokens.length,
      doSample: false,
      repetitionPenalty: golden.repetition_penalty,
      stopTokens: [],
    }))
      out.push(id);
    expect(out).toEqual(golden.tokens);
    await model.release();
  });

  it('generate(): sampling is seeded and matches the reference step token for token; stop tokens end it', async () => {
    const dir = path.join(FIXTURES, 'v3-gqa-slots');
    const model = await SteelModel.load(dir, { threads: 1 });
    const { config, weights } = await loadModelFolder(dir);
    const opts = { maxNewTokens: 8, doSample: true, temperature: 0.9, topK: 20, topP: 0.9, seed: 7, stopTokens: [] };
    const ours: number[] = [];
    for await (const id of model.generate([3, 14, 15, 9], opts)) ours.push(id);
    const ref: number[] = [];
    for await (const id of generateTokens(referenceStep(config, weights).step, [3, 14, 15, 9], opts)) ref.push(id);
    expect(ours).toEqual(ref);
    const stopped: number[] = [];
    for await (const id of model.generate([3, 14, 15, 9], { ...opts, stopTokens: [ours[2]!] })) stopped.push(id);
    expect(stopped).toEqual(ours.slice(0, ours.indexOf(ours[2]!) + 1));
    await model.release();
  });

  it('chat(): renders the template, streams decoded text, stops at the stop token', async () => {
    const model = await SteelModel.load(path.join(FIXTURES, 'steel-tiny'), { threads: 1 });
    // a stand-in tokenizer: ids are char codes mod vocab, the "template" adds a fixed header
    const seen: number[][] = [];
    const tok = {
      encodeChat: async (messages: { role: string; content: string }[]) => [
        7,
        ...[...messages.map((m) => m.content).join('')].map((c) => c.charCodeAt(0) % 512),
      ],
      createStreamDecoder: () => ({
        push: (id: number | number[]) => {
          seen.push([id as number]);
          return `<${id}>`;
        },
        end: () => '',
      }),
    };
    const all: number[] = [];
    for await (const id of model.generate([7, ...'hi'.split('').map((c) => c.charCodeAt(0))], {
      maxNewTokens: 5,
      stopTokens: [],
    }))
      all.push(id);
    let text = '';
    for await (const piece of model.chat(tok, [{ role: 'user', content: 'hi' }], {
      maxNewTokens: 5,
      stopTokens: [all[3]!],
    }))
      text += piece;
    expect(text).toBe(
      all
        .slice(0, all.indexOf(all[3]!))
        .map((id) => `<${id}>`)
        .join(''),
    );
    await model.release();
  });
});
