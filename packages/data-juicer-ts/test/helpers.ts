import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createOp, type Filter, type Mapper } from '../src/index.js';

export const fixturePath = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

export interface PyStats {
  alnum_ratio: number;
  avg_line_length: number;
  max_line_length: number;
  char_rep_ratio_10: number;
  char_rep_ratio_5: number;
  special_char_ratio: number;
  text_len: number;
  word_rep_ratio_10: number;
  word_rep_ratio_3: number;
  num_words: number;
  splitlines: string[];
  strip: string;
}

export interface Expectations {
  texts: string[];
  stats: PyStats[];
  simhash: Record<string, { fps: string[]; keep: number[] }>;
  simhash_corpora: { en: string[]; zh: string[] };
  doc_hash: { plain: string[]; lower_ignore: string[] };
}

/** Expected values computed by tools/fixtures/data-juicer/gen_expectations.py (Python stdlib). */
export const expectations: Expectations = JSON.parse(readFileSync(fixturePath('expectations.json'), 'utf8'));

export function mapText(name: string, text: string, params: Record<string, unknown> = {}): string {
  return createOp<Mapper>(name, params).processText(text);
}

export function statOf(name: string, text: string, params: Record<string, unknown> = {}): number {
  const f = createOp<Filter>(name, params);
  return f.computeStat(text);
}
