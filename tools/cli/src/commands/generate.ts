// `steel generate`: stream tokens from a Steel model folder with the KV cache (greedy or sampled, HF's processors).
// A thin shell over @steel/steel-model's SteelModel.generate / chat and @steel/tokenizer.

import fs from 'node:fs';
import path from 'node:path';
import type { GenerateOptions } from '@steel/steel-model';
import { loadTokenizer, type QwenTokenizer } from '@steel/tokenizer';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { asCliError, loadSteelModel, parseIds } from './model.js';

export interface GenerateCliOptions {
  model: string;
  prompt?: string;
  ids?: string;
  chat?: boolean;
  system?: string;
  maxTokens: string;
  temperature?: string;
  topK?: string;
  topP?: string;
  repetitionPenalty?: string;
  greedy?: boolean;
  seed: string;
  tokenizer?: string;
  threads?: string;
  json?: boolean;
  quiet?: boolean;
}

function num(value: string | undefined, flag: string, check: (n: number) => boolean, allowed: string) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !check(n)) throw new CliError(`${flag} must be ${allowed}, got '${value}'`);
  return n;
}

/** Sampling flags -> GenerateOptions: any of temperature/top-k/top-p turns sampling on; --greedy forces argmax. */
export function generateOptions(opts: GenerateCliOptions): GenerateOptions {
  const maxNewTokens = num(opts.maxTokens, '--max-tokens', (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0')!;
  const temperature = num(opts.temperature, '--temperature', (n) => n >= 0 && Number.isFinite(n), 'a number >= 0');
  const topK = num(opts.topK, '--top-k', (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0 (0 = off)');
  const topP = num(opts.topP, '--top-p', (n) => n > 0 && n <= 1, 'a number in (0, 1]');
  const repetitionPenalty = num(opts.repetitionPenalty, '--repetition-penalty', (n) => n > 0, 'a number > 0');
  const seed = num(opts.seed, '--seed', (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer')!;
  const out: GenerateOptions = { maxNewTokens, seed };
  const sampling = temperature !== undefined || topK !== undefined || topP !== undefined;
  if (opts.greedy || temperature === 0) out.doSample = false;
  else if (sampling) out.doSample = true;
  if (temperature !== undefined && temperature > 0) out.temperature = temperature;
  if (topK !== undefined) out.topK = topK;
  if (topP !== undefined) out.topP = topP;
  if (repetitionPenalty !== undefined) out.repetitionPenalty = repetitionPenalty;
  return out;
}

function checkVocab(ids: readonly number[], vocab: number): void {
  const bad = ids.findIndex((id) => id >= vocab);
  if (bad >= 0)
    throw new CliError(
      `prompt token ${bad} has id ${ids[bad]}, outside the model's vocabulary of ${vocab}: the tokenizer does not fit this model (pass --tokenizer, or --ids)`,
    );
}

export async function tokenizerFor(opts: { model: string; tokenizer?: string }): Promise<QwenTokenizer> {
  try {
    if (opts.tokenizer) return await loadTokenizer({ path: opts.tokenizer });
    if (fs.existsSync(path.join(opts.model, 'tokenizer.json'))) return await loadTokenizer({ path: opts.model });
    return await loadTokenizer(); // Steel's (Qwen1.5) tokenizer, bundled
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

export async function runGenerate(
  opts: GenerateCliOptions,
  write: (s: string) => void,
): Promise<{ ids: number[]; text?: string; prompt_tokens: number; seconds: number; tokens_per_s: number }> {
  if ((opts.prompt === undefined) === (opts.ids === undefined))
    throw new CliError('give exactly one of --prompt "text" or --ids 1,2,3');
  if (opts.chat && opts.prompt === undefined) throw new CliError('--chat needs --prompt');
  const genOpts = generateOptions(opts);
  const tok = opts.prompt !== undefined ? await tokenizerFor(opts) : undefined;
  const model = await loadSteelModel(opts.model, opts.threads);
  const generated: number[] = [];
  let text = '';
  const t0 = performance.now();
  let promptTokens = 0;
  try {
    if (tok && opts.chat) {
      const messages = [
        ...(opts.system !== undefined ? [{ role: 'system', content: opts.system }] : []),
        { role: 'user', content: opts.prompt! },
      ];
      const chatIds = await tok.encodeChat(messages, { addGenerationPrompt: true });
      checkVocab(chatIds, model.config.vocab_size);
      promptTokens = chatIds.length;
      // the chat stream yields text; count the ids through the decoder it asks for
      const counting = {
        encodeChat: (m: typeof messages, o?: { addGenerationPrompt?: boolean }) => tok.encodeChat(m, o),
        createStreamDecoder: () => {
          const dec = tok.createStreamDecoder();
          return {
            push: (id: number | number[]) => {
              const list = Array.isArray(id) ? id : [id];
              generated.push(...list);
              return dec.push(list);
            },
            end: () => dec.end(),
          };
        },
      };
      for await (const piece of model.chat(counting, messages, genOpts)) {
        text += piece;
        write(piece);
      }
    } else {
      const prompt = tok ? await tok.encode(opts.prompt!) : parseIds(opts.ids!);
      checkVocab(prompt, model.config.vocab_size);
      promptTokens = prompt.length;
      const dec = tok?.createStreamDecoder();
      for await (const id of model.generate(prompt, genOpts)) {
        generated.push(id);
        if (dec) {
          const piece = dec.push(id);
          text += piece;
          write(piece);
        } else write(`${generated.length > 1 ? ' ' : ''}${id}`);
      }
      if (dec) {
        const rest = dec.end();
        text += rest;
        write(rest);
      }
    }
  } catch (err) {
    throw asCliError(err);
  } finally {
    await model.release();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    ids: generated,
    ...(tok ? { text } : {}),
    prompt_tokens: promptTokens,
    seconds: Number(seconds.toFixed(3)),
    tokens_per_s: Number((generated.length / seconds).toFixed(2)),
  };
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('generate with the KV cache, streaming to stdout (greedy or sampled like HF generate)')
    .requiredOption('--model <dir>', 'model folder (config.json + safetensors)')
    .option('--prompt <text>', 'prompt text (tokenized with the Qwen1.5 tokenizer, or --tokenizer)')
    .option('--ids <ids>', 'prompt as token ids, comma-separated; prints generated ids')
    .option('--chat', "wrap --prompt as a user message in the tokenizer's chat template; stop at <|im_end|>")
    .option('--system <text>', "system message for --chat (default: the template's)")
    .option('--max-tokens <n>', 'maximum new tokens', '64')
    .option('--temperature <t>', 'sampling temperature (turns sampling on; 0 = greedy)')
    .option('--top-k <k>', 'keep the k most likely tokens (turns sampling on)')
    .option('--top-p <p>', 'nucleus sampling threshold (turns sampling on)')
    .option('--repetition-penalty <r>', 'HF repetition penalty (> 1 discourages repeats)')
    .option('--greedy', 'argmax decoding even if generation_config.json says do_sample')
    .option('--seed <n>', 'sampling seed', '0')
    .option('--tokenizer <path>', "tokenizer.json or tokenizer folder (default: the model folder's, else Qwen1.5)")
    .option('--threads <n>', 'ONNX Runtime intra-op threads')
    .option('--json', 'after the stream, print a JSON summary line {ids, text, prompt_tokens, seconds, tokens_per_s}')
    .option('--quiet', 'no summary on stderr')
    .action(async (opts: GenerateCliOptions) => {
      const summary = await runGenerate(opts, (s) => process.stdout.write(s));
      process.stdout.write('\n');
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      if (!opts.quiet)
        process.stderr.write(
          `[${summary.ids.length} tokens after a ${summary.prompt_tokens}-token prompt in ${summary.seconds} s, ${summary.tokens_per_s} tokens/s]\n`,
        );
    });
}
