import { describe, expect, it } from 'vitest';
import { type GradedPrediction, type SubjectInfo, summarize } from '../src/index.js';

const subjects: SubjectInfo[] = [
  { id: 's1', nameEn: 'one', categories: ['STEM'] },
  { id: 's2', nameEn: 'two', categories: ['STEM', 'China specific'] },
  { id: 's3', nameEn: 'three', categories: ['Humanities'] },
];

const p = (subject: string, gold: 'A' | 'B' | undefined, chosen: 'A' | 'B' | null): GradedPrediction => ({
  subject,
  ...(gold ? { gold } : {}),
  chosen,
});

// s1: 3 of 4 right; s2: 1 of 1 right; s3: 0 of 2 right (one unparseable), plus one ungraded question.
const predictions = [
  p('s1', 'A', 'A'),
  p('s1', 'A', 'A'),
  p('s1', 'B', 'B'),
  p('s1', 'B', 'A'),
  p('s2', 'A', 'A'),
  p('s3', 'A', 'B'),
  p('s3', 'B', null),
  p('s3', undefined, 'A'),
];

describe('summarize', () => {
  const s = summarize(predictions, subjects, ['STEM', 'Humanities', 'Social Science', 'China specific']);

  it('scores each subject', () => {
    expect(s.subjects.map((x) => [x.id, x.correct, x.questions, x.accuracy, x.unparseable, x.ungraded])).toEqual([
      ['s1', 3, 4, 0.75, 0, 0],
      ['s2', 1, 1, 1, 0, 0],
      ['s3', 0, 2, 0, 1, 1],
    ]);
  });

  it('averages categories both ways; overlapping categories count a subject in each; empty ones are left out', () => {
    expect(s.categories.map((c) => c.name)).toEqual(['STEM', 'Humanities', 'China specific']);
    const stem = s.categories[0]!;
    expect(stem).toMatchObject({ subjects: 2, questions: 5, correct: 4 });
    expect(stem.micro).toBeCloseTo(4 / 5, 12); // 4 right of 5 questions
    expect(stem.macro).toBeCloseTo((0.75 + 1) / 2, 12); // mean of 75 % and 100 %
    expect(s.categories[2]).toMatchObject({ subjects: 1, questions: 1, micro: 1, macro: 1 });
  });

  it('overall: micro over questions (MMLU) and macro over subjects (C-Eval), unparseable counted', () => {
    expect(s.overall).toMatchObject({ subjects: 3, questions: 7, correct: 4, unparseable: 1 });
    expect(s.overall.micro).toBeCloseTo(4 / 7, 12);
    expect(s.overall.macro).toBeCloseTo((0.75 + 1 + 0) / 3, 12);
  });

  it('refuses a prediction for a subject outside the list', () => {
    expect(() => summarize([p('zz', 'A', 'A')], subjects)).toThrowError(/subject 'zz'/);
  });
});
