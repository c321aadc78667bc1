// Which token ids the answer continuations start with after a given prompt, shared by every ChoiceScorer built on a
// TextTokenizer. A continuation is tokenized as it follows the prompt (encode(prompt + c) minus encode(prompt)), so
// " A" after "Answer:" is the tokenizer's merged " A" token; when the tokenizer merges across the boundary, the
// continuation's own first token is used instead.
import { EvalModelError } from './errors.js';
import type { TextTokenizer } from './scorer.js';

function sameStart(ids: readonly number[], prefix: readonly number[]): boolean {
  if (prefix.length > ids.length) return false;
  for (let i = 0; i < prefix.length; i++) if (ids[i] !== prefix[i]) return false;
  return true;
}

/** Returns the prompt's ids and, per continuation, the id of its first token after the prompt. */
export async function continuationTokenIds(
  tokenizer: TextTokenizer,
  prompt: string,
  continuations: readonly string[],
): Promise<{ ids: number[]; next: number[] }> {
  const ids = await tokenizer.encode(prompt);
  if (ids.length === 0) throw new EvalModelError('cannot score an empty prompt');
  // What the tokenizer puts before any text (a BOS for Llama-style post-processors, nothing for Qwen).
  const lead = (await tokenizer.encode('')).length;
  const next: number[] = [];
  for (const c of continuations) {
    const joined = await tokenizer.encode(prompt + c);
    const tok = sameStart(joined, ids) && joined.length > ids.length ? joined[ids.length] : undefined;
    const id = tok ?? (await tokenizer.encode(c))[lead];
    if (id === undefined) throw new EvalModelError(`continuation '${c}' encodes to no token`);
    next.push(id);
  }
  return { ids, next };
}

/**
 * continuationTokenIds for many prompts with one batch encode call (every prompt, prompt + continuation and bare
 * continuation in one list): the same ids, fewer round trips, and a tokenizer such as @steel/tokenizer's native engine
 * encodes the batch in parallel.
 */
export async function continuationTokenIdsBatch(
  encodeBatch: (texts: string[]) => Promise<number[][]>,
  prompts: readonly string[],
  continuations: readonly string[],
): Promise<{ ids: number[]; next: number[] }[]> {
  const C = continuations.length;
  const texts = ['', ...continuations];
  for (const p of prompts) texts.push(p, ...continuations.map((c) => p + c));
  const enc = await encodeBatch(texts);
  if (enc.length !== texts.length)
    throw new EvalModelError(`encodeBatch gave ${enc.length} results for ${texts.length}`);
  const lead = enc[0]!.length;
  return prompts.map((_, k) => {
    const base = 1 + C + k * (1 + C);
    const ids = enc[base]!;
    if (ids.length === 0) throw new EvalModelError('cannot score an empty prompt');
    const next = continuations.map((c, j) => {
      const joined = enc[base + 1 + j]!;
      const tok = sameStart(joined, ids) && joined.length > ids.length ? joined[ids.length] : undefined;
      const id = tok ?? enc[1 + j]![lead];
      if (id === undefined) throw new EvalModelError(`continuation '${c}' encodes to no token`);
      return id;
    });
    return { ids, next };
  });
}

/** log-softmax of `logits` gathered at `ids`. */
export function gatherLogProbs(logits: ArrayLike<number>, ids: readonly number[]): number[] {
  let max = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < logits.length; v++) max = Math.max(max, logits[v]!);
  let sum = 0;
  for (let v = 0; v < logits.length; v++) sum += Math.exp(logits[v]! - max);
  const lse = max + Math.log(sum);
  return ids.map((id) => logits[id]! - lse);
}
