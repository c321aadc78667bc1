// Public surface of @steel/eval.
export type { GradedPrediction, GroupScore, SubjectScore, Summary } from './aggregate.js';
export { summarize } from './aggregate.js';
export { gatherLogProbs } from './continuation-tokens.js';
export type { CsvRecord } from './csv.js';
export { parseCsv } from './csv.js';
export type { EvalDemoOptions, EvalDemoResult } from './demo.js';
export { DEMO_CMMLU_DIR, evalDemo } from './demo.js';
export { EvalDataError, EvalModelError } from './errors.js';
export type { Extraction, ExtractionRule, ExtractOptions } from './extract.js';
export { CHINESE_RULES, ENGLISH_RULES, extractChoice } from './extract.js';
export type { FunctionLmOptions, LogitsFunction } from './function-lm.js';
export { functionCausalLm } from './function-lm.js';
export type { HfTokenizerOptions } from './hf-tokenizer.js';
export { hfTokenizerFromFile } from './hf-tokenizer.js';
export type { LoadedBenchmark, LoadOptions, MalformedRow } from './loaders.js';
export { defaultSplit, loadBenchmark, subjectFile } from './loaders.js';
export type { EvalModel, ModelFolderKind, OpenModelOptions } from './model-folder.js';
export { modelFolderKind, openModelFolder } from './model-folder.js';
export type { OnnxCausalLmOptions } from './onnx-causal-lm.js';
export { OnnxCausalLm } from './onnx-causal-lm.js';
export type { DpoRecord, ExamDataOptions, ExamDataSet, SftRecord } from './posttrain.js';
export { dpoToAlpaca, examPostTrainingData, examToDpo, examToSft, sftToAlpaca, writeJsonl } from './posttrain.js';
export type {
  BuiltPrompt,
  ChatFormatter,
  ChatMessage,
  CountTokens,
  FewShotOptions,
  FitOptions,
  FittedPrompt,
} from './prompts.js';
export {
  buildChatQuestion,
  buildFewShotPrompt,
  chatMlFormatter,
  choiceContinuations,
  DEFAULT_SYSTEM_PROMPT,
  fitFewShotPrompt,
  formatExample,
  formatTestItem,
  promptHeader,
} from './prompts.js';
export { renderHtml, renderMarkdown } from './report.js';
export type { EvalMode, EvalResults, Prediction, RunTimings } from './results.js';
export { promptHash, RESULTS_FORMAT, readResults, writeResults } from './results.js';
export type { RunOptions } from './runner.js';
export { runEvaluation } from './runner.js';
export type {
  ChoiceScoreRequest,
  ChoiceScorer,
  ChoiceScores,
  GenerateOptions,
  Generation,
  Generator,
  TextTokenizer,
} from './scorer.js';
export type { SteelCausalLmOptions } from './steel-causal-lm.js';
export { SteelCausalLm } from './steel-causal-lm.js';
export { benchmarkCategories, benchmarkSubjects, subjectInfo } from './subjects.js';
export type { BenchmarkName, ChoiceLetter, Question, SubjectInfo, SubjectSet } from './types.js';
export { BENCHMARKS, CHOICE_LETTERS } from './types.js';
