// The one interface every engine implements. Texts arrive well-formed (lone surrogates already replaced).
export type EngineName = 'fast' | 'native' | 'js';

/** Many documents' ids in one buffer: document i is ids[offsets[i] .. offsets[i + 1]). */
export interface FlatEncoding {
  ids: Int32Array;
  offsets: Int32Array;
}

export interface EncodeEngine {
  readonly name: EngineName;
  /** allowSpecial=false: special added tokens are matched as plain text (HF `split_special_tokens=True`). */
  encode(text: string, allowSpecial: boolean): Promise<number[]>;
  encodeBatch(texts: string[], allowSpecial: boolean): Promise<number[][]>;
  /** The batch without one JS array per document (engines that produce flat ids natively). */
  encodeBatchFlat?(texts: string[], allowSpecial: boolean): Promise<FlatEncoding>;
  /** HF offsets when the engine has them: [start, end) in code points of the input; undefined when it has not. */
  encodeWithOffsets?(
    text: string,
    allowSpecial: boolean,
  ): Promise<{ ids: number[]; offsets: Array<[number, number]> } | undefined>;
}
