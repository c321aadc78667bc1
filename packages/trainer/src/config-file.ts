// Reading train.yaml (or .json) from disk.
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { parseTrainConfig, type TrainConfig, TrainConfigError } from './config.js';

/** Reads and validates a training config file (YAML or JSON); errors name the file and the key. */
export async function loadTrainConfig(file: string): Promise<TrainConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new TrainConfigError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new TrainConfigError(`${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    return parseTrainConfig(doc);
  } catch (e) {
    if (e instanceof TrainConfigError) throw new TrainConfigError(`${file}: ${e.message}`);
    throw e;
  }
}
