// Public surface of @steel/graph.

export { checkpoint, type GradOptions, grad, vjp } from './autodiff.js';
export { type DType, fromHalfBits, isFloat, type TypedData, toHalfBits } from './dtype.js';
export {
  type Attr,
  type GradFn,
  Graph,
  type Initializer,
  type OnnxNode,
  OPSET,
  type OpRecord,
  type Param,
  Value,
  type ValueOr,
} from './graph.js';
export {
  type AttentionOptions,
  attention,
  type CrossEntropyOptions,
  causalMask,
  type LmHeadLossOptions,
  linear,
  lmHeadCrossEntropy,
  lmHeadTokenNll,
  lowest,
  rmsNorm,
  rotary,
  rotaryTables,
  softmaxCrossEntropy,
} from './nn.js';
export {
  type BuiltModel,
  encodeModel,
  externalBuffer,
  liveNodes,
  type ModelProto,
  saveModel,
  serialize,
  type ToModelOptions,
  toModel,
} from './serialize.js';
export {
  CUDA_MISSING,
  cudaAvailable,
  type ExecutionProvider,
  type Feed,
  type OptimizationLevel,
  ort,
  peakRssBytes,
  type RunResult,
  Session,
  type SessionOptions,
  tensor,
} from './session.js';
export { type Dim, GraphError, type Shape } from './shape.js';
export { evalDim, type GraphStats, graphStats } from './stats.js';
export { assertValidModel, MAX_ORT_OPSET, validateModel } from './validate.js';
