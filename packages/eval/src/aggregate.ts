// Accuracy per subject, per category and overall, in both averaging conventions:
//   micro = correct / questions (MMLU's convention), macro = mean of subject accuracies (C-Eval's and CMMLU's).
// A subject counts in every category it lists (CMMLU's "China specific" overlaps the other four). Questions without a
// gold answer (C-Eval test) are not graded and only counted as `ungraded`.
import type { ChoiceLetter, SubjectInfo } from './types.js';

export interface GradedPrediction {
  subject: string;
  gold?: ChoiceLetter;
  chosen: ChoiceLetter | null;
}

export interface SubjectScore {
  id: string;
  name: string;
  categories: string[];
  questions: number;
  correct: number;
  /** correct / questions (NaN when nothing was graded). */
  accuracy: number;
  /** Answers with no extractable letter (gen mode), counted as wrong. */
  unparseable: number;
  ungraded: number;
}

export interface GroupScore {
  subjects: number;
  questions: number;
  correct: number;
  /** correct / questions over the group. */
  micro: number;
  /** Unweighted mean of the group's subject accuracies. */
  macro: number;
  unparseable: number;
}

export interface Summary {
  subjects: SubjectScore[];
  categories: (GroupScore & { name: string })[];
  overall: GroupScore;
}

function group(scores: SubjectScore[]): GroupScore {
  const graded = scores.filter((s) => s.questions > 0);
  const questions = graded.reduce((a, s) => a + s.questions, 0);
  const correct = graded.reduce((a, s) => a + s.correct, 0);
  return {
    subjects: graded.length,
    questions,
    correct,
    micro: questions ? correct / questions : Number.NaN,
    macro: graded.length ? graded.reduce((a, s) => a + s.accuracy, 0) / graded.length : Number.NaN,
    unparseable: graded.reduce((a, s) => a + s.unparseable, 0),
  };
}

/**
 * Summarizes predictions. `subjects` fixes the subject order and the categories (their order: `categoryOrder`, then
 * any other category in order of first appearance).
 */
export function summarize(
  predictions: readonly GradedPrediction[],
  subjects: readonly SubjectInfo[],
  categoryOrder: readonly string[] = [],
): Summary {
  const scores = new Map<string, SubjectScore>(
    subjects.map((s) => [
      s.id,
      {
        id: s.id,
        name: s.nameZh ?? s.nameEn,
        categories: [...s.categories],
        questions: 0,
        correct: 0,
        accuracy: Number.NaN,
        unparseable: 0,
        ungraded: 0,
      },
    ]),
  );
  for (const p of predictions) {
    const s = scores.get(p.subject);
    if (!s) throw new Error(`prediction for subject '${p.subject}', which is not in the subject list`);
    if (!p.gold) {
      s.ungraded++;
      continue;
    }
    s.questions++;
    if (p.chosen === p.gold) s.correct++;
    if (p.chosen === null) s.unparseable++;
  }
  for (const s of scores.values()) s.accuracy = s.questions ? s.correct / s.questions : Number.NaN;
  const list = [...scores.values()];
  const names = [...categoryOrder];
  for (const s of list) for (const c of s.categories) if (!names.includes(c)) names.push(c);
  const categories = names
    .map((name) => ({ name, ...group(list.filter((s) => s.categories.includes(name))) }))
    .filter((c) => c.subjects > 0);
  return { subjects: list, categories, overall: group(list) };
}
