// What `--model <dir>` can be. Today: an ONNX causal LM folder (model.onnx + tokenizer.json). A Steel checkpoint
// (config.json + model.safetensors) is recognized and refused with a clear message until @steel/steel-model lands.
import fs from 'node:fs';
import path from 'node:path';
import { EvalModelError } from './errors.js';
import { OnnxCausalLm, type OnnxCausalLmOptions } from './onnx-causal-lm.js';

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

/** Opens a model folder for evaluation (it implements both ChoiceScorer and Generator). */
export async function openModelFolder(dir: string, opts: OnnxCausalLmOptions = {}): Promise<OnnxCausalLm> {
  const kind = modelFolderKind(dir);
  if (kind === 'steel-checkpoint') {
    throw new EvalModelError(
      `${dir}: Steel checkpoints (config.json + model.safetensors) are evaluated through @steel/steel-model, which @steel/eval does not use yet; for now pass a folder with model.onnx + tokenizer.json`,
    );
  }
  return OnnxCausalLm.load(dir, opts);
}
