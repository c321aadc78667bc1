// `steel dj process|merge|analyze|format`: the same commands as the `steel-dj` bin of @steel/data-juicer-ts.
import { registerDjCommands } from '@steel/data-juicer-ts';
import type { Command } from 'commander';

export function registerDj(program: Command): void {
  const dj = program
    .command('dj')
    .description('Data-Juicer recipes (same as steel-dj): process, merge shards, analyze, format raw sources');
  registerDjCommands(dj);
}
