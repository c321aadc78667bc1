// Steel checkpoints through @steel/steel-model: a tiny random Steel folder (tiny byte-level tokenizer.json beside it)
// scored by openModelFolder, checked against an independent computation: model.logits() on the whole sequence (HF's
// uncached forward, all positions), last row, log-softmax by hand.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initModelFolder, presetConfig, SteelModel, validateConfig } from '@steel/steel-model';
import { loadTokenizer } from '@steel/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyTokenizerJson } from '../../../tools/fixtures/eval/make-tiny-lm.mjs';
import { continuationTokenIds, continuationTokenIdsBatch } from '../src/continuation-tokens.js';
import {
  DEMO_CMMLU_DIR,
  type EvalModel,
  EvalModelError,
  evalDemo,
  loadBenchmark,
  openModelFolder,
  readResults,
  runEvaluation,
} from '../src/index.js';
import { logSoftmax } from './tiny-lm.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'steel-eval-steel-'));
const dir = path.join(root, 'tiny');
const { json: tokJson, vocabSize } = tinyTokenizerJson();
// A Steel model over the tiny tokenizer's vocabulary: 2 layers x 32, Soft-MoE v3 + SENet experts as released.
// initializer_range 0.3 so that the letters' log-probs differ visibly (0.02 leaves them all near -ln V).
const config = validateConfig({
  ...presetConfig('steel-1b'),
  vocab_size: vocabSize,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 2048,
  bos_token_id: null,
  eos_token_id: vocabSize - 1, // <|im_end|> in the tiny tokenizer
  torch_dtype: 'float32',
  initializer_range: 0.3,
});
let model: EvalModel;
let reference: SteelModel;

beforeAll(async () => {
  await initModelFolder(dir, config, { seed: 7 });
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), tokJson);
  model = await openModelFolder(dir, { threads: 1 });
  reference = await SteelModel.load(dir, { threads: 1 });
});

afterAll(async () => {
  await model?.release();
  await reference?.release();
  fs.rmSync(root, { recursive: true, force: true });
});

/** log P(letter | prompt) from the full-sequence logits, computed here independently of the scorer. */
async function expectedLogProbs(prompt: string, letters: string[]): Promise<number[]> {
  const tok = await loadTokenizer({ path: path.join(dir, 'tokenizer.json') });
  const ids = await tok.encode(prompt);
  const V = config.vocab_size;
  const all = await reference.logits(ids);
  const lp = logSoftmax(Array.from(all.subarray((ids.length - 1) * V, ids.length * V)));
  // byte-level BPE without merges across "：" + letter: the letter is its own token (its byte value's id)
  return Promise.all(
    letters.map(async (l) => {
      const joined = await tok.encode(prompt + l);
      expect(joined.slice(0, ids.length)).toEqual(ids);
      return lp[joined[ids.length]!]!;
    }),
  );
}

