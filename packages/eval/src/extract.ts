// Answer-letter extraction from a generated answer (gen mode), as an ordered list of patterns.
// Chinese cascade: CMMLU's `extract_choice` (the one Steel-LLM's reported CMMLU numbers went through): the first
// character if it is A-D, then the ordered patterns below, then the "last match" patterns (…当选 / …正确), then the weak
// `是X`, then an option text quoted verbatim, then "the answer holds exactly one A-D". No random fallback: an answer
// nothing matches is unparseable and counted as wrong.
// English cascade (MMLU): "answer is X", "Answer: X", "choose X", "X is correct", a leading letter, the only letter.
import type { BenchmarkName, ChoiceLetter } from './types.js';

export interface Extraction {
  letter: ChoiceLetter | null;
  /** Name of the rule that matched, or `unparseable`. */
  rule: string;
}

export interface ExtractionRule {
  name: string;
  re: RegExp;
  /** Keep re-searching inside the match so the last of nested candidates wins (CMMLU's "recursive" patterns). */
  last?: boolean;
}

const X = '([ABCD])';

export const CHINESE_RULES: readonly ExtractionRule[] = [
  { name: '答案是X', re: new RegExp(`答案(?:选项)?(?:是|为)：? ?${X}`) },
  { name: '答案是选项X', re: new RegExp(`答案(?:是|为)选项 ?${X}`) },
  { name: '选X', re: new RegExp(`故?选择?：? ?${X}`) },
  { name: 'X选项正确', re: new RegExp(`${X} ?选?项(?:是|为)?正确`) },
  { name: '正确选项为X', re: new RegExp(`正确的?选项(?:是|为) ?${X}`) },
  { name: '答案应该是X', re: new RegExp(`答案(?:应该)?(?:是|为)${X}`) },
  { name: '选项X正确', re: new RegExp(`选项 ?${X} ?(?:是|为)?正确`) },
  { name: '选择答案X', re: new RegExp(`选择答案 ?${X}`) },
  { name: '答案：X', re: new RegExp(`答案?：?${X}`) },
  { name: 'X符合题意', re: new RegExp(`${X}(?:选?项)?是?符合题意`) },
  { name: '答案选项：X', re: new RegExp(`答案选项：? ?${X}`) },
  { name: '答案为…X', re: new RegExp(`答案(?:选项)?为(?:.*?)${X}`, 's') },
  { name: 'X…当选', re: new RegExp(`${X}(?:.*?)当选`, 's'), last: true },
  { name: 'X…正确', re: new RegExp(`${X}(?:.*?)正确`, 's'), last: true },
  { name: '是X', re: new RegExp(`[^不]是：? ?${X}`) },
];

export const ENGLISH_RULES: readonly ExtractionRule[] = [
  { name: 'answer is X', re: new RegExp(`[Aa]nswer (?:is|should be|would be)[:\\s]*\\(?${X}\\b`) },
  { name: 'Answer: X', re: new RegExp(`[Aa]nswer\\s*:\\s*\\(?${X}\\b`) },
  { name: 'choose X', re: new RegExp(`(?:[Cc]hoose|[Cc]hoice is|[Oo]ption is|[Ss]elect)[:\\s]*\\(?${X}\\b`) },
  {
    name: 'X is correct',
    re: new RegExp(`\\b(?:[Oo]ption |[Cc]hoice )?\\(?${X}\\)? is (?:the )?(?:correct|right|best)`),
  },
];

function searchLast(re: RegExp, text: string): string | null {
  let m: RegExpExecArray | null = re.exec(text);
  let letter: string | null = null;
  // As CMMLU's script: search again in the match minus its first character, so the last candidate wins.
  while (m) {
    letter = m[1]!;
    m = re.exec(m[0].slice(1));
  }
  return letter;
}

export interface ExtractOptions {
  /** The four option texts: an answer that quotes exactly one of them verbatim gets that letter. */
  options?: readonly string[];
}

/** Extracts the chosen letter from a generated answer with the benchmark's ordered patterns. */
export function extractChoice(benchmark: BenchmarkName, response: string, opts: ExtractOptions = {}): Extraction {
  const text = response.trim();
  const english = benchmark === 'mmlu';
  // Chinese: the first character (after an optional bracket). English: a letter alone or followed by . ) : , only,
  // so the article in "A group is…" is not an answer.
  const lead = (english ? /^\(?([ABCD])(?:$|[.):,])/ : /^[(（[【]?\s*([ABCD])(?:$|[^A-Za-z])/).exec(text);
  if (!english && lead) return { letter: lead[1] as ChoiceLetter, rule: 'leading letter' };
  for (const rule of english ? ENGLISH_RULES : CHINESE_RULES) {
    const letter = rule.last ? searchLast(rule.re, text) : (rule.re.exec(text)?.[1] ?? null);
    if (letter) return { letter: letter as ChoiceLetter, rule: rule.name };
  }
  if (english && lead) return { letter: lead[1] as ChoiceLetter, rule: 'leading letter' };
  if (opts.options) {
    const quoted = opts.options.flatMap((o, i) => {
      const t = o.trim().replace(/[。.]$/, '');
      return t.length >= 2 && text.includes(t) ? ['ABCD'[i] as ChoiceLetter] : [];
    });
    if (quoted.length === 1) return { letter: quoted[0]!, rule: 'option text' };
  }
  const letters = text.match(english ? /\b[ABCD]\b/g : /[ABCD]/g) ?? [];
  if (letters.length === 1) return { letter: letters[0] as ChoiceLetter, rule: 'only letter' };
  return { letter: null, rule: 'unparseable' };
}
