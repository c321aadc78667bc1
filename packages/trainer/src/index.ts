// Public surface of @steel/trainer.

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
export { AdamW, type AdamWOptions, type AdamWState, clipGradNorm, globalNorm } from './optimizer.js';
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
