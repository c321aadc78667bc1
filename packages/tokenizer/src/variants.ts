// The two built-in vocabularies. Both share Qwen's 151,643 byte-level BPE entries and 151,387 merges; they differ
// only in the added tokens (and the chat template).

export type VariantName = 'qwen1.5' | 'qwen3';

export const VARIANT_NAMES: readonly VariantName[] = ['qwen1.5', 'qwen3'];

/** `<|endoftext|>`: Steel's pad token and the fill of packed chunk tails. */
export const ENDOFTEXT_ID = 151643;
/** `<|im_start|>`. */
export const IM_START_ID = 151644;
/** `<|im_end|>`: appended after every pre-training document; the chat eos. */
export const IM_END_ID = 151645;
/** The Steel model's embedding rows (the real vocabulary is padded up to a multiple of 128). */
export const STEEL_MODEL_VOCAB_SIZE = 151936;

/** Steel's default system prompt (Qwen1.5 chat template, spec §4.1). */
export const STEEL_DEFAULT_SYSTEM_PROMPT = 'You are a helpful assistant.';

/** The Jinja chat template of Steel's tokenizer_config.json (Qwen1.5-MoE-A2.7B-Chat), verbatim. */
export const QWEN15_CHAT_TEMPLATE =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}" +
  "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}" +
  "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** The special tokens of Steel's tokenizer (tokenizer_from_qwen_moe_chat). */
export const QWEN15_ADDED_TOKENS: ReadonlyArray<{ id: number; content: string }> = [
  { id: ENDOFTEXT_ID, content: '<|endoftext|>' },
  { id: IM_START_ID, content: '<|im_start|>' },
  { id: IM_END_ID, content: '<|im_end|>' },
];

export function isVariantName(v: unknown): v is VariantName {
  return typeof v === 'string' && (VARIANT_NAMES as readonly string[]).includes(v);
}
