// Chat samples -> token ids with a per-token "trained" flag, as LLaMA-Factory's `qwen` template does it (Steel's SFT
// and DPO, spec §4.2): system `<|im_start|>system\n{system}<|im_end|>\n` (the default system prompt when the record has
// none; no block for an empty one), each user turn `<|im_start|>user\n{content}<|im_end|>\n<|im_start|>assistant\n`
// (after the first turn preceded by the separator `\n`), each answer `{content}<|im_end|>`. Prompt, system and user
// tokens are not trained; every answer and its `<|im_end|>` are. The text is exactly the ChatML chat template's.
// Control tokens are ids; every text piece is encoded as plain text (a `<|im_end|>` typed inside a message stays
// text), the piece between two control tokens in one call, as HF tokenizes a string with special tokens.
import type { ChatSample, ChatTurn, PreferenceSample } from './records.js';

/** What encoding needs from a tokenizer (@steel/tokenizer's QwenTokenizer fits). */
export interface ChatTokenizer {
  encodeBatch(texts: string[], options?: { allowSpecial?: boolean }): Promise<number[][]>;
  tokenToId(token: string): number | undefined;
}

export interface EncodedSample {
  ids: number[];
  /** trained[t]: token t is a label (predicted from the tokens before it). */
  trained: boolean[];
}

/** A piece of a sample: a text to encode, or a control-token id; trained or not. */
type Piece = { text: string; trained: boolean } | { id: number; trained: boolean };

export interface ChatFormat {
  imStart: number;
  imEnd: number;
  /** For records without a system prompt (Steel: "You are a helpful assistant."). */
  defaultSystem: string;
}

export function chatFormat(tok: ChatTokenizer, defaultSystem: string): ChatFormat {
  const imStart = tok.tokenToId('<|im_start|>');
  const imEnd = tok.tokenToId('<|im_end|>');
  if (imStart === undefined || imEnd === undefined)
    throw new Error('the tokenizer has no <|im_start|>/<|im_end|> tokens: SFT/DPO use the ChatML (Qwen) template');
  return { imStart, imEnd, defaultSystem };
}

function promptPieces(f: ChatFormat, system: string | null, user: string, first: boolean): Piece[] {
  const out: Piece[] = [];
  const sys = system ?? f.defaultSystem;
  if (first && sys !== '')
    out.push(
      { id: f.imStart, trained: false },
      { text: `system\n${sys}`, trained: false },
      { id: f.imEnd, trained: false },
      { text: '\n', trained: false },
    );
  if (!first) out.push({ text: '\n', trained: false });
  out.push(
    { id: f.imStart, trained: false },
    { text: `user\n${user}`, trained: false },
    { id: f.imEnd, trained: false },
    { text: '\n', trained: false },
    { id: f.imStart, trained: false },
    { text: 'assistant\n', trained: false },
  );
  return out;
}

const answerPieces = (f: ChatFormat, content: string, trained: boolean): Piece[] => [
  { text: content, trained },
  { id: f.imEnd, trained },
];

function turnsPieces(f: ChatFormat, system: string | null, turns: ChatTurn[], trainAnswers: boolean): Piece[] {
  return turns.flatMap((t, i) => [
    ...promptPieces(f, system, t.user, i === 0),
    ...answerPieces(f, t.assistant, trainAnswers),
  ]);
}

/** Encodes many piece lists with one encodeBatch call (the native engine runs it on all cores). */
async function encodePieces(tok: ChatTokenizer, lists: Piece[][]): Promise<EncodedSample[]> {
  const texts: string[] = [];
  for (const l of lists) for (const p of l) if ('text' in p && p.text !== '') texts.push(p.text);
  const encoded = texts.length ? await tok.encodeBatch(texts, { allowSpecial: false }) : [];
  let k = 0;
  return lists.map((l) => {
    const ids: number[] = [];
    const trained: boolean[] = [];
    for (const p of l) {
      if ('id' in p) {
        ids.push(p.id);
        trained.push(p.trained);
      } else if (p.text !== '') {
        for (const id of encoded[k++]!) {
          ids.push(id);
          trained.push(p.trained);
        }
      }
    }
    return { ids, trained };
  });
}

/** SFT samples -> ids + trained flags (every assistant answer trained). */
export function encodeChatSamples(tok: ChatTokenizer, f: ChatFormat, samples: ChatSample[]): Promise<EncodedSample[]> {
  return encodePieces(
    tok,
    samples.map((s) => turnsPieces(f, s.system, s.turns, true)),
  );
}

export interface EncodedPair {
  /** System + history + the last user prompt (never trained). */
  prompt: number[];
  /** Answer tokens + `<|im_end|>` (trained). */
  chosen: number[];
  rejected: number[];
}

/** Preference samples -> prompt ids and the two answers' ids. */
export async function encodePreferenceSamples(
  tok: ChatTokenizer,
  f: ChatFormat,
  samples: PreferenceSample[],
): Promise<EncodedPair[]> {
  const lists: Piece[][] = [];
  for (const s of samples) {
    lists.push([
      ...turnsPieces(f, s.system, s.history, false),
      ...promptPieces(f, s.system, s.prompt, s.history.length === 0),
    ]);
    lists.push(answerPieces(f, s.chosen, true));
    lists.push(answerPieces(f, s.rejected, true));
  }
  const enc = await encodePieces(tok, lists);
  const out: EncodedPair[] = [];
  for (let i = 0; i < samples.length; i++)
    out.push({ prompt: enc[3 * i]!.ids, chosen: enc[3 * i + 1]!.ids, rejected: enc[3 * i + 2]!.ids });
  return out;
}
