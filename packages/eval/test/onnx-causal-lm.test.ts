import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvalModelError, hfTokenizerFromFile, OnnxCausalLm, openModelFolder } from '../src/index.js';
import { logSoftmax, referenceLogits, writeTinyLm } from './tiny-lm.js';

const tiny = writeTinyLm();
const tokenizer = hfTokenizerFromFile(path.join(tiny.dir, 'tokenizer.json'));

/** Independent expectation: log-probs of each continuation's token after `prompt`, from the plain-JS forward. */
async function expected(prompt: string, continuationIds: number[]): Promise<number[]> {
  const ids = await tokenizer.encode(prompt);
  const logits = referenceLogits(tiny.weights, tiny.vocabSize, ids);
  const lp = logSoftmax(logits.at(-1)!);
  return continuationIds.map((id) => lp[id]!);
}

function expectClose(got: readonly number[], want: readonly number[]): void {
  expect(got).toHaveLength(want.length);
  for (const [i, x] of got.entries()) expect(x).toBeCloseTo(want[i]!, 4);
}

const LETTERS = ['A', 'B', 'C', 'D'];
const LETTER_IDS = [65, 66, 67, 68]; // byte-level tokens of the bare letters
const SPACE_LETTER_IDS = [256, 257, 258, 259]; // the merged "ĠA".."ĠD" tokens

const prefix =
  '以下是关于农学的单项选择题，请直接给出正确答案的选项。\n\n题目：水稻属于\nA. 禾本科\nB. 豆科\nC. 菊科\nD. 蔷薇科\n答案是：A\n\n';
const prompts = [
  `${prefix}题目：尿素是\nA. 氮肥\nB. 磷肥\nC. 钾肥\nD. 复合肥\n答案是：`,
  `${prefix}题目：牛的发情周期平均为\nA. 16天\nB. 21天\nC. 28天\nD. 19天\n答案是：`,
  `${prefix}题目：短\nA. 1\nB. 2\nC. 3\nD. 4\n答案是：`,
];

describe('OnnxCausalLm on a tiny exported decoder', () => {
  let lm: OnnxCausalLm;
  beforeAll(async () => {
    lm = await OnnxCausalLm.load(tiny.dir, { maxContext: 512 });
  });
  afterAll(async () => {
    await lm.release();
    fs.rmSync(tiny.dir, { recursive: true, force: true });
  });

  it('scores the letters as a full recompute in plain JS does (single prompt, no shared prefix)', async () => {
    const [got] = await lm.scoreChoices([{ prompt: prompts[0]! }], LETTERS);
    const want = await expected(prompts[0]!, LETTER_IDS);
    expectClose(got!.logProbs, want);
    expect(got!.promptTokens).toBe((await tokenizer.encode(prompts[0]!)).length);
  });

  it('gives the same scores through the shared-prefix KV cache with a right-padded batch', async () => {
    const got = await lm.scoreChoices(
      prompts.map((prompt) => ({ prompt, sharedPrefix: prefix })),
      LETTERS,
    );
    for (const [i, p] of prompts.entries()) {
      const want = await expected(p, LETTER_IDS);
      expectClose(got[i]!.logProbs, want);
    }
    const reusesBefore = lm.stats.prefixReuses;
    await lm.scoreChoices([{ prompt: prompts[1]!, sharedPrefix: prefix }], LETTERS);
    expect(lm.stats.prefixReuses).toBe(reusesBefore + 1);
  });

  it('tokenizes a continuation as it follows the prompt (" A" after "Answer:" is one merged token)', async () => {
    const prompt = 'The following are multiple choice questions.\n\n1+1=\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer:';
    const [got] = await lm.scoreChoices([{ prompt }], [' A', ' B', ' C', ' D']);
    const want = await expected(prompt, SPACE_LETTER_IDS);
    expectClose(got!.logProbs, want);
  });

  it('handles prompts longer than a batch through chunked prefill', async () => {
    const small = await OnnxCausalLm.load(tiny.dir, { maxContext: 512, maxBatchTokens: 16, prefillChunk: 7 });
    const got = await small.scoreChoices(
      prompts.map((prompt) => ({ prompt, sharedPrefix: prefix })),
      LETTERS,
    );
    for (const [i, p] of prompts.entries()) {
      const want = await expected(p, LETTER_IDS);
      expectClose(got[i]!.logProbs, want);
    }
    await small.release();
  });

  it('generates greedily, token by token, as the full-recompute argmax does', async () => {
    const gen = await OnnxCausalLm.load(tiny.dir, { maxContext: 512, eosIds: [] });
    const prompt = '<|im_start|>user\n1+1=?<|im_end|>\n<|im_start|>assistant\n';
    const ids = await tokenizer.encode(prompt);
    const want: number[] = [];
    for (let n = 0; n < 6; n++) {
      const last = referenceLogits(tiny.weights, tiny.vocabSize, [...ids, ...want]).at(-1)!;
      want.push(last.indexOf(Math.max(...last)));
    }
    const g = await gen.generate(prompt, { maxNewTokens: 6 });
    expect(g.newTokens).toBe(6);
    expect(g.promptTokens).toBe(ids.length);
    expect(g.text).toBe(await tokenizer.decode(want));
    await gen.release();
  });
});

describe('OnnxCausalLm with a float16 KV cache and float16 logits', () => {
  it('scores as the float32 reference does, to float16 precision, through the shared prefix', async () => {
    const half = writeTinyLm(1234, true);
    const lm = await OnnxCausalLm.load(half.dir, { maxContext: 512, prefillChunk: 32 });
    const got = await lm.scoreChoices(
      prompts.map((prompt) => ({ prompt, sharedPrefix: prefix })),
      LETTERS,
    );
    for (const [i, p] of prompts.entries()) {
      const want = await expected(p, LETTER_IDS);
      // float16 logits carry ~3 significant digits; log-probs of magnitude ~10 are good to ~0.02.
      for (const [j, x] of got[i]!.logProbs.entries()) expect(Math.abs(x - want[j]!)).toBeLessThan(0.05);
    }
    await lm.release();
    fs.rmSync(half.dir, { recursive: true, force: true });
  });
});

describe('model folders', () => {
  it('opens a Steel checkpoint folder through @steel/steel-model, naming the bad config field', async () => {
    const dir = fs.mkdtempSync(path.join(tiny.dir, '..', 'steel-ckpt-'));
    fs.writeFileSync(path.join(dir, 'config.json'), '{}');
    fs.writeFileSync(path.join(dir, 'model.safetensors'), '');
    await expect(openModelFolder(dir)).rejects.toThrowError(
      /cannot load the Steel checkpoint: .*config.json: config.FFN_type/,
    );
    fs.rmSync(dir, { recursive: true });
  });

  it('explains a folder with no model, and a model without tokenizer.json', async () => {
    const dir = fs.mkdtempSync(path.join(tiny.dir, '..', 'empty-'));
    await expect(openModelFolder(dir)).rejects.toThrowError(EvalModelError);
    fs.writeFileSync(path.join(dir, 'model.onnx'), '');
    await expect(openModelFolder(dir)).rejects.toThrowError(/no tokenizer\.json/);
    fs.rmSync(dir, { recursive: true });
  });
});
