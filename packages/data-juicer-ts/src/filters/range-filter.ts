import { jiebaCut } from '../jieba.js';
import { Filter } from '../op.js';
import type { ParamSpec, ParamValues } from '../params.js';
import { ParamError, PY_MAXSIZE } from '../params.js';
import type { OpDefinition } from '../registry.js';
import { SentencePieceModel } from '../sentencepiece.js';

/** Splits text into words/pieces; undefined means Data-Juicer's whitespace split. */
export type WordSplitter = ((text: string) => string[]) | undefined;

/** A filter whose stat is a pure function of the text and whose range comes from two parameters. */
export class RangeFilter extends Filter {
  readonly statKey: string;
  private readonly compute: (text: string, params: ParamValues, split: WordSplitter) => number;
  private readonly minKey: string;
  private readonly maxKey: string;
  /** The SentencePiece model path when `tokenization: true` (loaded by prepare()). */
  private readonly spPath: string | null;
  private sp: SentencePieceModel | null = null;

  constructor(
    name: string,
    params: ParamValues,
    statKey: string,
    minKey: string,
    maxKey: string,
    compute: (text: string, params: ParamValues, split: WordSplitter) => number,
    spPath: string | null = null,
  ) {
    super(name, params);
    this.statKey = statKey;
    this.minKey = minKey;
    this.maxKey = maxKey;
    this.compute = compute;
    this.spPath = spPath;
  }

  override async prepare(): Promise<void> {
    if (this.spPath && !this.sp) this.sp = await SentencePieceModel.load(this.spPath, `${this.name}.sp_model_path`);
  }

  override needsPrepare(): boolean {
    return this.spPath !== null && this.sp === null;
  }

  computeStat(text: string): number {
    if (this.needsPrepare()) throw new Error(`${this.name}: await op.prepare() first (it loads ${this.spPath})`);
    const sp = this.sp;
    const split: WordSplitter = sp
      ? (t) => sp.encodeAsPieces(t)
      : this.params.word_segmenter === 'jieba'
        ? jiebaCut
        : undefined;
    return this.compute(text, this.params, split);
  }

  protected range(): [number, number] {
    return [this.params[this.minKey] as number, this.params[this.maxKey] as number];
  }
}

export interface RangeFilterSpec {
  name: string;
  description: string;
  statKey: string;
  min: [string, ParamSpec];
  max: [string, ParamSpec];
  extra?: Record<string, ParamSpec>;
  /** Computes the stat; may depend on params (e.g. rep_len) and on a SentencePiece splitter. */
  compute: (text: string, params: ParamValues, split: WordSplitter) => number;
  /** The op takes `tokenization` + `sp_model_path` (SentencePiece words). */
  sentencePiece?: boolean;
  /** Extra checks across parameters; throw ParamError. */
  check?: (params: ParamValues) => void;
}

export function defineRangeFilter(spec: RangeFilterSpec): OpDefinition {
  return {
    name: spec.name,
    kind: 'filter',
    description: spec.description,
    params: {
      ...(spec.extra ?? {}),
      ...(spec.sentencePiece
        ? {
            sp_model_path: {
              type: 'string' as const,
              default: null,
              nullable: true,
              description: 'SentencePiece .model used when tokenization is true (Data-Juicer: <lang>.sp.model)',
            },
            word_segmenter: {
              type: 'string' as const,
              default: 'whitespace',
              oneOf: ['whitespace', 'jieba'],
              description:
                'words when tokenization is false: whitespace (Data-Juicer) or jieba Chinese segmentation (Steel-TS extension)',
            },
          }
        : {}),
      [spec.min[0]]: spec.min[1],
      [spec.max[0]]: spec.max[1],
    },
    create: (p) => {
      spec.check?.(p);
      let spPath: string | null = null;
      if (spec.sentencePiece && p.tokenization === true) {
        spPath = p.sp_model_path as string | null;
        if (spPath === null)
          throw new ParamError(
            `${spec.name}.sp_model_path: required when tokenization is true: the path of the SentencePiece model for lang "${p.lang}" (Data-Juicer's ${p.lang}.sp.model); nothing is downloaded`,
          );
      }
      if (spec.sentencePiece && p.tokenization === true && p.word_segmenter === 'jieba')
        throw new ParamError(`${spec.name}.word_segmenter: "jieba" applies only with tokenization: false`);
      return new RangeFilter(spec.name, p, spec.statKey, spec.min[0], spec.max[0], spec.compute, spPath);
    },
  };
}

export const NO_MAX = PY_MAXSIZE;
