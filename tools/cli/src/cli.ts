// The `steel` command. Each subcommand lives in src/commands/<name>.ts and is a thin shell over a library call.
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';
import { CliError } from './errors.js';

export function buildProgram(): Command {
  const program = new Command('steel')
    .description('Steel-TS: clean, tokenize, pack, train and evaluate a Chinese-centric LLM from TypeScript.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI; every failure becomes one clear line on stderr and a non-zero exit. */
export async function main(argv: string[]): Promise<void> {
  // `steel ... | head`: the reader went away; stop quietly as other Unix tools do, not with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message (help, version, or a usage error).
      process.exitCode = err.exitCode;
      return;
    }
    const message = err instanceof CliError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`steel: ${message}\n`);
    if (process.env.STEEL_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  }
}
