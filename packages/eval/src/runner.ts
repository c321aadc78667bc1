// Runs one benchmark over a loaded data set: builds each question's prompt, asks the model (logits or gen mode),
// grades, summarizes. Resumable: a question whose id and prompt hash appear in `previous` is not asked again.
import { summarize } from './aggregate.js';
import { extractChoice } from './extract.js';
import type { LoadedBenchmark } from './loaders.js';
import {
  type BuiltPrompt,
  buildChatQuestion,
  type ChatFormatter,
  chatMlFormatter,
  choiceContinuations,
  fitFewShotPrompt,
} from './prompts.js';
import { type EvalMode, type EvalResults, type Prediction, promptHash, RESULTS_FORMAT } from './results.js';
import type { ChoiceScorer, Generator } from './scorer.js';
import { benchmarkCategories } from './subjects.js';
import { CHOICE_LETTERS, type ChoiceLetter, type Question, type SubjectSet } from './types.js';

export interface RunOptions {
  mode: EvalMode;
  /** Required in logits mode. */
  scorer?: ChoiceScorer;
  /** Required in gen mode. */
  generator?: Generator;
  /** Few-shot examples from the subject's dev split. Default 5 for completion prompts, 0 for chat prompts. */
  shots?: number;
  /** `completion`: the benchmark's standard few-shot prompt. `chat`: Steel-LLM's zero-shot chat prompt (gen only). */
  promptStyle?: 'completion' | 'chat';
  cot?: boolean;
  /** Renders chat prompts; default plain ChatML with the Qwen default system prompt. */
  chatFormatter?: ChatFormatter;
  /** At most this many questions per subject. */
  limit?: number;
  /** gen mode: tokens to generate (default 64; 512 with cot). */
  maxNewTokens?: number;
  /** Questions per scoreChoices call (default 8). */
  batchSize?: number;
  /** A previous (possibly partial) results file of the same benchmark and mode: answered questions are reused. */
  previous?: EvalResults;
  /** A label for the results file (e.g. the model folder). */
  model?: string;
  onProgress?: (done: number, total: number) => void;
  /** Called after each subject with a snapshot (complete: false), e.g. to write it for resume. */
  onSubjectDone?: (snapshot: EvalResults) => void | Promise<void>;
}

function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

const now = () => performance.now();

