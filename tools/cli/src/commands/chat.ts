// `steel chat --model <dir>`: talk to a model through the tokenizer's chat template, the conversation kept across
// turns, each reply streamed with the KV cache. Interactive on a terminal (/reset, /exit); with --prompt one turn;
// with piped stdin one turn per line. A thin shell over @steel/steel-model's SteelModel.chat.
import readline from 'node:readline';
import type { ChatMessage } from '@steel/steel-model';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { type GenerateCliOptions, generateOptions, tokenizerFor } from './generate.js';
import { asCliError, loadSteelModel } from './model.js';

interface ChatCliOptions extends Omit<GenerateCliOptions, 'ids' | 'chat'> {
  prompt?: string;
}

export interface ChatTurnResult {
  user: string;
  reply: string;
  seconds: number;
}

/** Runs the chat: `--prompt` turns, else stdin lines; writes replies with `write`. */
export async function runChat(
  opts: ChatCliOptions,
  write: (s: string) => void,
  lines?: AsyncIterable<string>,
): Promise<ChatTurnResult[]> {
  const genOpts = generateOptions({ ...opts, seed: opts.seed ?? '0', maxTokens: opts.maxTokens ?? '256' });
  const tok = await tokenizerFor(opts);
  const model = await loadSteelModel(opts.model, opts.threads);
  const history: ChatMessage[] = opts.system !== undefined ? [{ role: 'system', content: opts.system }] : [];
  const results: ChatTurnResult[] = [];
  const interactive = !opts.prompt && !lines && process.stdin.isTTY;
  try {
    const input: AsyncIterable<string> = opts.prompt
      ? (async function* () {
          yield opts.prompt!;
        })()
      : (lines ?? readline.createInterface({ input: process.stdin, terminal: false }));
    if (interactive)
      process.stderr.write('steel chat: type a message; /reset starts over, /exit (or Ctrl-D) quits\n> ');
    for await (const raw of input) {
      const user = raw.trim();
      if (user === '/exit') break;
      if (user === '/reset') {
        history.splice(opts.system !== undefined ? 1 : 0);
        if (interactive) process.stderr.write('(conversation cleared)\n> ');
        continue;
      }
      if (!user) {
        if (interactive) process.stderr.write('> ');
        continue;
      }
      history.push({ role: 'user', content: user });
      const t0 = performance.now();
      let reply = '';
      for await (const piece of model.chat(tok, history, genOpts)) {
        reply += piece;
        write(piece);
      }
      write('\n');
      history.push({ role: 'assistant', content: reply });
      results.push({ user, reply, seconds: (performance.now() - t0) / 1000 });
      if (interactive) process.stderr.write('> ');
    }
  } catch (err) {
    throw asCliError(err);
  } finally {
    await model.release();
  }
  if (results.length === 0 && opts.prompt === undefined && !interactive)
    throw new CliError('steel chat: no input (pass --prompt "...", or lines on stdin)');
  return results;
}

export function registerChat(program: Command): void {
  program
    .command('chat')
    .description("chat with a model folder through the tokenizer's chat template (KV cache, streamed replies)")
    .requiredOption(
      '--model <dir>',
      'model folder (config.json + safetensors), e.g. a checkpoint of steel train --stage sft',
    )
    .option('--prompt <text>', 'one user turn, then exit (otherwise: interactive, or one turn per stdin line)')
    .option('--system <text>', "system message (default: the template's)")
    .option('--max-tokens <n>', 'maximum new tokens per reply', '256')
    .option('--temperature <t>', 'sampling temperature (turns sampling on; 0 = greedy)')
    .option('--top-k <k>', 'keep the k most likely tokens (turns sampling on)')
    .option('--top-p <p>', 'nucleus sampling threshold (turns sampling on)')
    .option('--repetition-penalty <r>', 'HF repetition penalty (> 1 discourages repeats)')
    .option('--greedy', 'argmax decoding even if generation_config.json says do_sample')
    .option('--seed <n>', 'sampling seed', '0')
    .option('--tokenizer <path>', "tokenizer.json or tokenizer folder (default: the model folder's, else Qwen1.5)")
    .option('--threads <n>', 'ONNX Runtime intra-op threads')
    .option('--json', 'after the replies, print a JSON line {turns: [{user, reply, seconds}]}')
    .action(async (opts: ChatCliOptions & { json?: boolean }) => {
      const turns = await runChat(opts, (s) => process.stdout.write(s));
      if (opts.json) process.stdout.write(`${JSON.stringify({ turns })}\n`);
    });
}
