// The registry pre-filled with every built-in op, and the createOp/registerOp shortcuts on it.

import { documentDeduplicator } from './dedup/document-deduplicator.js';
import { documentMinhashDeduplicator } from './dedup/document-minhash-deduplicator.js';
import { documentSimhashDeduplicator } from './dedup/document-simhash-deduplicator.js';
import { perplexityFilter } from './filters/perplexity-filter.js';
import {
  alphanumericFilter,
  averageLineLengthFilter,
  characterRepetitionFilter,
  maximumLineLengthFilter,
  specialCharactersFilter,
  textLengthFilter,
  wordRepetitionFilter,
  wordsNumFilter,
} from './filters/text-filters.js';
import { chineseConvertMapper } from './mappers/chinese-convert.js';
import { cleanCopyrightMapper } from './mappers/clean-copyright.js';
import { cleanEmailMapper } from './mappers/clean-email.js';
import { cleanHtmlMapper } from './mappers/clean-html.js';
import { cleanIpMapper } from './mappers/clean-ip.js';
import { cleanLinksMapper } from './mappers/clean-links.js';
import { expandMacroMapper } from './mappers/expand-macro.js';
import { fixUnicodeMapper } from './mappers/fix-unicode.js';
import { removeRepeatSentencesMapper } from './mappers/remove-repeat-sentences.js';
import {
  punctuationNormalizationMapper,
  removeSpecificCharsMapper,
  whitespaceNormalizationMapper,
} from './mappers/simple-text.js';
import type { Op } from './op.js';
import type { ParamValues } from './params.js';
import { type OpDefinition, OpRegistry } from './registry.js';

export const BUILTIN_OPS: readonly OpDefinition[] = [
  chineseConvertMapper,
  cleanEmailMapper,
  cleanHtmlMapper,
  cleanIpMapper,
  cleanLinksMapper,
  cleanCopyrightMapper,
  expandMacroMapper,
  fixUnicodeMapper,
  punctuationNormalizationMapper,
  removeRepeatSentencesMapper,
  removeSpecificCharsMapper,
  whitespaceNormalizationMapper,
  alphanumericFilter,
  averageLineLengthFilter,
  characterRepetitionFilter,
  maximumLineLengthFilter,
  perplexityFilter,
  specialCharactersFilter,
  textLengthFilter,
  wordRepetitionFilter,
  wordsNumFilter,
  documentDeduplicator,
  documentSimhashDeduplicator,
  documentMinhashDeduplicator,
];

/** A new registry holding every built-in op (user ops added to it stay local to it). */
export function createRegistry(): OpRegistry {
  const r = new OpRegistry();
  for (const def of BUILTIN_OPS) r.register(def);
  return r;
}

/** The process-wide registry used by `createOp` and `registerOp`. */
export const defaultRegistry: OpRegistry = createRegistry();

/** Create an op by its Data-Juicer name, validating `params` against its schema. */
export function createOp<T extends Op = Op>(name: string, params?: ParamValues | null): T {
  return defaultRegistry.create(name, params) as T;
}

/** createOp, then await the op's `prepare()` (loads e.g. SentencePiece models). */
export async function createOpAsync<T extends Op = Op>(name: string, params?: ParamValues | null): Promise<T> {
  const op = createOp<T>(name, params);
  await op.prepare();
  return op;
}

/** Add a user op to the default registry. */
export function registerOp(def: OpDefinition, options?: { replace?: boolean }): void {
  defaultRegistry.register(def, options);
}
