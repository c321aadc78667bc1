// The project's own CMMLU-format sample (packages/eval/data/demo-cmmlu) loads cleanly and its arithmetic answers
// are right (checked by evaluating each question here).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHOICE_LETTERS, loadBenchmark } from '../src/index.js';

const dir = path.resolve(import.meta.dirname, '../../../packages/eval/data/demo-cmmlu');

describe('demo CMMLU sample', () => {
  const data = loadBenchmark('cmmlu', dir);

  it('has two subjects with 5 dev questions each and no malformed rows', () => {
    expect(data.subjects.map((s) => [s.info.id, s.dev.length, s.eval.length])).toEqual([
      ['elementary_commonsense', 5, 15],
      ['elementary_mathematics', 5, 30],
    ]);
    expect(data.skipped).toEqual([]);
  });

  it('marks the right result of every arithmetic question, among four distinct options', () => {
    const math = data.subjects.find((s) => s.info.id === 'elementary_mathematics')!;
    for (const q of [...math.dev, ...math.eval]) {
      const m = /^(\d+)([+\-×])(\d+)等于多少？$/.exec(q.question);
      expect(m, q.question).not.toBeNull();
      const [a, op, b] = [Number(m![1]), m![2], Number(m![3])];
      const right = op === '+' ? a + b : op === '-' ? a - b : a * b;
      expect(q.choices[CHOICE_LETTERS.indexOf(q.answer!)], q.question).toBe(String(right));
      expect(new Set(q.choices).size).toBe(4);
    }
  });
});
