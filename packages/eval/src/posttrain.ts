// Post-training data from multiple-choice exams, the way Steel-LLM built its exam SFT data from WanJuan exam items
// (process_wanjuanexam_data.ipynb): the question block is `{question}\n` + `{L}. {text}\n` per non-empty option;
//   answer-only: user `以下是一道单选题:\n{block}请给出答案。\n`, assistant `{答案}。{explanation}`;
//   with an explanation of >= 10 characters (chain-of-thought): user `以下是一道单选题:\n{block}请先给出解释再给出答案。\n`,
//   assistant = the explanation cut at its first `故选`, then `答案为{答案}`.
// English sets use Steel's English multiple-choice wording and answer `{L}. {option text}`.
// DPO pairs: the answer-only prompt; chosen = the correct answer, rejected = each wrong answer (three pairs per item).
import fs from 'node:fs';
import path from 'node:path';
import type { ChatMessage } from './prompts.js';
import { CHOICE_LETTERS, type ChoiceLetter, type Question } from './types.js';

export interface ExamDataOptions {
  /** Prompt language: `zh` (default) or `en` (MMLU-style sets). */
  language?: 'zh' | 'en';
  /** Use the explanation as a chain-of-thought answer when it has >= 10 characters (default true; SFT only). */
  useExplanations?: boolean;
  /** How an answer reads: `letter` = `B。` (zh default), `letterAndText` = `B. {option text}` (en default). */
  answerStyle?: 'letter' | 'letterAndText';
}

export interface SftRecord {
  id: string;
  messages: ChatMessage[];
}

export interface DpoRecord {
  id: string;
  prompt: ChatMessage[];
  chosen: ChatMessage[];
  rejected: ChatMessage[];
}

const MIN_EXPLANATION = 10;
const EN_INSTRUCTION =
  'The following is a multiple-choice question. Please choose the most suitable one among A, B, C and D as the answer to this question.\n\n';

function block(q: Question): string {
  return `${q.question}\n${CHOICE_LETTERS.map((l, i) => (q.choices[i] ? `${l}. ${q.choices[i]}\n` : '')).join('')}`;
}

function answerOnlyPrompt(q: Question, language: 'zh' | 'en'): string {
  return language === 'en' ? `${EN_INSTRUCTION}${block(q)}` : `以下是一道单选题:\n${block(q)}请给出答案。\n`;
}

function answerText(q: Question, letter: ChoiceLetter, opts: ExamDataOptions): string {
  const language = opts.language ?? 'zh';
  const style = opts.answerStyle ?? (language === 'en' ? 'letterAndText' : 'letter');
  const text = q.choices[CHOICE_LETTERS.indexOf(letter)];
  if (style === 'letterAndText') return `${letter}. ${text}`;
  return language === 'en' ? letter : `${letter}。`;
}

function requireAnswer(q: Question): ChoiceLetter {
  if (!q.answer) throw new Error(`${q.id} (${q.source}) has no answer; SFT/DPO records need one`);
  return q.answer;
}

/** One SFT conversation (user question -> assistant answer). */
export function examToSft(q: Question, opts: ExamDataOptions = {}): SftRecord {
  const answer = requireAnswer(q);
  const language = opts.language ?? 'zh';
  const explanation = q.explanation?.trim() ?? '';
  let user: string;
  let assistant: string;
  if (language === 'zh' && (opts.useExplanations ?? true) && explanation.length >= MIN_EXPLANATION) {
    const cut = explanation.indexOf('故选');
    user = `以下是一道单选题:\n${block(q)}请先给出解释再给出答案。\n`;
    assistant = `${cut >= 0 ? explanation.slice(0, cut) : explanation}答案为${answer}`;
  } else {
    user = answerOnlyPrompt(q, language);
    assistant = answerText(q, answer, opts) + (language === 'zh' && opts.useExplanations !== false ? explanation : '');
  }
  return {
    id: q.id,
    messages: [
      { role: 'user', content: user },
      { role: 'assistant', content: assistant },
    ],
  };
}

/** Three preference pairs per question: chosen = the correct answer, rejected = each wrong one. */
export function examToDpo(q: Question, opts: ExamDataOptions = {}): DpoRecord[] {
  const answer = requireAnswer(q);
  const language = opts.language ?? 'zh';
  const prompt: ChatMessage[] = [{ role: 'user', content: answerOnlyPrompt(q, language) }];
  const chosen: ChatMessage[] = [{ role: 'assistant', content: answerText(q, answer, opts) }];
  return CHOICE_LETTERS.filter((l, i) => l !== answer && q.choices[i]).map((wrong) => ({
    id: `${q.id}#${wrong}`,
    prompt,
    chosen,
    rejected: [{ role: 'assistant', content: answerText(q, wrong, opts) }],
  }));
}

export interface ExamDataSet {
  sft: SftRecord[];
  dpo: DpoRecord[];
  /** Questions without an answer (e.g. C-Eval test): left out. */
  skipped: string[];
}

export function examPostTrainingData(questions: Iterable<Question>, opts: ExamDataOptions = {}): ExamDataSet {
  const out: ExamDataSet = { sft: [], dpo: [], skipped: [] };
  for (const q of questions) {
    if (!q.answer) {
      out.skipped.push(q.id);
      continue;
    }
    out.sft.push(examToSft(q, opts));
    out.dpo.push(...examToDpo(q, opts));
  }
  return out;
}

/** LLaMA-Factory's alpaca layouts (what Steel-LLM's SFT/DPO runs read): {instruction, input, output|chosen+rejected}. */
export function sftToAlpaca(r: SftRecord): { instruction: string; input: string; output: string } {
  return { instruction: r.messages[0]!.content, input: '', output: r.messages[1]!.content };
}

export function dpoToAlpaca(r: DpoRecord): { instruction: string; input: string; chosen: string; rejected: string } {
  return {
    instruction: r.prompt[0]!.content,
    input: '',
    chosen: r.chosen[0]!.content,
    rejected: r.rejected[0]!.content,
  };
}

/** Writes one JSON object per line, atomically (temp file + rename). Returns the number of records. */
export function writeJsonl(file: string, records: Iterable<unknown>): number {
  const target = path.resolve(file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  let n = 0;
  try {
    for (const r of records) {
      fs.writeSync(fd, `${JSON.stringify(r)}\n`);
      n++;
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, target);
  return n;
}
