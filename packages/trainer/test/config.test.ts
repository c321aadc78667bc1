import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { applyRetention, latestCheckpoint, parseTrainConfig } from '../src/index.js';
import { tempDir } from './helpers.js';

const base = {
  out_dir: '/tmp/run',
  model: { config: 'steel-tiny' },
  data: { sources: [{ dir: '/data/a', weight: 2 }, '/data/b'], ignore_token_id: 151643 },
  train: { batch: 2, seq: 16, accumulation: 4, max_steps: 100 },
  optimizer: { betas: [0.9, 0.95], weight_decay: 0.05, no_decay: ['model.norm.weight', '/layernorm/'] },
  schedule: { kind: 'cosine', peak_lr: 3e-4, min_lr: 0, warmup_steps: 10, micro_step_quirk: true },
  checkpoint: { every: 20, keep_last: 2 },
  runtime: { ep: 'cpu', threads: 2 },
};

it('parses snake_case YAML keys into a TrainConfig', () => {
  const c = parseTrainConfig(base);
  expect(c.outDir).toBe('/tmp/run');
  expect(c.data.sources).toEqual([{ dir: '/data/a', weight: 2 }, { dir: '/data/b' }]);
  expect(c.data.ignoreTokenId).toBe(151643);
  expect(c.schedule).toEqual({
    kind: 'cosine',
    peakLr: 3e-4,
    minLr: 0,
    warmupSteps: 10,
    decaySteps: 100, // defaults to max_steps
    microStepQuirk: { accumulation: 4 },
  });
  expect(c.optimizer?.noDecay?.[1]).toBeInstanceOf(RegExp);
  expect(c.checkpoint).toEqual({ every: 20, keepLast: 2, keepEvery: 0 });
});

it('names the key, the value and what is allowed in errors', () => {
  expect(() => parseTrainConfig({ ...base, train: { ...base.train, batch: 0 } })).toThrow(
    'config.train.batch must be an integer >= 1, got 0',
  );
  expect(() => parseTrainConfig({ ...base, train: { ...base.train, bacth: 2 } })).toThrow(
    /config.train: unknown key 'bacth' \(allowed: batch, seq, accumulation, max_steps, clip_norm, loss_chunks\)/,
  );
  expect(() => parseTrainConfig({ ...base, schedule: { kind: 'linear' } })).toThrow(
    'config.schedule.kind must be cosine, wsd or constant, got "linear"',
  );
  expect(() => parseTrainConfig({ ...base, model: {} })).toThrow(/give exactly one of config .* or tiny_lm/);
  expect(() => parseTrainConfig({ ...base, runtime: { ep: 'rocm' } })).toThrow(
    'config.runtime.ep must be cpu or cuda, got "rocm"',
  );
  expect(() => parseTrainConfig({ ...base, schedule: { ...base.schedule, min_lr: 1 } })).toThrow(/minLr must be in/);
});

it('retention keeps the newest N (+ every Mth) and removes temp folders of killed runs; latest ignores them', async () => {
  const out = tempDir('retention');
  const root = join(out, 'checkpoints');
  for (const s of [10, 20, 30, 40, 50]) {
    mkdirSync(join(root, `step-${String(s).padStart(8, '0')}`), { recursive: true });
    mkdirSync(join(root, `step-${String(s).padStart(8, '0')}`, 'model'));
    // complete checkpoints have trainer_state.json
    await import('node:fs').then((fs) =>
      fs.writeFileSync(join(root, `step-${String(s).padStart(8, '0')}`, 'trainer_state.json'), '{}'),
    );
  }
  mkdirSync(join(root, '.step-00000060.tmp-999999999')); // a killed writer's leftovers
  mkdirSync(join(root, 'step-00000070')); // no trainer_state.json: not a checkpoint
  expect(await latestCheckpoint(out)).toBe(join(root, 'step-00000050'));
  await applyRetention(root, { keepLast: 2, keepEvery: 20 });
  expect(readdirSync(root).sort()).toEqual(['step-00000020', 'step-00000040', 'step-00000050', 'step-00000070']);
});

it('runTraining writes eval_loss every N steps and a loss.svg next to metrics.jsonl', async () => {
  const { makePacked } = await import('./helpers.js');
  const { readFileSync, existsSync } = await import('node:fs');
  const { runTraining } = await import('../src/index.js');
  const data = tempDir('eval-train');
  const held = tempDir('eval-held');
  await makePacked(data, { files: 1, chunkSize: 9 * 8, mod: 32 });
  await makePacked(held, { files: 1, chunkSize: 9 * 4, mod: 32, base: 5 });
  const out = tempDir('eval-run');
  const cfg = parseTrainConfig({
    out_dir: out,
    model: { tiny_lm: { vocab: 32, hidden: 8 } },
    data: { sources: [{ dir: data }] },
    train: { batch: 2, seq: 8, max_steps: 4 },
    schedule: { kind: 'constant', lr: 0.01 },
    eval: { dir: held, every: 2, batches: 2 },
    runtime: { threads: 1 },
  });
  const r = await runTraining(cfg);
  expect(r.losses).toHaveLength(4);
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines.map((l) => l.eval_loss !== undefined)).toEqual([false, true, false, true]);
  expect(lines[1].eval_loss).toBeGreaterThan(0);
  expect(readFileSync(join(out, 'loss.svg'), 'utf8')).toMatch(/^<svg[^>]*>.*<path d="M/s);
  expect(existsSync(join(out, 'checkpoints', 'step-00000004', 'trainer_state.json'))).toBe(true);
});
