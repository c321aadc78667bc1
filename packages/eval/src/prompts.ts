// Prompt builders in each benchmark's standard answer-only format (see README "Prompt formats"):
//   C-Eval: 以下是中国关于{科目}考试的单项选择题，请选出其中的正确答案。\n\n + examples `{q}\nA. …\nD. …\n答案：X\n\n`,
//           the test item ends `答案：`.
//   CMMLU:  以下是关于{科目}的单项选择题，请直接给出正确答案的选项。\n\n + examples `题目：{q}\nA. …\n答案是：X\n\n`,
//           the test item ends `答案是：`.
//   MMLU:   The following are multiple choice questions (with answers) about {subject}.\n\n + `{q}\nA. …\nAnswer: X\n\n`,
//           the test item ends `Answer:` (the letters follow with a leading space).
// Chain-of-thought examples put 让我们一步一步思考，(or "Let's think step by step.") and the explanation before the answer.
import type { BenchmarkName, Question, SubjectInfo } from './types.js';
import { CHOICE_LETTERS } from './types.js';

export interface BuiltPrompt {
  /** Header + answered examples: identical for every question of a subject with the same shots (KV-cache reuse). */
  prefix: string;
  /** The question being asked, ending where the model continues. */
  question: string;
  /** prefix + question. */
  text: string;
  /** How many examples the prefix holds. */
  shots: number;
}

export interface FewShotOptions {
  /** Answered examples to show (typically the subject's dev questions). */
  shots?: readonly Question[];
  /** Chain-of-thought: examples show their explanation before the answer; the test item invites reasoning. */
  cot?: boolean;
}

const ANSWER_CUE: Record<BenchmarkName, string> = { ceval: '答案：', cmmlu: '答案是：', mmlu: 'Answer:' };

function optionLines(q: Question): string {
  return CHOICE_LETTERS.map((l, i) => `${l}. ${q.choices[i]}\n`).join('');
}

/** The first line(s) of a few-shot/zero-shot prompt, including the blank line after it. */
export function promptHeader(benchmark: BenchmarkName, subject: SubjectInfo): string {
  switch (benchmark) {
    case 'ceval':
      return `以下是中国关于${subject.nameZh ?? subject.nameEn}考试的单项选择题，请选出其中的正确答案。\n\n`;
    case 'cmmlu':
      return `以下是关于${subject.nameZh ?? subject.nameEn}的单项选择题，请直接给出正确答案的选项。\n\n`;
    case 'mmlu':
      return `The following are multiple choice questions (with answers) about ${subject.nameEn}.\n\n`;
  }
}

function questionBody(benchmark: BenchmarkName, q: Question): string {
  return `${benchmark === 'cmmlu' ? '题目：' : ''}${q.question}\n${optionLines(q)}`;
}

function cotOpening(benchmark: BenchmarkName): string {
  return benchmark === 'mmlu' ? " Let's think step by step.\n" : '让我们一步一步思考，\n';
}

/** One answered example, ending with its blank separator line. */
export function formatExample(benchmark: BenchmarkName, q: Question, opts: { cot?: boolean } = {}): string {
  if (!q.answer) throw new Error(`few-shot example ${q.id} (${q.source}) has no answer`);
  const cue = ANSWER_CUE[benchmark];
  if (opts.cot && q.explanation) {
    const close = benchmark === 'mmlu' ? `So the answer is ${q.answer}.` : `所以答案是${q.answer}。`;
    return `${questionBody(benchmark, q)}${cue}${cotOpening(benchmark)}${q.explanation}\n${close}\n\n`;
  }
  return `${questionBody(benchmark, q)}${cue}${benchmark === 'mmlu' ? ' ' : ''}${q.answer}\n\n`;
}

/** The test item, ending where the model continues (the answer cue, or the chain-of-thought opening). */
export function formatTestItem(benchmark: BenchmarkName, q: Question, opts: { cot?: boolean } = {}): string {
  const cue = ANSWER_CUE[benchmark];
  return `${questionBody(benchmark, q)}${cue}${opts.cot ? cotOpening(benchmark) : ''}`;
}

/** A zero-shot (no `shots`) or few-shot completion prompt. */
export function buildFewShotPrompt(
  benchmark: BenchmarkName,
  subject: SubjectInfo,
  question: Question,
  opts: FewShotOptions = {},
): BuiltPrompt {
  const shots = opts.shots ?? [];
  const cot = opts.cot ?? false;
  const prefix = promptHeader(benchmark, subject) + shots.map((s) => formatExample(benchmark, s, { cot })).join('');
  const item = formatTestItem(benchmark, question, { cot });
  return { prefix, question: item, text: prefix + item, shots: shots.length };
}

