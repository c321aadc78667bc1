// Public surface of @steel/data-juicer-ts.

export {
  type AnalyzeOptions,
  type AnalyzeResult,
  analyzeRecipe,
  computeAllStats,
  describeStat,
  type StatSummary,
} from './analyze.js';
export {
  BUILTIN_OPS,
  createOp,
  createOpAsync,
  createRegistry,
  defaultRegistry,
  registerOp,
} from './builtin.js';
export {
  analyzeCommand,
  DjCliError,
  type DjCliIo,
  formatCommand,
  mergeCommand,
  type ProcessCommandOptions,
  processCommand,
  registerDjCommands,
  runDjCli,
} from './cli.js';
export { DocumentDeduplicator } from './dedup/document-deduplicator.js';
export {
  DocumentMinhashDeduplicator,
  minhashPermutations,
  minhashShingles,
  sha1Hash32,
} from './dedup/document-minhash-deduplicator.js';
export {
  DocumentSimhashDeduplicator,
  simhashShingles,
} from './dedup/document-simhash-deduplicator.js';
export { falseNegativeArea, falsePositiveArea, optimalLshParams } from './dedup/lsh-params.js';
export { MT19937 } from './dedup/mt19937.js';
export {
  combineHashes,
  type Fp64,
  findAllPairs,
  fpFromDecimal,
  fpToDecimal,
  hammingDistance,
  shingleHash,
} from './dedup/simhash.js';
export {
  type CleanDemoOpCount,
  type CleanDemoOptions,
  type CleanDemoResult,
  cleanDemoCorpus,
  DEMO_RECIPE_PATH,
} from './demo.js';
export { PerplexityFilter, type PieceTokenizer, perplexity, pyRound1 } from './filters/perplexity-filter.js';
export { RangeFilter } from './filters/range-filter.js';
export {
  AlphanumericFilter,
  alnumRatio,
  alphaTokenRatio,
  averageLineLength,
  characterRepetitionRatio,
  maximumLineLength,
  numWords,
  specialCharRatio,
  wordRepetitionRatio,
} from './filters/text-filters.js';
export {
  type FormatOptions,
  type FormatSourceSummary,
  formatRecords,
  formatSource,
  getSourceFormatter,
  multiQa2txt,
  qa2txt,
  qualityAssurance,
  SOURCE_FORMATTERS,
  type SourceFormatter,
  steelJsonLine,
  wanjuanText,
  zhihuUpvotes,
  zhProcess,
} from './formatters.js';
export { fixText, type NormalizationForm } from './ftfy.js';
export { HfTokenizer } from './hf-tokenizer.js';
export { ArpaFormatError, ArpaModel } from './kenlm/arpa.js';
export { OPENCC_MODES } from './mappers/chinese-convert.js';
export { cleanCopyright } from './mappers/clean-copyright.js';
export { cleanHtml, htmlToText } from './mappers/clean-html.js';
export { expandMacros, MacroExpansionError } from './mappers/expand-macro.js';
export { splitSentences } from './mappers/remove-repeat-sentences.js';
export { normalizePunctuation, normalizeWhitespace, PUNCTUATION_UNICODE } from './mappers/simple-text.js';
export {
  Deduplicator,
  type DedupResult,
  type DuplicatePair,
  Filter,
  keepInRange,
  Mapper,
  Op,
  type OpKind,
} from './op.js';
export {
  COMMON_PARAMS,
  FILTER_RANGE_PARAMS,
  ParamError,
  type ParamSchema,
  type ParamSpec,
  type ParamType,
  type ParamValues,
  PY_MAXSIZE,
  validateParams,
} from './params.js';
export {
  type OpReport,
  Pipeline,
  type PipelineOptions,
  type TraceEntry,
} from './pipeline.js';
export {
  type AnalysisPageInput,
  analysisHtml,
  correlationMatrix,
  correlationSvg,
  type HistogramOptions,
  histogramCounts,
  histogramSvg,
} from './plots.js';
export { compilePyRegex, PyRegexError, pyReplacer } from './pyregex.js';
export { pyLen, pyStrip, splitlines } from './pystr.js';
export {
  type LoadedRecipe,
  loadRecipe,
  loadRecipeObject,
  RECIPE_DEFAULTS,
  type RecipeConfig,
  RecipeError,
  type RecipeOpEntry,
} from './recipe.js';
export { type OpDefinition, OpRegistry, type RegisteredOp } from './registry.js';
export {
  contiguousShardRanges,
  mixtureIndices,
  parseDatasetPath,
  type RunRecipeOptions,
  type RunRecipeSummary,
  runRecipe,
} from './run-recipe.js';
export {
  getField,
  getText,
  HASH_KEY,
  MINHASH_KEY,
  type Sample,
  type SampleStats,
  SIMHASH_KEY,
  STATS_KEY,
  withField,
} from './sample.js';
export { SentencePieceModel } from './sentencepiece.js';
export {
  type MergeShardsSummary,
  mergeRecipeShards,
  runRecipeShard,
  shardFinalPath,
  shardWorkPath,
} from './shards.js';
export { isSpecialChar, SPECIAL_CHARACTERS, VARIOUS_WHITESPACES } from './special-characters.js';
export { refineWords, splitWords, stripSpecial } from './words.js';
