// Plain data shared by every module of @steel/eval: benchmarks, subjects, questions.

export type BenchmarkName = 'ceval' | 'cmmlu' | 'mmlu';
export const BENCHMARKS: readonly BenchmarkName[] = ['ceval', 'cmmlu', 'mmlu'];

export type ChoiceLetter = 'A' | 'B' | 'C' | 'D';
export const CHOICE_LETTERS: readonly ChoiceLetter[] = ['A', 'B', 'C', 'D'];

export interface SubjectInfo {
  /** File-name id, e.g. `high_school_physics`. */
  id: string;
  nameEn: string;
  /** Chinese name (C-Eval, CMMLU); used in the Chinese prompt headers. */
  nameZh?: string;
  /** Categories the subject counts in (CMMLU's "China specific" overlaps the others, so this is a list). */
  categories: string[];
}

export interface Question {
  /** Stable id: `{subject}/{split}/{row id}` (row id = the file's id/index column, or the 0-based row for MMLU). */
  id: string;
  subject: string;
  split: string;
  question: string;
  choices: [string, string, string, string];
  /** Missing for splits without public answers (C-Eval test). */
  answer?: ChoiceLetter;
  /** C-Eval dev explanations (used by chain-of-thought few-shot prompts). */
  explanation?: string;
  /** Where it came from, for messages: `file:line` of the record's first line. */
  source: string;
}

export interface SubjectSet {
  info: SubjectInfo;
  /** Few-shot pool (the dev split, answered). */
  dev: Question[];
  /** Questions to evaluate (C-Eval val, CMMLU test, MMLU test by default). */
  eval: Question[];
}
