// Public surface of @steel/trainer.
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
