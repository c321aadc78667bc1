import { existsSync } from 'node:fs';
import { ArpaModel } from '../kenlm/arpa.js';
import { Filter } from '../op.js';
import { ParamError, type ParamValues } from '../params.js';
import { pySplit, splitlines } from '../pystr.js';
import type { OpDefinition } from '../registry.js';
import { SentencePieceModel } from '../sentencepiece.js';

/** Python's round(x, 1): rounds the exact binary value; exact ties (only x = odd/4 at one decimal) go to even. */
export function pyRound1(x: number): number {
  if (!Number.isFinite(x)) return x;
  if (Number.isInteger(x * 4) && !Number.isInteger(x * 2)) {
    const down = Math.floor(x * 10);
    return (down % 2 === 0 ? down : down + 1) / 10;
  }
  // toFixed rounds the exact binary value to nearest (its tie rule never applies here).
  return Number(x.toFixed(1));
}

/** Split text into the units the language model scores; the SentencePiece step is pluggable. */
export type PieceTokenizer = (text: string) => string[];

/**
 * Data-Juicer's perplexity: pieces joined by spaces, each line scored with <s>/</s>, length = words + 1 per line,
 * ppl = 10 ** (-sum / length) rounded to 1 decimal, 0.0 for no lines.
 */
export function perplexity(model: ArpaModel, text: string, tokenize?: PieceTokenizer): number {
  const joined = tokenize ? tokenize(text).join(' ') : text;
  let logits = 0;
  let length = 0;
  for (const line of splitlines(joined)) {
    logits += model.score(line);
    length += pySplit(line).length + 1;
  }
  return length === 0 ? 0.0 : pyRound1(10 ** (-logits / length));
}

// Loaded models are shared between ops with the same path.
const models = new Map<string, ArpaModel>();

export class PerplexityFilter extends Filter {
  readonly statKey = 'perplexity';
  private readonly modelPath: string;
  private model: ArpaModel | null = null;
  /** Replace to plug a SentencePiece tokenizer in (Data-Juicer scores `<lang>.sp.model` pieces). */
  tokenize: PieceTokenizer | undefined;

  private readonly spPath: string | null;

  constructor(params: ParamValues, tokenize?: PieceTokenizer) {
    super('perplexity_filter', params);
    this.modelPath = params.model_path as string;
    this.spPath = params.sp_model_path as string | null;
    this.tokenize = tokenize;
  }

  override async prepare(): Promise<void> {
    if (this.spPath && !this.tokenize) {
      const sp = await SentencePieceModel.load(this.spPath, 'perplexity_filter.sp_model_path');
      this.tokenize = (t) => sp.encodeAsPieces(t);
    }
  }

  override needsPrepare(): boolean {
    return this.spPath !== null && this.tokenize === undefined;
  }

  private getModel(): ArpaModel {
    if (!this.model) {
      let m = models.get(this.modelPath);
      if (!m) {
        m = ArpaModel.load(this.modelPath);
        models.set(this.modelPath, m);
      }
      this.model = m;
    }
    return this.model;
  }

  computeStat(text: string): number {
    if (this.needsPrepare()) throw new Error(`perplexity_filter: await op.prepare() first (it loads ${this.spPath})`);
    return perplexity(this.getModel(), text, this.tokenize);
  }

  protected range(): [number, number] {
    return [this.params.min_ppl as number, this.params.max_ppl as number];
  }
}

export const perplexityFilter: OpDefinition = {
  name: 'perplexity_filter',
  kind: 'filter',
  description: 'Keep samples whose KenLM (ARPA) perplexity is in range.',
  params: {
    lang: { type: 'string', default: 'en', description: 'language of the model (informational; pass model_path)' },
    min_ppl: { type: 'number', default: 0, min: 0, description: 'minimum perplexity' },
    max_ppl: { type: 'number', default: 1500, min: 0, description: 'maximum perplexity' },
    model_path: {
      type: 'string',
      default: null,
      nullable: true,
      description: 'KenLM ARPA model (.arpa or .arpa.gz), e.g. zh.arpa; required (Steel-TS downloads nothing)',
    },
    sp_model_path: {
      type: 'string',
      default: null,
      nullable: true,
      description:
        'SentencePiece .model whose pieces are scored (Data-Juicer: <lang>.sp.model); null = whitespace tokens',
    },
  },
  create: (p) => {
    const path = p.model_path as string | null;
    if (path === null)
      throw new ParamError(
        `perplexity_filter.model_path: required: the path of a KenLM ARPA model (.arpa or .arpa.gz) for lang "${p.lang}" (Data-Juicer's ${p.lang}.arpa.bin, converted to ARPA); nothing is downloaded`,
      );
    if (!existsSync(path)) throw new ParamError(`perplexity_filter.model_path: no such file: ${path}`);
    return new PerplexityFilter(p);
  },
};
