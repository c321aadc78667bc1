import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { functionCausalLm, hfTokenizerFromFile, loadBenchmark, OnnxCausalLm, runEvaluation } from '../src/index.js';
import { logSoftmax, referenceLogits, writeTinyLm } from './tiny-lm.js';

const tiny = writeTinyLm();
const tokenizer = hfTokenizerFromFile(path.join(tiny.dir, 'tokenizer.json'));
const lm = functionCausalLm({
  tokenizer,
  maxContext: 4096,
  nextTokenLogits: (ids) => referenceLogits(tiny.weights, tiny.vocabSize, ids).at(-1)!,
});

afterAll(() => fs.rmSync(tiny.dir, { recursive: true, force: true }));

describe('functionCausalLm (ids -> logits callback)', () => {
  it('scores the continuation tokens with a log-softmax of the callback logits', async () => {
    const prompt = '题目：1+1=\nA. 1\nB. 2\nC. 3\nD. 4\n答案是：';
    const [got] = await lm.scoreChoices([{ prompt }], ['A', 'B', 'C', 'D']);
    const lp = logSoftmax(referenceLogits(tiny.weights, tiny.vocabSize, await tokenizer.encode(prompt)).at(-1)!);
    for (const [i, x] of got!.logProbs.entries()) expect(x).toBeCloseTo(lp[65 + i]!, 10);
  });

  it('runs a whole evaluation with the same predictions as the ONNX export of the same weights', async () => {
    const data = loadBenchmark('cmmlu', path.join(import.meta.dirname, 'fixtures', 'cmmlu'));
    const onnx = await OnnxCausalLm.load(tiny.dir, { maxContext: 4096 });
    const a = await runEvaluation(data, { mode: 'logits', scorer: lm, shots: 1 });
    const b = await runEvaluation(data, { mode: 'logits', scorer: onnx, shots: 1 });
    await onnx.release();
    expect(a.predictions.map((p) => p.chosen)).toEqual(b.predictions.map((p) => p.chosen));
    for (const [i, p] of a.predictions.entries()) {
      for (const [j, x] of p.scores!.entries()) expect(x).toBeCloseTo(b.predictions[i]!.scores![j]!, 4);
    }
  });

  it('generates greedily and honours stop strings', async () => {
    const onnx = await OnnxCausalLm.load(tiny.dir, { maxContext: 512, eosIds: [] });
    const prompt = '以下是一道单选题:\n1+1=\n';
    const want = await onnx.generate(prompt, { maxNewTokens: 5 });
    await onnx.release();
    const got = await lm.generate(prompt, { maxNewTokens: 5 });
    expect(got).toEqual(want);
    const stopped = await lm.generate(prompt, { maxNewTokens: 5, stop: [got.text.slice(1, 2) || '\u0000'] });
    expect(got.text.startsWith(stopped.text)).toBe(true);
  });
});
