// The @steel/trainer README example: pack a toy corpus into LITPKDS shards, train a tiny LM on it for a few steps
// with checkpoints, then resume. Run from the repo root: node tools/bench/trainer-readme-example.mjs
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackedShardWriter, writePackedManifest } from '@steel/dataset';
import { parseTrainConfig, runTraining } from '@steel/trainer';

const root = mkdtempSync(join(tmpdir(), 'steel-train-example-'));
const data = join(root, 'data');

// 1. A packed source: 2 shards of 16 windows x 33 tokens (seq 32 + 1), "documents" that count up mod 100.
const writer = new PackedShardWriter({ outDir: data, prefix: 'toy', chunkSize: 16 * 33, padId: 0 });
for (let doc = 0; doc < 64; doc++) {
  const start = (doc * 37) % 100;
  await writer.add(Array.from({ length: 16 }, (_, t) => (start + t) % 100).concat([1])); // 1 ends a document
}
const packed = await writer.finish();
await writePackedManifest(data, {
  format: 'LITPKDS',
  version: 1,
  dtype: packed.dtype,
  chunkSize: packed.chunkSize,
  blockSize: 32,
  chunkBlocks: 16,
  padId: 0,
  separatorId: 1,
  tokenizer: {},
  sources: [],
  options: {},
  documents: 64,
  skippedDocuments: 0,
  tokens: packed.tokens,
  droppedTokens: 0,
  shards: packed.shards,
  createdAt: new Date().toISOString(),
});

// 2. Train (the same keys as train.yaml for `steel train --config`).
const config = parseTrainConfig({
  out_dir: join(root, 'run'),
  model: { tiny_lm: { vocab: 100, hidden: 32 } },
  data: { sources: [{ dir: data }], seed: 3407, ignore_token_id: 0 },
  train: { batch: 4, seq: 32, accumulation: 2, max_steps: 30, clip_norm: 1.0 },
  optimizer: { betas: [0.9, 0.95], weight_decay: 0.05 },
  schedule: { kind: 'cosine', peak_lr: 1e-2, min_lr: 1e-3, warmup_steps: 5 },
  checkpoint: { every: 10, keep_last: 2 },
  runtime: { threads: 2 },
});
const first = await runTraining({ ...config, train: { ...config.train, maxSteps: 20 } });
console.log(
  `steps ${first.firstStep}-${first.lastStep}: loss ${first.losses[0].toFixed(3)} -> ${first.losses.at(-1).toFixed(3)}`,
);
// 3. Run again with max_steps 30: it resumes from the step-20 checkpoint at exactly the next window.
const second = await runTraining(config);
console.log(
  `resumed from ${second.resumedFrom}: steps ${second.firstStep}-${second.lastStep}, loss ${second.losses.at(-1).toFixed(3)}`,
);
console.log(`checkpoint: ${second.lastCheckpoint}`);