/**
 * What follows the prompt for each choice in logits mode: the bare letters after `答案：`/`答案是：`, and the letters
 * with a leading space after `Answer:`.
 */
export function choiceContinuations(benchmark: BenchmarkName): string[] {
  return CHOICE_LETTERS.map((l) => (benchmark === 'mmlu' ? ` ${l}` : l));
}

export type CountTokens = (text: string) => number | Promise<number>;

export interface FitOptions extends FewShotOptions {
  countTokens: CountTokens;
  /** The model's context length in tokens. */
  maxTokens: number;
  /** Tokens kept free after the prompt (1 for logits mode, max new tokens for generation). Default 1. */
  reserve?: number;
  /** Which example to drop first: the last one (the standard rule, default) or the longest one. */
  dropOrder?: 'last' | 'longest';
}

export interface FittedPrompt extends BuiltPrompt {
  tokens: number;
  /** False when even the zero-shot prompt is longer than the budget (it is returned anyway). */
  fits: boolean;
}

/** Builds the few-shot prompt, dropping examples until prompt tokens + reserve fit in `maxTokens`. */
export async function fitFewShotPrompt(
  benchmark: BenchmarkName,
  subject: SubjectInfo,
  question: Question,
  opts: FitOptions,
): Promise<FittedPrompt> {
  const budget = opts.maxTokens - (opts.reserve ?? 1);
  let shots = [...(opts.shots ?? [])];
  for (;;) {
    const built = buildFewShotPrompt(benchmark, subject, question, { shots, cot: opts.cot ?? false });
    const tokens = await opts.countTokens(built.text);
    if (tokens <= budget) return { ...built, tokens, fits: true };
    if (shots.length === 0) return { ...built, tokens, fits: false };
    if (opts.dropOrder === 'longest') {
      let longest = 0;
      shots.forEach((s, i) => {
        if (formatExample(benchmark, s).length > formatExample(benchmark, shots[longest]!).length) longest = i;
      });
      shots.splice(longest, 1);
    } else {
      shots = shots.slice(0, -1);
    }
  }
}

// ---- Chat prompts (Steel-LLM's own evaluation, zero-shot, answered by generation) -------------------------------

/**
 * The user message Steel-LLM's evaluation scripts send: `以下是一道单选题:\n{q}请给出答案。\n` with
 * q = question + "\n\n" + "A. …\n" … "D. …\n" (C-Eval replaces `____。` by `( )`, CMMLU removes every `____`);
 * chain-of-thought: `请一步步思考以下选择题的每个选项，然后再给出最终答案。\n\n 选择题：\n{q}`. MMLU uses the English
 * instruction of eval_mmlu.py.
 */
export function buildChatQuestion(benchmark: BenchmarkName, q: Question, opts: { cot?: boolean } = {}): string {
  if (benchmark === 'mmlu') {
    const body = `${q.question}\n${optionLines(q)}`;
    return opts.cot
      ? `Please think step by step about each option of the following multiple-choice question, and then provide the final answer.\n\nMultiple-choice question:\n${body}`
      : `The following is a multiple-choice question. Please choose the most suitable one among A, B, C and D as the answer to this question.\n\n${body}`;
  }
  let body = `${q.question}\n\n${optionLines(q)}`;
  body = benchmark === 'ceval' ? body.replaceAll('____。', '( )') : body.replaceAll('____', '');
  return opts.cot
    ? `请一步步思考以下选择题的每个选项，然后再给出最终答案。\n\n 选择题：\n${body}`
    : `以下是一道单选题:\n${body}请给出答案。\n`;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Renders chat messages into the model's prompt text. @steel/tokenizer's chat templates implement this. */
export interface ChatFormatter {
  format(messages: readonly ChatMessage[], opts?: { addGenerationPrompt?: boolean }): string;
}

export const DEFAULT_SYSTEM_PROMPT = 'You are a helpful assistant.';

/**
 * Plain ChatML as in the Qwen1.5 / Steel template: a default system turn when the first message is not a system one,
 * `<|im_start|>{role}\n{content}<|im_end|>\n` per message, then `<|im_start|>assistant\n` for the generation prompt.
 */
export function chatMlFormatter(systemPrompt: string = DEFAULT_SYSTEM_PROMPT): ChatFormatter {
  return {
    format(messages, opts = {}) {
      let out = '';
      messages.forEach((m, i) => {
        if (i === 0 && m.role !== 'system') out += `<|im_start|>system\n${systemPrompt}<|im_end|>\n`;
        out += `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`;
      });
      if (opts.addGenerationPrompt ?? true) out += '<|im_start|>assistant\n';
      return out;
    },
  };
}
