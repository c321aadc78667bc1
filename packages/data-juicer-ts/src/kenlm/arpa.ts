// A KenLM-compatible n-gram scorer over ARPA files (.arpa, .arpa.gz): log10 probabilities with backoff, <s>/</s>
// around each sentence, OOV words scored as <unk>. Probabilities and sums are kept in float32 like KenLM's
// Python `Model.score`.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { pySplit } from '../pystr.js';

export class ArpaFormatError extends Error {
  override name = 'ArpaFormatError';
}

interface Entry {
  prob: number;
  backoff: number;
}

const f32 = Math.fround;

/** KenLM substitutes this log10 probability when the ARPA file has no <unk>. */
export const MISSING_UNK_LOG10 = -100;

export class ArpaModel {
  /** The model order (highest n). */
  readonly order: number;
  private readonly ngrams: Map<string, Entry>;
  private readonly vocab: Set<string>;

  private constructor(order: number, ngrams: Map<string, Entry>, vocab: Set<string>) {
    this.order = order;
    this.ngrams = ngrams;
    this.vocab = vocab;
    if (!ngrams.has('<unk>')) {
      ngrams.set('<unk>', { prob: MISSING_UNK_LOG10, backoff: 0 });
    }
  }

  /** Parse ARPA text. */
  static fromText(text: string, source = 'ARPA text'): ArpaModel {
    const lines = text.split(/\r?\n/);
    let i = 0;
    while (i < lines.length && lines[i]!.trim() !== '\\data\\') i++;
    if (i === lines.length) throw new ArpaFormatError(`${source}: no \\data\\ header; is this an ARPA file?`);
    i++;
    const counts: number[] = [];
    for (; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') {
        if (counts.length > 0) break;
        continue;
      }
      const m = /^ngram\s+(\d+)\s*=\s*(\d+)$/.exec(line);
      if (!m) throw new ArpaFormatError(`${source}:${i + 1}: expected "ngram N=count", got ${JSON.stringify(line)}`);
      counts[Number(m[1]) - 1] = Number(m[2]);
    }
    const order = counts.length;
    if (order === 0) throw new ArpaFormatError(`${source}: the \\data\\ section lists no n-gram counts`);
    const ngrams = new Map<string, Entry>();
    const vocab = new Set<string>();
    let n = 0;
    for (; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      if (line === '\\end\\') break;
      const sec = /^\\(\d+)-grams:$/.exec(line);
      if (sec) {
        n = Number(sec[1]);
        if (n < 1 || n > order) throw new ArpaFormatError(`${source}:${i + 1}: section ${line} beyond order ${order}`);
        continue;
      }
      if (n === 0) throw new ArpaFormatError(`${source}:${i + 1}: n-gram line before any \\N-grams: section`);
      const fields = line.split(/\s+/);
      if (fields.length !== n + 1 && fields.length !== n + 2)
        throw new ArpaFormatError(`${source}:${i + 1}: expected ${n} words, a log10 prob and an optional backoff`);
      const prob = Number(fields[0]);
      const backoff = fields.length === n + 2 ? Number(fields[n + 1]) : 0;
      if (!Number.isFinite(prob) || !Number.isFinite(backoff))
        throw new ArpaFormatError(`${source}:${i + 1}: bad number in ${JSON.stringify(line)}`);
      const words = fields.slice(1, n + 1);
      if (n === 1) vocab.add(words[0]!);
      ngrams.set(words.join(' '), { prob: f32(prob), backoff: f32(backoff) });
    }
    return new ArpaModel(order, ngrams, vocab);
  }

  /** Load an `.arpa` or gzip-compressed `.arpa.gz` file (detected by its magic bytes). */
  static load(path: string): ArpaModel {
    if (/\.bin$/i.test(path))
      throw new ArpaFormatError(
        `${path}: KenLM binary models are not supported; convert it to ARPA (e.g. with KenLM's build_binary inverse, or use the .arpa you built it from)`,
      );
    let buf = readFileSync(path);
    if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
    return ArpaModel.fromText(buf.toString('utf8'), path);
  }

  /** Is the word in the unigram vocabulary? */
  has(word: string): boolean {
    return this.vocab.has(word);
  }

  /** log10 p(word | context) with backoff; `context` holds the previous words, most recent last. */
  wordScore(context: readonly string[], word: string): number {
    const w = this.vocab.has(word) ? word : '<unk>';
    const maxCtx = Math.min(context.length, this.order - 1);
    let backoffs = 0;
    for (let len = maxCtx; len >= 0; len--) {
      const ctx = context.slice(context.length - len);
      const e = this.ngrams.get(len === 0 ? w : `${ctx.join(' ')} ${w}`);
      if (e) return f32(e.prob + backoffs);
      // no (ctx, w): pay the backoff weight of ctx (0 when ctx itself is absent) and shorten the context
      const c = this.ngrams.get(ctx.join(' '));
      if (c) backoffs = f32(backoffs + c.backoff);
    }
    return f32(this.ngrams.get('<unk>')!.prob + backoffs);
  }

  /** KenLM `Model.score(sentence, bos=True, eos=True)`: sum of log10 probs of the words and </s>, after <s>. */
  score(sentence: string, bos = true, eos = true): number {
    const words = pySplit(sentence); // the kenlm module's Python str.split()
    const context: string[] = bos ? ['<s>'] : [];
    let total = 0;
    const step = (w: string) => {
      total = f32(total + this.wordScore(context, w));
      context.push(w);
      if (context.length > this.order) context.shift();
    };
    for (const w of words) step(w);
    if (eos) step('</s>');
    return total;
  }
}
