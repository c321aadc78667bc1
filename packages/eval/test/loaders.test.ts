import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchmarkCategories, benchmarkSubjects, EvalDataError, loadBenchmark } from '../src/index.js';

const fixtures = path.join(import.meta.dirname, 'fixtures');

describe('subject maps', () => {
  const count = (b: 'ceval' | 'cmmlu' | 'mmlu') => {
    const n: Record<string, number> = {};
    for (const s of benchmarkSubjects(b)) for (const c of s.categories) n[c] = (n[c] ?? 0) + 1;
    return n;
  };
  it('C-Eval: 52 subjects, STEM 20, Social Science 10, Humanities 11, Other 11', () => {
    expect(benchmarkSubjects('ceval')).toHaveLength(52);
    expect(count('ceval')).toEqual({ STEM: 20, 'Social Science': 10, Humanities: 11, Other: 11 });
    expect(benchmarkSubjects('ceval').find((s) => s.id === 'advanced_mathematics')?.nameZh).toBe('高等数学');
  });
  it('CMMLU: 67 subjects, STEM 17, Humanities 13, Social Science 22, Other 15, China specific 15 (overlapping)', () => {
    expect(benchmarkSubjects('cmmlu')).toHaveLength(67);
    expect(count('cmmlu')).toEqual({ STEM: 17, Humanities: 13, 'Social Science': 22, Other: 15, 'China specific': 15 });
    expect(benchmarkCategories('cmmlu')).toEqual(['STEM', 'Humanities', 'Social Science', 'Other', 'China specific']);
    const ancient = benchmarkSubjects('cmmlu').find((s) => s.id === 'ancient_chinese');
    expect(ancient).toMatchObject({ nameZh: '古汉语', categories: ['Social Science', 'China specific'] });
  });
  it('MMLU: 57 subjects in 4 categories', () => {
    expect(benchmarkSubjects('mmlu')).toHaveLength(57);
    expect(Object.values(count('mmlu')).reduce((a, b) => a + b, 0)).toBe(57);
  });
});

describe('loadBenchmark', () => {
  it('reads CMMLU with BOM, CRLF, quoted commas, doubled quotes and a newline inside a question', () => {
    const data = loadBenchmark('cmmlu', path.join(fixtures, 'cmmlu'));
    expect(data.split).toBe('test');
    expect(data.subjects.map((s) => s.info.id)).toEqual(['agronomy', 'ancient_chinese']);
    const agro = data.subjects[0]!;
    expect(agro.dev).toHaveLength(2);
    expect(agro.eval.map((q) => q.id)).toEqual(['agronomy/test/0', 'agronomy/test/1', 'agronomy/test/2']);
    expect(agro.eval[0]).toMatchObject({
      question: '小麦、玉米,哪个是C4植物',
      choices: ['小麦', '玉米', '都是', '都不是'],
      answer: 'B',
    });
    expect(agro.eval[1]!.question).toBe('他说："施肥要适量"。这句话强调什么');
    expect(agro.eval[2]!.question).toBe('第一行\n第二行：____是土壤的主要成分');
    // The record after a quoted newline starts one line later.
    expect(agro.eval[2]!.source).toMatch(/agronomy\.csv:4$/);
    expect(data.skipped).toEqual([]);
  });

  it('reads C-Eval val + dev with explanations and MMLU headerless files', () => {
    const ceval = loadBenchmark('ceval', path.join(fixtures, 'ceval'));
    expect(ceval.split).toBe('val');
    const math = ceval.subjects[0]!;
    expect(math.info).toMatchObject({ id: 'advanced_mathematics', nameZh: '高等数学', categories: ['STEM'] });
    expect(math.dev[1]).toMatchObject({ question: '集合{1,2}的子集个数是', answer: 'C' });
    expect(math.dev[1]!.explanation).toBe('1. 含n个元素的集合有2^n个子集。\n2. 2^2=4');
    expect(math.eval[0]).toMatchObject({ id: 'advanced_mathematics/val/0', answer: 'B' });
    expect(math.eval[0]!.explanation).toBeUndefined();

    const mmlu = loadBenchmark('mmlu', path.join(fixtures, 'mmlu'));
    expect(mmlu.subjects.map((s) => s.info.id)).toEqual(['abstract_algebra']);
    expect(mmlu.subjects[0]!.eval[1]).toMatchObject({
      id: 'abstract_algebra/test/1',
      question: 'A "ring" has how many operations?',
      choices: ['1', '2', '3', '4'],
      answer: 'B',
    });
    expect(mmlu.subjects[0]!.dev[1]!.question).toBe('Which is prime, 9 or 7?');
    expect(mmlu.unknownFiles.map((f) => path.basename(f))).toEqual(['not_a_subject_test.csv']);
  });

  it('stops at the first malformed row with file:line by default', () => {
    expect(() => loadBenchmark('cmmlu', path.join(fixtures, 'bad'), { subjects: ['agronomy'] })).toThrowError(
      /bad\/test\/agronomy\.csv:3: expected 7 fields, found 6$/,
    );
  });

  it('skips and lists malformed rows when asked, keeping the good ones (including one after a quoted newline)', () => {
    const data = loadBenchmark('cmmlu', path.join(fixtures, 'bad'), { subjects: ['agronomy'], onMalformed: 'skip' });
    const file = path.join(fixtures, 'bad', 'test', 'agronomy.csv');
    expect(data.skipped).toEqual([
      { file, line: 3, reason: 'expected 7 fields, found 6' },
      { file, line: 4, reason: "answer must be one of A, B, C, D, found 'E'" },
      { file, line: 5, reason: 'empty question' },
    ]);
    expect(data.subjects[0]!.eval.map((q) => q.question)).toEqual(['好问题', '跨行\n的好问题']);
    expect(data.missingDev).toEqual(['agronomy']);
  });

  it('treats broken quoting as fatal even when skipping (nothing after it can be trusted)', () => {
    expect(() =>
      loadBenchmark('cmmlu', path.join(fixtures, 'bad'), { subjects: ['anatomy'], onMalformed: 'skip' }),
    ).toThrowError(/anatomy\.csv:2: unterminated quoted field/);
  });

  it('explains a wrong folder, an unknown subject and a missing subject file', () => {
    expect(() => loadBenchmark('cmmlu', path.join(fixtures, 'nowhere'))).toThrowError(EvalDataError);
    expect(() => loadBenchmark('cmmlu', path.join(fixtures, 'nowhere'))).toThrowError(/holds dev\/ and test\//);
    expect(() => loadBenchmark('cmmlu', path.join(fixtures, 'cmmlu'), { subjects: ['agronomyy'] })).toThrowError(
      /unknown cmmlu subject 'agronomyy'/,
    );
    expect(() => loadBenchmark('cmmlu', path.join(fixtures, 'cmmlu'), { subjects: ['anatomy'] })).toThrowError(
      /anatomy\.csv: no such file/,
    );
  });
});
