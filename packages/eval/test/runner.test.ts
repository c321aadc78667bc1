import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ChoiceScoreRequest,
  type ChoiceScorer,
  type Generator,
  loadBenchmark,
  promptHash,
  readResults,
  renderHtml,
  renderMarkdown,
  runEvaluation,
  writeResults,
} from '../src/index.js';

const fixtures = path.join(import.meta.dirname, 'fixtures');

/** A scorer that always prefers the letter `favourite` and records what it was asked. */
function fakeScorer(favourite: number): ChoiceScorer & { asked: ChoiceScoreRequest[] } {
  const asked: ChoiceScoreRequest[] = [];
  return {
    asked,
    maxContext: 100_000,
    async countTokens(text) {
      return [...text].length;
    },
    async scoreChoices(requests, continuations) {
      asked.push(...requests);
      return requests.map((r) => ({
        logProbs: continuations.map((_, i) => (i === favourite ? -0.1 : -3 - i)),
        promptTokens: [...r.prompt].length,
      }));
    },
  };
}

describe('runEvaluation (logits mode)', () => {
  const data = loadBenchmark('cmmlu', path.join(fixtures, 'cmmlu'));

  it('asks every question once with the few-shot prefix as the shared prefix, and grades', async () => {
    const scorer = fakeScorer(0); // always A
    const r = await runEvaluation(data, { mode: 'logits', scorer, shots: 5, model: 'fake' });
    expect(scorer.asked).toHaveLength(5);
    for (const req of scorer.asked) expect(req.prompt.startsWith(req.sharedPrefix!)).toBe(true);
    // agronomy dev has 2 examples, so "5-shot" shows both.
    expect(scorer.asked[0]!.sharedPrefix).toBe(
      '以下是关于农学的单项选择题，请直接给出正确答案的选项。\n\n' +
        '题目：水稻属于哪一科植物\nA. 禾本科\nB. 豆科\nC. 菊科\nD. 蔷薇科\n答案是：A\n\n' +
        '题目：下列哪种肥料属于氮肥\nA. 尿素\nB. 过磷酸钙\nC. 氯化钾\nD. 石灰\n答案是：A\n\n',
    );
    // Golds: agronomy B, A, A; ancient_chinese B, C.
    expect(r.predictions.map((p) => [p.id, p.chosen, p.gold, p.correct])).toEqual([
      ['agronomy/test/0', 'A', 'B', false],
      ['agronomy/test/1', 'A', 'A', true],
      ['agronomy/test/2', 'A', 'A', true],
      ['ancient_chinese/test/0', 'A', 'B', false],
      ['ancient_chinese/test/1', 'A', 'C', false],
    ]);
    expect(r.predictions[0]!.promptHash).toBe(promptHash(scorer.asked[0]!.prompt));
    expect(r.predictions[0]!.scores).toEqual([-0.1, -4, -5, -6]);
    expect(r.summary.overall.micro).toBeCloseTo(2 / 5, 12);
    expect(r.summary.overall.macro).toBeCloseTo((2 / 3 + 0) / 2, 12);
    expect(r.complete).toBe(true);
    expect(r.timings).toMatchObject({ answered: 5, resumed: 0 });
  });

  it('resumes: questions with the same id and prompt hash are not asked again', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steel-eval-resume-'));
    const file = path.join(dir, 'results.json');
    // A first run interrupted after the first subject: its snapshot is on disk.
    let snapshot: unknown;
    const first = fakeScorer(1);
    await runEvaluation(data, {
      mode: 'logits',
      scorer: first,
      onSubjectDone: (s) => {
        if (!snapshot) {
          writeResults(file, s);
          snapshot = s;
        }
      },
    });
    const partial = readResults(file);
    expect(partial.complete).toBe(false);
    expect(partial.predictions).toHaveLength(3);

    const second = fakeScorer(1);
    const r = await runEvaluation(data, { mode: 'logits', scorer: second, previous: partial });
    expect(second.asked.map((a) => a.prompt.includes('题目：“之”'))).toEqual([true, false]);
    expect(second.asked).toHaveLength(2);
    expect(r.timings).toMatchObject({ answered: 2, resumed: 3 });
    expect(r.predictions).toHaveLength(5);

    // A changed prompt (0-shot instead of 5-shot) is asked again.
    const third = fakeScorer(1);
    await runEvaluation(data, { mode: 'logits', scorer: third, previous: r, shots: 0 });
    expect(third.asked).toHaveLength(5);
    fs.rmSync(dir, { recursive: true });
  });

  it('refuses to resume from another mode, and --limit keeps the first N per subject', async () => {
    const r = await runEvaluation(data, { mode: 'logits', scorer: fakeScorer(0), limit: 1 });
    expect(r.predictions.map((p) => p.id)).toEqual(['agronomy/test/0', 'ancient_chinese/test/0']);
    const gen: Generator = {
      maxContext: 1000,
      countTokens: async (t) => t.length,
      generate: async () => ({ text: 'A', promptTokens: 1, newTokens: 1 }),
    };
    await expect(runEvaluation(data, { mode: 'gen', generator: gen, previous: r })).rejects.toThrowError(
      /cannot resume from a cmmlu\/test\/logits results file/,
    );
  });
});

describe('runEvaluation (gen mode)', () => {
  it("sends Steel's zero-shot chat prompt, extracts letters and counts the unparseable", async () => {
    const data = loadBenchmark('cmmlu', path.join(fixtures, 'cmmlu'), { subjects: ['ancient_chinese'] });
    const seen: string[] = [];
    const answers = ['答案是B。', '我不知道。'];
    const gen: Generator = {
      maxContext: 1000,
      countTokens: async (t) => t.length,
      async generate(prompt) {
        seen.push(prompt);
        return { text: answers[seen.length - 1]!, promptTokens: 10, newTokens: 3 };
      },
    };
    const r = await runEvaluation(data, { mode: 'gen', generator: gen });
    expect(seen[0]).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n' +
        '以下是一道单选题:\n“之”在“送孟浩然之广陵”中的意思是\n\nA. 的\nB. 去\nC. 它\nD. 这\n请给出答案。\n' +
        '<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(r.predictions.map((p) => [p.chosen, p.rule, p.correct])).toEqual([
      ['B', '答案是X', true],
      [null, 'unparseable', false],
    ]);
    expect(r.summary.overall).toMatchObject({ questions: 2, correct: 1, unparseable: 1 });
    expect(r.promptStyle).toBe('chat');
    expect(r.shots).toBe(0);
  });
});

describe('reports', () => {
  it('renders the Markdown tables and a self-contained HTML page with SVG charts', async () => {
    const data = loadBenchmark('cmmlu', path.join(fixtures, 'cmmlu'));
    const r = await runEvaluation(data, { mode: 'logits', scorer: fakeScorer(0), model: 'fake' });
    const md = renderMarkdown(r);
    // Overall: 2 of 5 right = 40.00 % micro; subjects 66.67 % and 0 % = 33.33 % macro.
    expect(md).toContain('| **Overall** | 2 | 5 | 2 | **40.00** | **33.33** | 0 |');
    expect(md).toContain('| agronomy | 农学 | Other | 3 | 2 | 66.67 | 0 |');
    expect(md).toContain('| China specific | 1 | 2 | 0 | 0.00 | 0.00 | 0 |');
    const html = renderHtml(r);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(1 + r.summary.categories.length);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/); // no network references
    expect(html).toContain('农学');
  });
});
