// A ChoiceScorer + Generator over any "ids -> next-token logits" function: the bridge for models that are not an
// ONNX export, e.g. @steel/steel-model's reference forward (pass `(ids) => last row of referenceForward(...)`) or a
// remote server. Full recompute per call, no KV cache: the sharedPrefix hint is ignored.
import { continuationTokenIds, gatherLogProbs } from './continuation-tokens.js';
import { EvalModelError } from './errors.js';
import type {
  ChoiceScoreRequest,
  ChoiceScorer,
  ChoiceScores,
  GenerateOptions,
  Generation,
  Generator,
  TextTokenizer,
} from './scorer.js';

/** Next-token logits (length = vocabulary) after the sequence `ids`. */
export type LogitsFunction = (ids: readonly number[]) => ArrayLike<number> | Promise<ArrayLike<number>>;

export interface FunctionLmOptions {
  tokenizer: TextTokenizer;
  nextTokenLogits: LogitsFunction;
  maxContext: number;
  /** Ids that end a generation (default: none). */
  eosIds?: readonly number[];
}

export function functionCausalLm(opts: FunctionLmOptions): ChoiceScorer & Generator {
  const { tokenizer, nextTokenLogits, maxContext } = opts;
  const eos = new Set(opts.eosIds ?? []);
  return {
    maxContext,
    async countTokens(text) {
      return (await tokenizer.encode(text)).length;
    },
    async scoreChoices(requests: readonly ChoiceScoreRequest[], continuations: readonly string[]) {
      const out: ChoiceScores[] = [];
      for (const req of requests) {
        const { ids, next } = await continuationTokenIds(tokenizer, req.prompt, continuations);
        out.push({ logProbs: gatherLogProbs(await nextTokenLogits(ids), next), promptTokens: ids.length });
      }
      return out;
    },
    async generate(prompt: string, g: GenerateOptions = {}): Promise<Generation> {
      const ids = await tokenizer.encode(prompt);
      if (ids.length === 0) throw new EvalModelError('cannot generate from an empty prompt');
      const outIds: number[] = [];
      let text = '';
      while (outIds.length < (g.maxNewTokens ?? 64) && ids.length + outIds.length < maxContext) {
        const logits = await nextTokenLogits([...ids, ...outIds]);
        let best = 0;
        for (let v = 1; v < logits.length; v++) if (logits[v]! > logits[best]!) best = v;
        if (eos.has(best)) break;
        outIds.push(best);
        if (g.stop?.length) {
          text = await tokenizer.decode(outIds);
          const hits = g.stop.map((s) => text.indexOf(s)).filter((k) => k >= 0);
          if (hits.length)
            return { text: text.slice(0, Math.min(...hits)), promptTokens: ids.length, newTokens: outIds.length };
        }
      }
      text = await tokenizer.decode(outIds);
      return { text, promptTokens: ids.length, newTokens: outIds.length };
    },
  };
}
