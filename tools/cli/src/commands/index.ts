// The registry of `steel` subcommands: one file per command group, one line here per file.
import type { Command } from 'commander';
import { registerBench } from './bench.js';
import { registerChat } from './chat.js';
import { registerData } from './data.js';
import { registerDemo } from './demo.js';
import { registerDj } from './dj.js';
import { registerEval } from './eval.js';
import { registerGenerate } from './generate.js';
import { registerModel } from './model.js';
import { registerTokenize } from './tokenize.js';
import { registerTrain } from './train.js';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerBench,
  registerChat,
  registerData,
  registerDemo,
  registerDj,
  registerEval,
  registerGenerate,
  registerModel,
  registerTokenize,
  registerTrain,
];
