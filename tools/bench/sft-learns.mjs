#!/usr/bin/env node
// Does the whole SFT (and DPO) path learn? A tiny Steel model fine-tuned on a synthetic instruction set
// (repeat / reverse 3-5 digits, add two 2-digit numbers; @steel/trainer's syntheticInstructions) on CPU, then greedy chat
// answers on held-out questions it never saw, scored by exact match; optionally DPO on pairs of the same tasks,
// with the held-out reward accuracy before and after. Prints one JSON object.
//   node tools/bench/sft-learns.mjs [--init <hf folder>] [--config steel-tiny] [--steps 300] [--train 4000]
//        [--heldout 100] [--tasks copy,reverse,add] [--digits 3,5] [--lr 3e-3] [--batch 8] [--seq 128] [--dpo-steps 0] [--out /tmp/sft-learns] [--threads 2]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadTokenizer } from '@steel/tokenizer';
import {
  parsePostTrainConfig,
  runPostTraining,
  scoreSyntheticAnswers,
  syntheticInstructions,
  toPreferenceRecords,
  toSftRecords,
} from '@steel/trainer';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const num = (k, d) => (args[k] === undefined ? d : Number(args[k]));
const out = args.out ?? '/tmp/sft-learns';
const threads = num('threads', 2);
mkdirSync(out, { recursive: true });
const jsonl = (file, rows) => {
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
};

const tasks = (args.tasks ?? 'copy,reverse').split(',');
const digits = (args.digits ?? '3,5').split(',').map(Number);
const { train, heldout } = syntheticInstructions({
  tasks,
  digits,
  train: num('train', 4000),
  heldout: num('heldout', 100),
  seed: num('seed', 3407),
});
const sftFile = jsonl(path.join(out, 'sft-train.jsonl'), toSftRecords(train));
const evalFile = jsonl(path.join(out, 'sft-heldout.jsonl'), toSftRecords(heldout));
const tok = await loadTokenizer();
const load = Date.now();

const accuracy = (modelDir, examples) => scoreSyntheticAnswers(modelDir, tok, examples, { threads });

const steps = num('steps', 300);
const sftCfg = parsePostTrainConfig({
  stage: 'sft',
  out_dir: path.join(out, 'sft'),
  model: args.init ? { init_from: args.init } : { config: args.config ?? 'steel-tiny', seed: 3407 },
  data: { sources: [{ path: sftFile }], packing: true, max_segments: 8 },
  train: { batch: num('batch', 8), seq: num('seq', 128), accumulation: 1, max_steps: steps },
  optimizer: { weight_decay: 0 },
  schedule: {
    kind: 'cosine',
    peak_lr: num('lr', 3e-3),
    min_lr: num('lr', 3e-3) / 10,
    warmup_steps: Math.ceil(steps / 20),
  },
  checkpoint: { every: 0, keep_last: 1 },
  eval: { sources: [{ path: evalFile }], every: Math.max(1, Math.floor(steps / 5)), batches: 2 },
  resume: 'never',
  runtime: { threads },
});
const t0 = Date.now();
let last = 0;
const sft = await runPostTraining(sftCfg, {
  tokenizer: tok,
  onStep: (m, max) => {
    if (Date.now() - last > 10000 || m.step === max) {
      last = Date.now();
      process.stderr.write(
        `sft step ${m.step}/${max} loss ${m.loss.toFixed(3)}${m.eval_loss !== undefined ? ` eval ${m.eval_loss.toFixed(3)}` : ''} ${Math.round(m.tokens_per_s)} tok/s\n`,
      );
    }
  },
});
const sftSeconds = (Date.now() - t0) / 1000;
const sftModel = path.join(sft.lastCheckpoint, 'model');
const heldoutAcc = await accuracy(sftModel, heldout);
const trainAcc = await accuracy(sftModel, train.slice(0, heldout.length));
const result = {
  model: args.init ?? args.config ?? 'steel-tiny',
  sft: {
    steps: sft.lastStep,
    samples: sft.data.samples,
    seconds: sftSeconds,
    loss_first: sft.losses[0],
    loss_last: sft.losses.at(-1),
    heldout_accuracy: heldoutAcc.accuracy,
    heldout_by_task: heldoutAcc.byTask,
    train_accuracy: trainAcc.accuracy,
    samples_heldout: heldoutAcc.samples,
    checkpoint: sft.lastCheckpoint,
  },
};

const dpoSteps = num('dpo-steps', 0);
if (dpoSteps > 0) {
  const pairs = syntheticInstructions({
    tasks,
    digits,
    train: num('dpo-pairs', 1000),
    heldout: 64,
    seed: num('seed', 3407) + 1,
  });
  const pFile = jsonl(path.join(out, 'dpo-train.jsonl'), toPreferenceRecords(pairs.train));
  const pEval = jsonl(path.join(out, 'dpo-heldout.jsonl'), toPreferenceRecords(pairs.heldout));
  const dpoCfg = parsePostTrainConfig({
    stage: 'dpo',
    out_dir: path.join(out, 'dpo'),
    model: { init_from: sftModel },
    data: { sources: [{ path: pFile }] },
    train: { batch: num('dpo-batch', 8), seq: 64, accumulation: 1, max_steps: dpoSteps },
    dpo: { beta: num('beta', 0.1), reference: args.reference ?? 'precompute' },
    optimizer: { weight_decay: 0 },
    schedule: { kind: 'cosine', peak_lr: num('dpo-lr', 1e-3), min_lr: num('dpo-lr', 1e-3) / 10, warmup_steps: 0 },
    checkpoint: { every: 0, keep_last: 1 },
    eval: { sources: [{ path: pEval }], every: Math.max(1, Math.floor(dpoSteps / 4)), batches: 8 },
    resume: 'never',
    runtime: { threads },
  });
  const t1 = Date.now();
  const evals = [];
  const dpo = await runPostTraining(dpoCfg, {
    tokenizer: tok,
    onStep: (m, max) => {
      if (m.eval_reward_accuracy !== undefined)
        evals.push({ step: m.step, accuracy: m.eval_reward_accuracy, margin: m.eval_reward_margin });
      if (Date.now() - last > 10000 || m.step === max) {
        last = Date.now();
        process.stderr.write(
          `dpo step ${m.step}/${max} loss ${m.loss.toFixed(4)} acc ${m.reward_accuracy.toFixed(2)}\n`,
        );
      }
    },
  });
  const dpoModel = path.join(dpo.lastCheckpoint, 'model');
  result.dpo = {
    steps: dpo.lastStep,
    pairs: dpo.data.samples,
    seconds: (Date.now() - t1) / 1000,
    reference: dpo.reference,
    loss_first: dpo.losses[0],
    loss_last: dpo.losses.at(-1),
    heldout_reward_accuracy: evals,
    heldout_answer_accuracy_after: (await accuracy(dpoModel, heldout)).accuracy,
  };
}
result.load_average = (await import('node:os')).loadavg();
result.total_seconds = (Date.now() - load) / 1000;
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
