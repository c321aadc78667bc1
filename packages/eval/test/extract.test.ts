import { describe, expect, it } from 'vitest';
import { extractChoice } from '../src/index.js';

// [answer text, expected letter (null = unparseable)]; Chinese answers in the styles chat models produce.
const CHINESE: [string, string | null][] = [
  ['B', 'B'],
  ['C. 空气', 'C'],
  ['（A）矿物质', 'A'],
  ['答案是D。', 'D'],
  ['根据题意，答案为：B', 'B'],
  ['正确答案是选项 C，因为……', 'C'],
  ['这道题的答案应该是A', 'A'],
  ['故选：D', 'D'],
  ['我选择B', 'B'],
  ['选项B是正确的。', 'B'],
  ['经过分析，正确的选项为 A。', 'A'],
  ['答：C', 'C'],
  ['只有D符合题意。', 'D'],
  ['答案选项：B', 'B'],
  ['首先排除A和B，C当选。', 'C'],
  ['分析：A说法错误，B说法错误，C正确。', 'C'],
  ['水稻属于禾本科，这是A', 'A'],
  ['我认为是禾本科植物，也就是 B 吧', 'B'],
  ['这道题我不会。', null],
  ['我不确定，A、B、C、D都有道理。', null],
  ['A和B都有可能。', 'A'], // CMMLU's first rule: a leading A-D is the answer
];

// Steel-LLM's CMMLU/C-Eval parsing of English MMLU answers.
const ENGLISH: [string, string | null][] = [
  ['B', 'B'],
  ['(C) 4', 'C'],
  ['The answer is D.', 'D'],
  ['Answer: A', 'A'],
  ['I would choose (B) because the group has four elements.', 'B'],
  ['Option C is correct.', 'C'],
  ['It has order 4, which is option B', 'B'],
  ['A. 2', 'A'],
  ['The group has order four.', null],
];

describe('extractChoice', () => {
  it.each(CHINESE)('zh %s -> %s', (text, letter) => {
    expect(extractChoice('cmmlu', text).letter).toBe(letter);
  });

  it.each(ENGLISH)('en %s -> %s', (text, letter) => {
    expect(extractChoice('mmlu', text).letter).toBe(letter);
  });

  it('names the rule that matched, and unparseable otherwise', () => {
    expect(extractChoice('cmmlu', '答案是D。')).toEqual({ letter: 'D', rule: '答案是X' });
    expect(extractChoice('cmmlu', '分析：A说法错误，B说法错误，C正确。').rule).toBe('X…正确');
    expect(extractChoice('cmmlu', '不知道')).toEqual({ letter: null, rule: 'unparseable' });
  });

  it('uses a quoted option text when no letter pattern matches', () => {
    const options = ['矿物质', '水', '空气', '有机质'];
    expect(extractChoice('cmmlu', '土壤的主要成分是有机质。', { options })).toEqual({
      letter: 'D',
      rule: 'option text',
    });
  });
});
