// What `--model <dir>` can be: an ONNX causal LM folder (model.onnx + tokenizer.json) or a Steel checkpoint
// (config.json + model.safetensors, or a sharded index), evaluated through @steel/steel-model.
import fs from 'node:fs';
import path from 'node:path';
import { EvalModelError } from './errors.js';
import { OnnxCausalLm, type OnnxCausalLmOptions } from './onnx-causal-lm.js';
import type { ChatFormatter } from './prompts.js';
import type { ChoiceScorer, Generator } from './scorer.js';
import { SteelCausalLm, type SteelCausalLmOptions } from './steel-causal-lm.js';

export type ModelFolderKind = 'onnx' | 'steel-checkpoint';

export function modelFolderKind(dir: string): ModelFolderKind {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new EvalModelError(`${dir}: no such folder (pass --model <folder with model.onnx + tokenizer.json>)`);
  }
  const has = (f: string) => fs.existsSync(path.join(dir, f));
  if (has('model.onnx')) {
    if (!has('tokenizer.json')) throw new EvalModelError(`${dir}: has model.onnx but no tokenizer.json beside it`);
    return 'onnx';
  }
  if (has('config.json') && (has('model.safetensors') || has('model.safetensors.index.json')))
    return 'steel-checkpoint';
  throw new EvalModelError(
    `${dir}: not a model folder (expected model.onnx + tokenizer.json, or a Steel checkpoint config.json + model.safetensors)`,
  );
}

/** What openModelFolder returns: a scorer and a generator with counters and a release. */
export interface EvalModel extends ChoiceScorer, Generator {
  readonly kind: ModelFolderKind;
  /** Model calls, tokens run through the model, few-shot prefixes served from a KV cache. */
  readonly stats: { forwards: number; tokens: number; prefixReuses: number };
  /** The model's own chat template when it has one (Steel checkpoints: the tokenizer's); pass it to runEvaluation. */
  readonly chatFormatter?: ChatFormatter;
  release(): Promise<void>;
}

export type OpenModelOptions = OnnxCausalLmOptions & Pick<SteelCausalLmOptions, 'tokenizerPath'>;

/**
 * Opens a model folder for evaluation. ONNX folders: `OnnxCausalLm` (options as OnnxCausalLmOptions). Steel
 * checkpoints: `SteelCausalLm` with the folder's tokenizer.json, else `tokenizerPath`, else the bundled Qwen1.5
 * tokenizer (`maxContext`, `threads` apply to both).
 */
export async function openModelFolder(dir: string, opts: OpenModelOptions = {}): Promise<EvalModel> {
  const kind = modelFolderKind(dir);
  if (kind === 'steel-checkpoint') {
    const lm = await SteelCausalLm.load(dir, {
      ...(opts.maxContext !== undefined ? { maxContext: opts.maxContext } : {}),
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      ...(opts.tokenizerPath !== undefined ? { tokenizerPath: opts.tokenizerPath } : {}),
    });
    return Object.assign(lm, { kind });
  }
  const { tokenizerPath: _, ...onnxOpts } = opts;
  const lm = await OnnxCausalLm.load(dir, onnxOpts);
  return Object.assign(lm, { kind });
}
