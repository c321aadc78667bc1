// Public surface of @steel/kernels-native: C++ hot paths (N-API) with JavaScript fallbacks of the same signature.
export {
  type AdamWTensor,
  createOptimizerKernels,
  type OptimizerKernelOptions,
  type OptimizerKernels,
} from './adamw.js';
export { type AdamWConstants, adamwKernel, NORM_BLOCK, sumOfSquaresJs } from './adamw-js.js';
export { type EncodedSegments, type NativeKernelsStatus, nativeKernelsStatus } from './addon.js';
export { KernelError } from './errors.js';
export { keepFreedMemory } from './memory.js';
export {
  byteLevelAlphabet,
  createQwen2BpeKernel,
  type EncodeSegmentsOptions,
  type KernelImplementation,
  type Qwen2BpeKernel,
  type Qwen2BpeOptions,
  type Qwen2BpeTables,
  qwen2BpeTablesFromVocab,
} from './qwen2-bpe.js';
export { qwen2PreTokenizerRegExp } from './qwen2-bpe-js.js';
