// Small synthetic instruction sets with checkable answers, for a quick "does my SFT/DPO path learn" run on CPU
// (the demo, the sft-learns benchmark). Deterministic from a seed; train and held-out sets never share a question.

import { type ChatTokenizer as ChatTemplateTokenizer, SteelModel } from '@steel/steel-model';
import { mulberry32 } from '../rng.js';

export type SyntheticTask = 'copy' | 'reverse' | 'add' | 'last' | 'parity';

export interface SyntheticExample {
  task: SyntheticTask;
  question: string;
  answer: string;
  /** A plausible wrong answer (DPO's rejected). */
  wrong: string;
}

function make(task: SyntheticTask, r: () => number, digits: [number, number]): SyntheticExample {
  if (task === 'last' || task === 'parity') {
    const n = digits[0] + Math.floor(r() * (digits[1] - digits[0] + 1));
    const ds = `${1 + Math.floor(r() * 9)}${Array.from({ length: n - 1 }, () => String(Math.floor(r() * 10))).join('')}`;
    const last = Number(ds.at(-1));
    if (task === 'last')
      return {
        task,
        question: `What is the last digit of ${ds}?`,
        answer: String(last),
        wrong: String((last + 1) % 10),
      };
    const odd = last % 2 === 1;
    return { task, question: `Is ${ds} even or odd?`, answer: odd ? 'odd' : 'even', wrong: odd ? 'even' : 'odd' };
  }
  if (task === 'copy' || task === 'reverse') {
    const n = digits[0] + Math.floor(r() * (digits[1] - digits[0] + 1));
    const ds = Array.from({ length: n }, () => String(Math.floor(r() * 10))).join('');
    if (task === 'copy') {
      const i = Math.floor(r() * n);
      const wrong = `${ds.slice(0, i)}${(Number(ds[i]) + 1) % 10}${ds.slice(i + 1)}`;
      return { task, question: `Repeat the digits: ${ds}`, answer: ds, wrong };
    }
    const answer = [...ds].reverse().join('');
    const digits_ = ds;
    // wrong: the digits unreversed, or a neighbouring swap when that is the same
    const wrong = answer === digits_ ? `${answer.slice(1)}${answer[0]}` : digits_;
    return { task, question: `Reverse the digits: ${digits_}`, answer, wrong: wrong === answer ? `${answer}0` : wrong };
  }
  const a = 10 + Math.floor(r() * 90);
  const b = 10 + Math.floor(r() * 90);
  const sum = a + b;
  const off = r() < 0.5 ? 1 : 10;
  return { task, question: `What is ${a}+${b}?`, answer: String(sum), wrong: String(sum + (r() < 0.5 ? off : -off)) };
}

/**
 * `train` and `heldout` examples of the given tasks (interleaved), with distinct questions: a held-out question
 * never appears in the training set.
 */
export function syntheticInstructions(o: {
  tasks?: SyntheticTask[];
  /** Digits of copy/reverse questions, inclusive range (default [3, 5]). */
  digits?: [number, number];
  train: number;
  heldout: number;
  seed?: number;
}): {
  train: SyntheticExample[];
  heldout: SyntheticExample[];
} {
  const tasks = o.tasks ?? ['copy', 'reverse', 'add'];
  const r = mulberry32(o.seed ?? 3407);
  const seen = new Set<string>();
  const take = (n: number) => {
    const out: SyntheticExample[] = [];
    for (let guard = 0; out.length < n && guard < n * 100; guard++) {
      const e = make(tasks[out.length % tasks.length]!, r, o.digits ?? [3, 5]);
      if (seen.has(e.question)) continue;
      seen.add(e.question);
      out.push(e);
    }
    if (out.length < n) throw new RangeError(`syntheticInstructions: only ${out.length} distinct questions of ${n}`);
    return out;
  };
  const heldout = take(o.heldout);
  return { train: take(o.train), heldout };
}

/** SFT records ({messages}) of examples. */
export function toSftRecords(examples: SyntheticExample[]): { messages: { role: string; content: string }[] }[] {
  return examples.map((e) => ({
    messages: [
      { role: 'user', content: e.question },
      { role: 'assistant', content: e.answer },
    ],
  }));
}

/** DPO records ({prompt, chosen, rejected}) of examples. */
export function toPreferenceRecords(
  examples: SyntheticExample[],
): { prompt: string; chosen: string; rejected: string }[] {
  return examples.map((e) => ({ prompt: e.question, chosen: e.answer, rejected: e.wrong }));
}

export interface SyntheticScore {
  accuracy: number;
  byTask: Record<string, number>;
  /** The first few question / expected / reply triples, for a look. */
  samples: { question: string; answer: string; reply: string }[];
}

/** Exact-match accuracy of a model folder's greedy chat replies (Steel's chat template) on `examples`. */
export async function scoreSyntheticAnswers(
  modelDir: string,
  tokenizer: ChatTemplateTokenizer,
  examples: SyntheticExample[],
  o: { threads?: number; maxNewTokens?: number; samples?: number } = {},
): Promise<SyntheticScore> {
  const model = await SteelModel.load(modelDir, o.threads ? { threads: o.threads } : {});
  const tally = new Map<string, { n: number; ok: number }>();
  const samples: SyntheticScore['samples'] = [];
  let ok = 0;
  try {
    for (const e of examples) {
      let reply = '';
      const messages = [{ role: 'user', content: e.question }];
      for await (const piece of model.chat(tokenizer, messages, { maxNewTokens: o.maxNewTokens ?? 8, doSample: false }))
        reply += piece;
      const right = reply.trim() === e.answer;
      ok += right ? 1 : 0;
      const t = tally.get(e.task) ?? { n: 0, ok: 0 };
      t.n++;
      t.ok += right ? 1 : 0;
      tally.set(e.task, t);
      if (samples.length < (o.samples ?? 6)) samples.push({ question: e.question, answer: e.answer, reply });
    }
  } finally {
    await model.release();
  }
  return {
    accuracy: examples.length ? ok / examples.length : Number.NaN,
    byTask: Object.fromEntries([...tally].map(([k, v]) => [k, v.ok / v.n])),
    samples,
  };
}
