// Expected prompt strings are written out by hand from the documented formats (specs/benchmarks/README.md and
// Steel-LLM's eval scripts), not produced by the code under test.
import { describe, expect, it } from 'vitest';
import {
  buildChatQuestion,
  buildFewShotPrompt,
  chatMlFormatter,
  choiceContinuations,
  fitFewShotPrompt,
  type Question,
  type SubjectInfo,
} from '../src/index.js';

const q = (id: string, question: string, choices: string[], answer?: 'A' | 'B' | 'C' | 'D', explanation?: string) =>
  ({
    id,
    subject: 's',
    split: 'x',
    question,
    choices: choices as Question['choices'],
    ...(answer ? { answer } : {}),
    ...(explanation ? { explanation } : {}),
    source: 'f.csv:1',
  }) as Question;

const math: SubjectInfo = {
  id: 'advanced_mathematics',
  nameEn: 'Advanced Mathematics',
  nameZh: '高等数学',
  categories: [],
};
const agro: SubjectInfo = { id: 'agronomy', nameEn: 'agronomy', nameZh: '农学', categories: [] };
const algebra: SubjectInfo = { id: 'abstract_algebra', nameEn: 'abstract algebra', categories: [] };

const ex1 = q('e1', '1+1=', ['1', '2', '3', '4'], 'B', '一加一等于二。');
const ex2 = q('e2', '2+2=', ['4', '5', '6', '7'], 'A');
const test = q('t', '3+3=', ['5', '6', '7', '8'], 'B');

describe('C-Eval prompts', () => {
  it('5-shot style (two examples here)', () => {
    const p = buildFewShotPrompt('ceval', math, test, { shots: [ex1, ex2] });
    expect(p.text).toBe(
      '以下是中国关于高等数学考试的单项选择题，请选出其中的正确答案。\n\n' +
        '1+1=\nA. 1\nB. 2\nC. 3\nD. 4\n答案：B\n\n' +
        '2+2=\nA. 4\nB. 5\nC. 6\nD. 7\n答案：A\n\n' +
        '3+3=\nA. 5\nB. 6\nC. 7\nD. 8\n答案：',
    );
    expect(p.prefix + p.question).toBe(p.text);
    expect(p.question).toBe('3+3=\nA. 5\nB. 6\nC. 7\nD. 8\n答案：');
    expect(p.shots).toBe(2);
  });

  it('zero-shot', () => {
    expect(buildFewShotPrompt('ceval', math, test).text).toBe(
      '以下是中国关于高等数学考试的单项选择题，请选出其中的正确答案。\n\n3+3=\nA. 5\nB. 6\nC. 7\nD. 8\n答案：',
    );
  });

  it('chain-of-thought puts 让我们一步一步思考， and the explanation before the answer', () => {
    expect(buildFewShotPrompt('ceval', math, test, { shots: [ex1], cot: true }).text).toBe(
      '以下是中国关于高等数学考试的单项选择题，请选出其中的正确答案。\n\n' +
        '1+1=\nA. 1\nB. 2\nC. 3\nD. 4\n答案：让我们一步一步思考，\n一加一等于二。\n所以答案是B。\n\n' +
        '3+3=\nA. 5\nB. 6\nC. 7\nD. 8\n答案：让我们一步一步思考，\n',
    );
  });
});

describe('CMMLU prompts', () => {
  it('few-shot', () => {
    expect(buildFewShotPrompt('cmmlu', agro, test, { shots: [ex2] }).text).toBe(
      '以下是关于农学的单项选择题，请直接给出正确答案的选项。\n\n' +
        '题目：2+2=\nA. 4\nB. 5\nC. 6\nD. 7\n答案是：A\n\n' +
        '题目：3+3=\nA. 5\nB. 6\nC. 7\nD. 8\n答案是：',
    );
  });
  it('zero-shot', () => {
    expect(buildFewShotPrompt('cmmlu', agro, test).text).toBe(
      '以下是关于农学的单项选择题，请直接给出正确答案的选项。\n\n题目：3+3=\nA. 5\nB. 6\nC. 7\nD. 8\n答案是：',
    );
  });
});

