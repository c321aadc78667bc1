// Renders the tokenizer's real Jinja chat template (ChatML for Qwen) with @huggingface/jinja.
import { Template } from '@huggingface/jinja';
import { describe } from './decode.js';
import { TokenizerError } from './errors.js';

export interface ChatMessage {
  role: string;
  content: string;
  [key: string]: unknown;
}

export interface ChatTemplateOptions {
  /** Append the opening of an assistant turn (`<|im_start|>assistant\n`) for generation. Default false. */
  addGenerationPrompt?: boolean;
  /** Extra variables for the template (e.g. Qwen3's `enable_thinking`, `tools`). */
  variables?: Record<string, unknown>;
}

export function validateMessages(messages: unknown): asserts messages is ChatMessage[] {
  if (!Array.isArray(messages)) {
    throw new TokenizerError(
      `applyChatTemplate: messages must be an array of {role, content}, got ${describe(messages)}`,
    );
  }
  messages.forEach((m, i) => {
    if (typeof m !== 'object' || m === null) {
      throw new TokenizerError(
        `applyChatTemplate: messages[${i}] must be an object {role, content}, got ${describe(m)}`,
      );
    }
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== 'string' || role === '') {
      throw new TokenizerError(
        `applyChatTemplate: messages[${i}].role must be a non-empty string, got ${describe(role)}`,
      );
    }
    if (typeof content !== 'string') {
      throw new TokenizerError(`applyChatTemplate: messages[${i}].content must be a string, got ${describe(content)}`);
    }
  });
}

export class ChatTemplate {
  private readonly template: Template;

  constructor(
    readonly source: string,
    private readonly specials: { bos_token: string | null; eos_token: string | null; pad_token: string | null },
  ) {
    try {
      this.template = new Template(source);
    } catch (err) {
      throw new TokenizerError(`the chat template does not parse: ${(err as Error).message}`);
    }
  }

  render(messages: unknown, options: ChatTemplateOptions = {}): string {
    validateMessages(messages);
    try {
      return this.template.render({
        ...this.specials,
        ...options.variables,
        messages,
        add_generation_prompt: options.addGenerationPrompt ?? false,
      });
    } catch (err) {
      throw new TokenizerError(`applyChatTemplate: the template failed: ${(err as Error).message}`);
    }
  }
}
