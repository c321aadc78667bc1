import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  dpoToAlpaca,
  examPostTrainingData,
  examToDpo,
  examToSft,
  type Question,
  sftToAlpaca,
  writeJsonl,
} from '../src/index.js';

const base = { subject: 's', split: 'dev', source: 'f.csv:2' };
const plain: Question = {
  ...base,
  id: 's/dev/0',
  question: '水稻属于',
  choices: ['禾本科', '豆科', '菊科', '蔷薇科'],
  answer: 'A',
};
const explained: Question = {
  ...plain,
  id: 's/dev/1',
  explanation: '水稻是禾本科稻属植物，与小麦同科。故选A。',
};

describe('SFT records from exam questions', () => {
  it('answer-only: 以下是一道单选题 prompt, answer `A。`', () => {
    expect(examToSft(plain)).toEqual({
      id: 's/dev/0',
      messages: [
        {
          role: 'user',
          content: '以下是一道单选题:\n水稻属于\nA. 禾本科\nB. 豆科\nC. 菊科\nD. 蔷薇科\n请给出答案。\n',
        },
        { role: 'assistant', content: 'A。' },
      ],
    });
  });

  it('with an explanation: explain-then-answer prompt, explanation cut at 故选, then 答案为A', () => {
    expect(examToSft(explained).messages).toEqual([
      {
        role: 'user',
        content: '以下是一道单选题:\n水稻属于\nA. 禾本科\nB. 豆科\nC. 菊科\nD. 蔷薇科\n请先给出解释再给出答案。\n',
      },
      { role: 'assistant', content: '水稻是禾本科稻属植物，与小麦同科。答案为A' },
    ]);
  });

  it('English: the multiple-choice instruction and `A. text`', () => {
    expect(examToSft(plain, { language: 'en' }).messages[1]).toEqual({ role: 'assistant', content: 'A. 禾本科' });
    expect(examToSft(plain, { language: 'en' }).messages[0]!.content).toBe(
      'The following is a multiple-choice question. Please choose the most suitable one among A, B, C and D as the answer to this question.\n\n水稻属于\nA. 禾本科\nB. 豆科\nC. 菊科\nD. 蔷薇科\n',
    );
  });
});

describe('DPO pairs from exam questions', () => {
  it('one pair per wrong answer: chosen = the right letter, rejected = each wrong one', () => {
    const pairs = examToDpo(plain);
    expect(pairs.map((p) => [p.id, p.chosen[0]!.content, p.rejected[0]!.content])).toEqual([
      ['s/dev/0#B', 'A。', 'B。'],
      ['s/dev/0#C', 'A。', 'C。'],
      ['s/dev/0#D', 'A。', 'D。'],
    ]);
    expect(pairs[0]!.prompt).toEqual([
      { role: 'user', content: '以下是一道单选题:\n水稻属于\nA. 禾本科\nB. 豆科\nC. 菊科\nD. 蔷薇科\n请给出答案。\n' },
    ]);
    expect(dpoToAlpaca(pairs[0]!)).toEqual({
      instruction: '以下是一道单选题:\n水稻属于\nA. 禾本科\nB. 豆科\nC. 菊科\nD. 蔷薇科\n请给出答案。\n',
      input: '',
      chosen: 'A。',
      rejected: 'B。',
    });
  });

  it('builds a whole set, leaves out unanswered questions, and writes jsonl', () => {
    const unanswered: Question = { ...base, id: 's/test/9', question: 'q', choices: ['a', 'b', 'c', 'd'] };
    const set = examPostTrainingData([plain, explained, unanswered]);
    expect(set.sft).toHaveLength(2);
    expect(set.dpo).toHaveLength(6);
    expect(set.skipped).toEqual(['s/test/9']);
    expect(sftToAlpaca(set.sft[0]!)).toEqual({
      instruction: set.sft[0]!.messages[0]!.content,
      input: '',
      output: 'A。',
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steel-eval-jsonl-'));
    const file = path.join(dir, 'sft.jsonl');
    expect(writeJsonl(file, set.sft)).toBe(2);
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(set.sft);
    fs.rmSync(dir, { recursive: true });
  });
});