describe('MMLU prompts', () => {
  it('few-shot, letters continue with a leading space', () => {
    expect(buildFewShotPrompt('mmlu', algebra, test, { shots: [ex2] }).text).toBe(
      'The following are multiple choice questions (with answers) about abstract algebra.\n\n' +
        '2+2=\nA. 4\nB. 5\nC. 6\nD. 7\nAnswer: A\n\n' +
        '3+3=\nA. 5\nB. 6\nC. 7\nD. 8\nAnswer:',
    );
    expect(choiceContinuations('mmlu')).toEqual([' A', ' B', ' C', ' D']);
    expect(choiceContinuations('cmmlu')).toEqual(['A', 'B', 'C', 'D']);
  });
});

describe('Steel-LLM chat prompts', () => {
  const blank = q('b', '土壤的主要成分是____。', ['矿物质', '水', '空气', '有机质'], 'A');
  it('C-Eval: question, blank line, options, 请给出答案。 and ____。 replaced by ( )', () => {
    expect(buildChatQuestion('ceval', blank)).toBe(
      '以下是一道单选题:\n土壤的主要成分是( )\n\nA. 矿物质\nB. 水\nC. 空气\nD. 有机质\n请给出答案。\n',
    );
  });
  it('CMMLU removes every ____', () => {
    expect(buildChatQuestion('cmmlu', blank)).toBe(
      '以下是一道单选题:\n土壤的主要成分是。\n\nA. 矿物质\nB. 水\nC. 空气\nD. 有机质\n请给出答案。\n',
    );
  });
  it('chain-of-thought wording', () => {
    expect(buildChatQuestion('cmmlu', test, { cot: true })).toBe(
      '请一步步思考以下选择题的每个选项，然后再给出最终答案。\n\n 选择题：\n3+3=\n\nA. 5\nB. 6\nC. 7\nD. 8\n',
    );
  });
  it('MMLU English instruction', () => {
    expect(buildChatQuestion('mmlu', test)).toBe(
      'The following is a multiple-choice question. Please choose the most suitable one among A, B, C and D as the answer to this question.\n\n3+3=\nA. 5\nB. 6\nC. 7\nD. 8\n',
    );
  });
  it('plain ChatML with the default system prompt and the generation prompt', () => {
    expect(chatMlFormatter().format([{ role: 'user', content: '你好' }])).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(
      chatMlFormatter().format(
        [
          { role: 'system', content: 'S' },
          { role: 'user', content: 'U' },
        ],
        { addGenerationPrompt: false },
      ),
    ).toBe('<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n');
  });
});

describe('fitFewShotPrompt', () => {
  const chars = (s: string) => [...s].length; // a "tokenizer" of one token per character
  const zero = buildFewShotPrompt('cmmlu', agro, test).text;
  const one = buildFewShotPrompt('cmmlu', agro, test, { shots: [ex1] }).text;

  it('keeps every example when they fit', async () => {
    const p = await fitFewShotPrompt('cmmlu', agro, test, { shots: [ex1, ex2], countTokens: chars, maxTokens: 1000 });
    expect(p).toMatchObject({ shots: 2, fits: true });
  });

  it('drops examples from the end until prompt + reserve fit', async () => {
    // Budget exactly the one-example prompt plus the 1 reserved answer token.
    const p = await fitFewShotPrompt('cmmlu', agro, test, {
      shots: [ex1, ex2],
      countTokens: chars,
      maxTokens: chars(one) + 1,
    });
    expect(p.text).toBe(one);
    expect(p).toMatchObject({ shots: 1, tokens: chars(one), fits: true });
  });

  it('returns the zero-shot prompt flagged when nothing fits', async () => {
    const p = await fitFewShotPrompt('cmmlu', agro, test, { shots: [ex1], countTokens: chars, maxTokens: 5 });
    expect(p.text).toBe(zero);
    expect(p.fits).toBe(false);
  });

  it("can drop the longest example first (CMMLU's base script)", async () => {
    const long = q('l', '一个很长很长很长很长很长很长很长很长的问题', ['a', 'b', 'c', 'd'], 'C');
    const keepShort = buildFewShotPrompt('cmmlu', agro, test, { shots: [ex2] }).text;
    const p = await fitFewShotPrompt('cmmlu', agro, test, {
      shots: [ex2, long],
      countTokens: chars,
      maxTokens: chars(keepShort) + 1,
      dropOrder: 'longest',
    });
    expect(p.text).toBe(keepShort);
  });
});
