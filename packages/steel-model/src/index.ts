// @steel/steel-model: the Steel architecture (spec §1). Public surface.

export {
  CONFIG_FILE,
  checkWeightShapes,
  DEFAULT_MAX_SHARD_BYTES,
  defaultGenerationConfig,
  GENERATION_CONFIG_FILE,
  type InitOptions,
  initModelFolder,
  type LoadedModel,
  loadConfig,
  loadModelFolder,
  ModelWeights,
  type SavedModel,
  type SaveOptions,
  saveModelFolder,
  WEIGHTS_FILE,
  WEIGHTS_INDEX_FILE,
  type WeightProvider,
} from './checkpoint.js';
export {
  configToJson,
  dims,
  FFN_TYPES,
  type FfnType,
  MLP_TYPES,
  type MlpType,
  PRESETS,
  parseConfig,
  presetConfig,
  type SteelConfig,
  type SteelDims,
  validateConfig,
} from './config.js';
export { CheckpointError, SafetensorsError, SteelConfigError } from './errors.js';
export {
  buildForward,
  cacheNames,
  cacheShape,
  type Dim,
  type ForwardGraph,
  type ForwardOptions,
  isCausalMoe,
  nextTargets,
} from './forward.js';
export { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './half.js';
export { DEFAULT_SEED, initParameter, initWeights } from './init.js';
export {
  type ChatMessage,
  type ChatTokenizer,
  type GradsResult,
  SteelModel,
  type SteelModelOptions,
  StepCache,
} from './model.js';
export { countParameters, numel, type ParamCount, type ParamInit, type ParamSpec, parameterSpecs } from './params.js';
export {
  nextTokenLoss,
  ReferenceCache,
  type ReferenceOutput,
  type ReferenceWeights,
  referenceForward,
  referenceStep,
  ropeTables,
} from './reference.js';
export { Rng } from './rng.js';
export {
  DTYPE_BYTES,
  encodeFloats,
  encodeHeader,
  FLOAT_DTYPES,
  MAX_HEADER_BYTES,
  parseSafetensorsHeader,
  type SafetensorsDtype,
  SafetensorsFile,
  type SafetensorsHeader,
  type TensorInfo,
  type TensorToWrite,
  tensorBytes,
  type WriteDtype,
  writeSafetensors,
} from './safetensors.js';
export {
  argmax,
  chooseToken,
  type GenerateOptions,
  generateTokens,
  type LogitsStep,
  processLogits,
  type SamplingOptions,
  samplingFromGenerationConfig,
  softmax,
} from './sampling.js';