export async function runEvaluation(data: LoadedBenchmark, opts: RunOptions): Promise<EvalResults> {
  const { benchmark } = data;
  const mode = opts.mode;
  const style = opts.promptStyle ?? (mode === 'gen' ? 'chat' : 'completion');
  const model = mode === 'logits' ? opts.scorer : opts.generator;
  if (!model) throw new Error(`${mode} mode needs a ${mode === 'logits' ? 'scorer' : 'generator'}`);
  if (style === 'chat' && mode !== 'gen') throw new Error('chat prompts are answered by generation: use mode gen');
  const cot = opts.cot ?? false;
  if (cot && mode !== 'gen')
    throw new Error('chain-of-thought prompts need mode gen (the answer comes after reasoning)');
  const shots = opts.shots ?? (style === 'chat' ? 0 : 5);
  if (style === 'chat' && shots > 0) throw new Error('chat prompts are zero-shot: pass shots 0 or use completion');
  if (!Number.isInteger(shots) || shots < 0) throw new Error(`shots must be a non-negative integer, got ${shots}`);
  const maxNewTokens = opts.maxNewTokens ?? (cot ? 512 : 64);
  const batchSize = opts.batchSize ?? 8;
  const formatter = opts.chatFormatter ?? chatMlFormatter();
  const continuations = choiceContinuations(benchmark);

  if (opts.previous) {
    const p = opts.previous;
    if (p.benchmark !== benchmark || p.mode !== mode || p.split !== data.split) {
      throw new Error(
        `cannot resume from a ${p.benchmark}/${p.split}/${p.mode} results file in a ${benchmark}/${data.split}/${mode} run`,
      );
    }
  }
  const reusable = new Map<string, Prediction>((opts.previous?.predictions ?? []).map((p) => [p.id, p]));

  const total = data.subjects.reduce((a, s) => a + Math.min(s.eval.length, opts.limit ?? Infinity), 0);
  const results: EvalResults = {
    format: RESULTS_FORMAT,
    benchmark,
    split: data.split,
    mode,
    promptStyle: style,
    shots,
    cot,
    model: opts.model ?? '',
    data: data.dir,
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    startedAt: new Date().toISOString(),
    complete: false,
    summary: summarize([], []),
    timings: { promptSeconds: 0, forwardSeconds: 0, scoringSeconds: 0, totalSeconds: 0, answered: 0, resumed: 0 },
    skippedRows: data.skipped,
    predictions: [],
  };
  const t = results.timings;
  const started = now();
  const infos = data.subjects.map((s) => s.info);
  const categories = benchmarkCategories(benchmark);
  let done = 0;

  const buildPrompt = async (subject: SubjectSet, q: Question) => {
    if (style === 'chat') {
      const text = formatter.format([{ role: 'user', content: buildChatQuestion(benchmark, q, { cot }) }]);
      const tokens = await model.countTokens(text);
      const built: BuiltPrompt = { prefix: '', question: text, text, shots: 0 };
      return { ...built, tokens, fits: tokens + maxNewTokens <= model.maxContext };
    }
    return fitFewShotPrompt(benchmark, subject.info, q, {
      shots: subject.dev.slice(0, shots),
      cot,
      countTokens: (s) => model.countTokens(s),
      maxTokens: model.maxContext,
      reserve: mode === 'gen' ? maxNewTokens : 1,
    });
  };

  for (const subject of data.subjects) {
    const questions = subject.eval.slice(0, opts.limit ?? subject.eval.length);
    for (let i = 0; i < questions.length; i += batchSize) {
      const batch = questions.slice(i, i + batchSize);
      let t0 = now();
      const prompts: (BuiltPrompt & { tokens: number; fits: boolean })[] = [];
      for (const q of batch) prompts.push(await buildPrompt(subject, q));
      const hashes = prompts.map((p) => promptHash(p.text));
      t.promptSeconds += (now() - t0) / 1000;
      t0 = now();
      const todo = batch.map((_, k) => k).filter((k) => reusable.get(batch[k]!.id)?.promptHash !== hashes[k]);
      const fresh = new Map<number, Prediction>();
      if (todo.length) {
        t0 = now();
        if (mode === 'logits') {
          const scored = await opts.scorer!.scoreChoices(
            todo.map((k) => ({ prompt: prompts[k]!.text, sharedPrefix: prompts[k]!.prefix })),
            continuations,
          );
          t.forwardSeconds += (now() - t0) / 1000;
          t0 = now();
          todo.forEach((k, j) => {
            const q = batch[k]!;
            const chosen = CHOICE_LETTERS[argmax(scored[j]!.logProbs)]!;
            fresh.set(k, prediction(q, hashes[k]!, chosen, prompts[k]!, { scores: scored[j]!.logProbs }));
          });
        } else {
          for (const k of todo) {
            t0 = now();
            const g = await opts.generator!.generate(prompts[k]!.text, {
              maxNewTokens,
              // Completion prompts answer one item; a model that goes on writes the next item after a blank line.
              ...(style === 'completion' && !cot ? { stop: ['\n\n'] } : {}),
            });
            t.forwardSeconds += (now() - t0) / 1000;
            t0 = now();
            const q = batch[k]!;
            const ex = extractChoice(benchmark, g.text, { options: q.choices });
            fresh.set(k, prediction(q, hashes[k]!, ex.letter, prompts[k]!, { response: g.text, rule: ex.rule }));
            t.scoringSeconds += (now() - t0) / 1000;
          }
          t0 = now();
        }
      }
      batch.forEach((q, k) => {
        const p = fresh.get(k) ?? reusable.get(q.id)!;
        results.predictions.push(p);
        if (fresh.has(k)) t.answered++;
        else t.resumed++;
      });
      t.scoringSeconds += (now() - t0) / 1000;
      done += batch.length;
      opts.onProgress?.(done, total);
    }
    if (opts.onSubjectDone) {
      results.summary = summarize(results.predictions, infos, categories);
      t.totalSeconds = (now() - started) / 1000;
      await opts.onSubjectDone(results);
    }
  }
  results.summary = summarize(results.predictions, infos, categories);
  t.totalSeconds = (now() - started) / 1000;
  results.finishedAt = new Date().toISOString();
  results.complete = true;
  return results;
}

function prediction(
  q: Question,
  hash: string,
  chosen: ChoiceLetter | null,
  prompt: { shots: number; tokens: number; fits: boolean },
  extra: Pick<Prediction, 'scores' | 'response' | 'rule'>,
): Prediction {
  return {
    id: q.id,
    subject: q.subject,
    promptHash: hash,
    ...(q.answer ? { gold: q.answer } : {}),
    chosen,
    correct: q.answer !== undefined && chosen === q.answer,
    ...extra,
    shots: prompt.shots,
    promptTokens: prompt.tokens,
    fits: prompt.fits,
  };
}
