// The one interface both engines implement. Texts arrive well-formed (lone surrogates already replaced).
export type EngineName = 'native' | 'js';

export interface EncodeEngine {
  readonly name: EngineName;
  /** allowSpecial=false: special added tokens are matched as plain text (HF `split_special_tokens=True`). */
  encode(text: string, allowSpecial: boolean): Promise<number[]>;
  encodeBatch(texts: string[], allowSpecial: boolean): Promise<number[][]>;
  /** HF offsets when the engine has them: [start, end) in code points of the input. */
  encodeWithOffsets?(text: string, allowSpecial: boolean): Promise<{ ids: number[]; offsets: Array<[number, number]> }>;
}
