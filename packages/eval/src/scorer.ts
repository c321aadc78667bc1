// The model side of evaluation, as two small interfaces. @steel/steel-model checkpoints and any ONNX causal LM
// (./onnx-causal-lm.ts) implement them; tests implement them with fakes.

export interface ChoiceScoreRequest {
  /** The whole prompt; the choices continue it. */
  prompt: string;
  /**
   * A prefix of `prompt` that other requests share (the header + few-shot examples). A hint: an implementation may
   * compute its KV cache once and reuse it; the scores must not depend on it.
   */
  sharedPrefix?: string;
}

export interface ChoiceScores {
  /** Per continuation, log P(first token of the continuation | prompt), over the full vocabulary. */
  logProbs: number[];
  /** Prompt length in tokens. */
  promptTokens: number;
}

export interface ChoiceScorer {
  /** Scores every request against the same continuations (e.g. `A`..`D`); batched as the implementation sees fit. */
  scoreChoices(requests: readonly ChoiceScoreRequest[], continuations: readonly string[]): Promise<ChoiceScores[]>;
  countTokens(text: string): Promise<number>;
  /** Context length in tokens (prompts are trimmed to fit). */
  readonly maxContext: number;
}

export interface GenerateOptions {
  /** Default 64. */
  maxNewTokens?: number;
  /** Stop as soon as the text contains one of these (the stop string is cut off). */
  stop?: readonly string[];
}

export interface Generation {
  text: string;
  promptTokens: number;
  newTokens: number;
}

/** Greedy (deterministic) text continuation. */
export interface Generator {
  generate(prompt: string, opts?: GenerateOptions): Promise<Generation>;
  countTokens(text: string): Promise<number>;
  readonly maxContext: number;
}

/** Text <-> ids, as the ONNX scorer needs it. `hfTokenizerFromFile` wraps a HF tokenizer.json. */
export interface TextTokenizer {
  encode(text: string): Promise<number[]> | number[];
  decode(ids: readonly number[]): Promise<string> | string;
  /** Id of a special token such as `<|im_end|>`, if the vocabulary has it. */
  tokenId(token: string): number | undefined;
}
