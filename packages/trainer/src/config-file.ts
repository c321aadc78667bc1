// Reading train.yaml (or .json) from disk: pre-training or post-training (`stage: sft|dpo`).
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { parseTrainConfig, type TrainConfig, TrainConfigError } from './config.js';
import { type PostTrainConfig, type PostTrainStage, parsePostTrainConfig } from './posttrain/config.js';

async function readDocument(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new TrainConfigError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return parse(text);
  } catch (e) {
    throw new TrainConfigError(`${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

function named<T>(file: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof TrainConfigError) throw new TrainConfigError(`${file}: ${e.message}`);
    throw e;
  }
}

/** Reads and validates a pre-training config file (YAML or JSON); errors name the file and the key. */
export async function loadTrainConfig(file: string): Promise<TrainConfig> {
  const doc = await readDocument(file);
  return named(file, () => parseTrainConfig(doc));
}

/** Reads a training config of any stage: `stage` (or the document's `stage` key) sft/dpo -> post-training. */
export async function loadAnyTrainConfig(
  file: string,
  stage?: 'pretrain' | PostTrainStage,
): Promise<{ stage: 'pretrain'; config: TrainConfig } | { stage: PostTrainStage; config: PostTrainConfig }> {
  const doc = await readDocument(file);
  const docStage = doc && typeof doc === 'object' ? (doc as { stage?: unknown }).stage : undefined;
  const s = stage ?? docStage ?? 'pretrain';
  if (s === 'pretrain') {
    if (docStage !== undefined && docStage !== 'pretrain')
      throw new TrainConfigError(`${file}: stage is ${JSON.stringify(docStage)} but --stage pretrain was given`);
    const { stage: _drop, ...rest } = (doc ?? {}) as Record<string, unknown>;
    return { stage: 'pretrain', config: named(file, () => parseTrainConfig(rest)) };
  }
  if (s !== 'sft' && s !== 'dpo')
    throw new TrainConfigError(`${file}: stage must be pretrain, sft or dpo, got ${JSON.stringify(s)}`);
  return { stage: s, config: named(file, () => parsePostTrainConfig(doc, s)) };
}
