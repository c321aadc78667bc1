// The Steel model (steel-model's buildForward) plugged into the trainer: 20 AdamW steps against an independent
// float64 PyTorch Steel (tools/fixtures/trainer/make_steel_golden.py), and checkpoints as HF-style folders.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelFolder } from '@steel/steel-model';
import { expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint, steelModel, Trainer } from '../src/index.js';
import { tempDir } from './helpers.js';

const dir = new URL('./fixtures/steel-golden/', import.meta.url).pathname;
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
  train: Record<string, number> & { betas: [number, number] };
  windows: number[][][];
  losses: number[];
  gradNorms: number[];
  lrs: number[];
};

it('Steel (Soft-MoE v3, GQA): 20 AdamW steps match PyTorch within 1e-4 relative (losses and grad norms)', async () => {
  const { config, weights } = await loadModelFolder(dir);
  const t = expected.train;
  const model = steelModel(config);
  const trainer = await Trainer.create(model, weights, {
    batch: t.batch!,
    seq: t.seq!,
    accumulation: t.accumulation!,
    clipNorm: t.clip!,
    ignoreTokenId: t.pad!,
    lossChunks: 4,
    threads: 1,
    optimizer: { beta1: t.betas[0], beta2: t.betas[1], eps: t.eps!, weightDecay: t.weightDecay! },
    schedule: {
      kind: 'cosine',
      peakLr: t.peakLr!,
      minLr: t.minLr!,
      warmupSteps: t.warmupSteps!,
      decaySteps: t.decaySteps!,
      microStepQuirk: { accumulation: t.accumulation! },
    },
  });
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
  let worst = 0;
  let worstNorm = 0;
  for (let s = 0; s < t.steps!; s++) {
    const r = await trainer.trainStep(expected.windows[s]!.map((w) => Int32Array.from(w)));
    expect(rel(r.lr, expected.lrs[s]!)).toBeLessThan(1e-12);
    worst = Math.max(worst, rel(r.loss, expected.losses[s]!));
    worstNorm = Math.max(worstNorm, rel(r.gradNorm, expected.gradNorms[s]!));
  }
  console.log(`steel golden: worst loss rel ${worst.toExponential(2)}, grad-norm rel ${worstNorm.toExponential(2)}`);
  expect(worst).toBeLessThan(1e-4);
  expect(worstNorm).toBeLessThan(1e-4);

  // a checkpoint of a Steel model holds an HF-style folder that steel-model loads back bit for bit
  const out = tempDir('steel-ckpt');
  const ck = await saveCheckpoint({
    outDir: out,
    model,
    params: trainer.params,
    optimizer: trainer.optimizer.state,
    state: {
      step: trainer.stepCount,
      tokens: 0,
      rng: { dataSeed: 0, initSeed: 0 },
      loader: null,
      config: {},
      model: model.describe(),
      gitCommit: null,
      dataHash: null,
      runtime: { ep: 'cpu', threads: 1 },
    },
  });
  const folder = await loadModelFolder(join(ck, 'model'));
  expect(folder.config.hidden_size).toBe(config.hidden_size);
  for (const [n, p] of trainer.params) expect(folder.weights.get(n)).toEqual(p);
  const back = await loadCheckpoint(ck, model);
  expect(back.optimizer.step).toBe(20);
  for (const [n, m] of trainer.optimizer.state.expAvgSq) expect(back.optimizer.expAvgSq.get(n)).toEqual(m);
  await trainer.release();
});

it('continues pre-training from an HF-style folder (init_from), e.g. a released checkpoint', async () => {
  const { parseTrainConfig, runTraining } = await import('../src/index.js');
  const { makePacked } = await import('./helpers.js');
  const data = tempDir('initfrom-data');
  await makePacked(data, { files: 1, chunkSize: 13 * 4, mod: 96 });
  const out = tempDir('initfrom-run');
  const cfg = parseTrainConfig({
    out_dir: out,
    model: { config: dir, init_from: dir },
    data: { sources: [{ dir: data }] },
    train: { batch: 1, seq: 12, max_steps: 1 },
    schedule: { kind: 'constant', lr: 0 },
    optimizer: { weight_decay: 0 },
    runtime: { threads: 1 },
  });
  await runTraining(cfg);
  // lr 0: the checkpoint's weights are exactly the folder's
  const start = await loadModelFolder(dir);
  const after = await loadModelFolder(join(out, 'checkpoints', 'step-00000001', 'model'));
  for (const [n, w] of start.weights) expect(after.weights.get(n)).toEqual(w);
});

it('the embedding looked up outside the graph (default) trains as the in-graph lookup, tied or not', async () => {
  const { config, weights } = await loadModelFolder(dir);
  const t = expected.train;
  for (const tie of [false, true]) {
    const cfg = { ...config, tie_word_embeddings: tie };
    const model = steelModel(cfg);
    const run = async (hostEmbedding: boolean) => {
      const params = new Map(
        [...weights].filter(([n]) => !(tie && n === 'lm_head.weight')).map(([n, a]) => [n, Float32Array.from(a)]),
      );
      const trainer = await Trainer.create(model, params, {
        batch: t.batch!,
        seq: t.seq!,
        accumulation: t.accumulation!,
        lossChunks: 4,
        threads: 1,
        hostEmbedding,
        schedule: { kind: 'constant', lr: 3e-3 },
      });
      expect(trainer.step.session.inputNames.includes('inputs_embeds')).toBe(hostEmbedding);
      expect(trainer.step.session.inputNames.includes('input_ids')).toBe(!hostEmbedding);
      const losses: number[] = [];
      for (let s = 0; s < 4; s++)
        losses.push((await trainer.trainStep(expected.windows[s]!.map((w) => Int32Array.from(w)))).loss);
      const embed = Float32Array.from(trainer.params.get('model.embed_tokens.weight')!);
      await trainer.release();
      return { losses, embed };
    };
    const graph = await run(false);
    const host = await run(true);
    for (let s = 0; s < 4; s++)
      expect(Math.abs(host.losses[s]! - graph.losses[s]!) / graph.losses[s]!).toBeLessThan(1e-6);
    let worst = 0;
    for (let i = 0; i < graph.embed.length; i++) worst = Math.max(worst, Math.abs(host.embed[i]! - graph.embed[i]!));
    expect(worst, `tied ${tie}`).toBeLessThan(1e-6);
  }
});

it('a token id outside the embedding is an error naming its position', async () => {
  const { config, weights } = await loadModelFolder(dir);
  const trainer = await Trainer.create(steelModel(config), weights, {
    batch: 1,
    seq: 4,
    threads: 1,
    schedule: { kind: 'constant', lr: 1e-3 },
  });
  await expect(trainer.trainStep([Int32Array.of(1, 2, config.vocab_size, 3, 4)])).rejects.toThrow(
    /token id \d+ at row 0, position 2 is outside the embedding/,
  );
  await trainer.release();
});