describe('Steel checkpoints (openModelFolder -> SteelCausalLm)', () => {
  it('recognizes the folder and takes the context from config.json', () => {
    expect(model.kind).toBe('steel-checkpoint');
    expect(model.maxContext).toBe(2048);
  });

  it('scores A-D with the log-softmax of the full recompute, one forward per question', async () => {
    const prompts = [
      '以下是关于小学数学的单项选择题，请直接给出正确答案的选项。\n\n题目：1+1=\nA. 1\nB. 2\nC. 3\nD. 4\n答案是：',
      '题目：天空是什么颜色？\nA. 红\nB. 蓝\nC. 绿\nD. 黑\n答案是：',
    ];
    const before = model.stats.forwards;
    const got = await model.scoreChoices(
      prompts.map((prompt) => ({ prompt, sharedPrefix: prompt.slice(0, 10) })),
      ['A', 'B', 'C', 'D'],
    );
    expect(model.stats.forwards - before).toBe(2);
    for (const [i, prompt] of prompts.entries()) {
      const want = await expectedLogProbs(prompt, ['A', 'B', 'C', 'D']);
      for (const [j, x] of got[i]!.logProbs.entries()) expect(x).toBeCloseTo(want[j]!, 5);
      // not all equal: the check above is not trivially satisfied by a near-uniform model
      expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(1e-3);
    }
  });

  it('runs a 1-shot CMMLU evaluation whose choices are the argmax of the independent log-probs', async () => {
    const data = loadBenchmark('cmmlu', path.join(import.meta.dirname, 'fixtures', 'cmmlu'));
    const r = await runEvaluation(data, { mode: 'logits', scorer: model, shots: 1, limit: 2 });
    expect(r.predictions.length).toBeGreaterThan(0);
    for (const p of r.predictions) {
      const best = p.scores!.indexOf(Math.max(...p.scores!));
      expect(p.chosen).toBe('ABCD'[best]);
    }
  });

  it('generates greedily through the KV cache: the first token is the argmax of the prompt logits', async () => {
    const prompt = '<|im_start|>user\n1+1=?<|im_end|>\n<|im_start|>assistant\n';
    const g = await model.generate(prompt, { maxNewTokens: 6 });
    const tok = await loadTokenizer({ path: path.join(dir, 'tokenizer.json') });
    const ids = await tok.encode(prompt, { allowSpecial: true });
    expect(g.promptTokens).toBe(ids.length);
    const controls = [tok.tokenToId('<|im_start|>'), tok.tokenToId('<|im_end|>')];
    expect(ids.filter((id) => controls.includes(id)).length).toBe(3); // the template's control tokens became ids
    const last = await reference.lastLogits(ids);
    let best = 0;
    for (let v = 1; v < last.length; v++) if (last[v]! > last[best]!) best = v;
    if (best === config.eos_token_id) expect(g.newTokens).toBe(0);
    else {
      expect(g.newTokens).toBeGreaterThan(0);
      expect(g.newTokens).toBeLessThanOrEqual(6);
      const greedy: number[] = [];
      for await (const id of reference.generate(ids, { doSample: false, repetitionPenalty: 1, maxNewTokens: 6 })) {
        if (id === config.eos_token_id) break;
        greedy.push(id);
      }
      expect(greedy[0]).toBe(best);
      expect(g.text).toBe(tok.decode(greedy));
    }
  });

  it('gives the chat prompt a ChatML formatter (the tiny tokenizer.json has no template)', () => {
    expect(model.chatFormatter?.format([{ role: 'user', content: '你好' }], { addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('evalDemo scores the shipped demo sample and writes the three reports', async () => {
    const out = path.join(root, 'demo-out');
    const demo = await evalDemo({ modelDir: dir, outDir: out, limit: 3, threads: 1 });
    expect(DEMO_CMMLU_DIR).toBe(path.resolve(import.meta.dirname, '../data/demo-cmmlu'));
    expect(demo.modelKind).toBe('steel-checkpoint');
    expect(demo.overall.questions).toBe(6); // 2 subjects x limit 3
    expect(demo.overall.unparseable).toBe(0);
    const correct = demo.results.predictions.filter((p) => p.chosen === p.gold).length;
    expect(demo.overall.correct).toBe(correct);
    expect(demo.overall.micro).toBeCloseTo(correct / 6, 12);
    expect(readResults(demo.files.json).predictions).toHaveLength(6);
    expect(fs.readFileSync(demo.files.markdown, 'utf8')).toMatch(/elementary_mathematics/);
    expect(fs.readFileSync(demo.files.html, 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('refuses a tokenizer whose ids do not fit the model vocabulary, saying both sizes', async () => {
    const small = path.join(root, 'small');
    await initModelFolder(small, { ...config, vocab_size: 200, eos_token_id: 1 }, { seed: 1 });
    fs.writeFileSync(path.join(small, 'tokenizer.json'), tokJson);
    const err = await openModelFolder(small).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvalModelError);
    expect((err as Error).message).toMatch(new RegExp(`${vocabSize} ids but the model's vocab_size is 200`));
  });
});

describe('continuationTokenIdsBatch', () => {
  it('gives the same ids as the one-prompt-at-a-time path (incl. a continuation merged across the boundary)', async () => {
    const tok = await loadTokenizer({ path: path.join(dir, 'tokenizer.json') });
    const text = {
      encode: (t: string) => tok.encode(t),
      decode: (ids: readonly number[]) => tok.decode(ids),
      tokenId: () => undefined,
    };
    const prompts = ['题目：1+1=\nA. 1\nB. 2\n答案是：', 'Question: 2+2=\nAnswer:', 'x'];
    for (const conts of [
      ['A', 'B', 'C', 'D'],
      [' A', ' B', ' C', ' D'],
    ]) {
      const batch = await continuationTokenIdsBatch((texts) => tok.encodeBatch(texts), prompts, conts);
      const one = await Promise.all(prompts.map((p) => continuationTokenIds(text, p, conts)));
      expect(batch).toEqual(one);
    }
  });
});
