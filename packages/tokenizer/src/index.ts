// Public surface of @steel/tokenizer.
export type { ChatMessage, ChatTemplateOptions } from './chat-template.js';
export { type DecodeOptions, StreamDecoder } from './decode.js';
export type { EngineName } from './engines/engine.js';
export { TokenizerError } from './errors.js';
export { type PackTextsOptions, type PackTextsResult, packTexts } from './pack.js';
export {
  type EncodeOptions,
  type EncodingWithOffsets,
  type LoadTokenizerOptions,
  loadTokenizer,
  QwenTokenizer,
  toWellFormed,
} from './tokenizer.js';
export {
  type AddedTokenJson,
  buildTokenizerJsonFromParts,
  bundledTokenizerPath,
  QWEN2_PRETOKENIZE_REGEX,
  type TokenizerJson,
} from './tokenizer-json.js';
export {
  ENDOFTEXT_ID,
  IM_END_ID,
  IM_START_ID,
  QWEN15_CHAT_TEMPLATE,
  STEEL_DEFAULT_SYSTEM_PROMPT,
  STEEL_MODEL_VOCAB_SIZE,
  VARIANT_NAMES,
  type VariantName,
} from './variants.js';
