// Public surface of @steel/trainer.

export {
  type BenchOptions,
  type BenchResult,
  benchTrain,
  measureMatmulPeak,
  timeVocabPart,
} from './bench.js';
export type { PostTrainPosition } from './checkpoint.js';
export {
  applyRetention,
  CHECKPOINTS_DIR,
  checkpointName,
  gitCommit,
  type LoadedCheckpoint,
  latestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  MODEL_DIR,
  OPTIMIZER_FILE,
  type RetentionPolicy,
  resumeCheckpointDir,
  type SaveCheckpointInput,
  STATE_FILE,
  saveCheckpoint,
  type TrainerState,
} from './checkpoint.js';
export { parseTrainConfig, type TrainConfig, TrainConfigError } from './config.js';
export { loadAnyTrainConfig, loadTrainConfig } from './config-file.js';
export { DataLoader, type DataSourceSpec, type LoaderOptions, type LoaderState } from './data/loader.js';
export { sha256File } from './data/sha256.js';
export {
  type AppendEvent,
  DataConsistencyError,
  type ShardRecord,
  type SourceOpenOptions,
  type SourceState,
  WindowSource,
} from './data/source.js';
export { type LoopInput, type LoopResult, type StageData, trainingLoop } from './loop.js';
export {
  type LossGraph,
  type ModelDefinition,
  modelFromDescription,
  type ParamDef,
  steelFlopsPerToken,
  steelModel,
  type TinyLmConfig,
  tinyLm,
} from './model.js';
export {
  AdamW,
  type AdamWOptions,
  type AdamWState,
  clipCoefficient,
  clipGradNorm,
  globalNorm,
} from './optimizer.js';
export { type LossPoint, lossCurveSvg, writeLossPlot } from './plot.js';
export {
  labelIndex,
  PreferenceBatcher,
  pairRows,
  type RowBatch,
  SftBatcher,
  sftLabelCapacity,
  sftRowsPerEpoch,
} from './posttrain/batches.js';
export {
  type PostTrainConfig,
  type PostTrainStage,
  parsePostTrainConfig,
  resolveSchedule,
  STEEL_POSTTRAIN_DEFAULTS,
} from './posttrain/config.js';
export {
  type ChatSourceSpec,
  type LoadChatOptions,
  type LoadStats,
  loadPreferenceSet,
  loadSftSet,
  type PreferenceSet,
  type SftSet,
} from './posttrain/dataset.js';
export { DPO_LOSS_KINDS, type DpoLossKind, type DpoOptions, dpoLossBuilder, rowLogpGraph } from './posttrain/dpo.js';
export {
  type ChatFormat,
  type ChatTokenizer,
  chatFormat,
  type EncodedPair,
  type EncodedSample,
  encodeChatSamples,
  encodePreferenceSamples,
} from './posttrain/encode.js';
export { Mixture, MixtureCursor, type MixtureOptions, type MixturePosition } from './posttrain/mixture.js';
export {
  type ChatSample,
  type ChatTurn,
  type PreferenceSample,
  parseChatRecord,
  parsePreferenceRecord,
} from './posttrain/records.js';
export {
  type PairLogps,
  REFERENCE_FILE,
  ReferenceScorer,
  type RowLogps,
  scoreAllPairs,
} from './posttrain/reference.js';
export { type PostTrainOptions, type PostTrainSummary, REJECTED_FILE, runPostTraining } from './posttrain/run.js';
export {
  type SyntheticExample,
  type SyntheticScore,
  type SyntheticTask,
  scoreSyntheticAnswers,
  syntheticInstructions,
  toPreferenceRecords,
  toSftRecords,
} from './posttrain/synthetic.js';
export {
  LOSS_PLOT_FILE,
  METRICS_FILE,
  type MetricsRecord,
  modelForConfig,
  type RunOptions,
  type RunSummary,
  runTraining,
} from './run.js';
export {
  type ConstantSchedule,
  type CosineSchedule,
  learningRate,
  type Schedule,
  steelGetLr,
  validateSchedule,
  type WsdSchedule,
} from './schedule.js';
export { type StepOptions, type StepTimings, TrainStep } from './step.js';
export { type StepResult, Trainer, type TrainerOptions } from './trainer.js';
