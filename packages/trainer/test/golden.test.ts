// 20 optimizer steps of the tiny LM (accumulation 2, clipping, AdamW with a no-decay set, warmup+cosine) against
// an independent PyTorch run (tools/fixtures/trainer/make_golden.py): per-step losses, grad norms and final params.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { Trainer, tinyLm } from '../src/index.js';

interface Golden {
  config: {
    vocab: number;
    hidden: number;
    inner: number;
    batch: number;
    seq: number;
    accumulation: number;
    steps: number;
    pad: number;
    peakLr: number;
    minLr: number;
    warmupSteps: number;
    decaySteps: number;
    betas: [number, number];
    eps: number;
    weightDecay: number;
    clip: number;
    noDecay: string[];
  };
  init: Record<string, number[]>;
  windows: number[][][];
  losses: number[];
  lrs: number[];
  gradNorms: number[];
  final: Record<string, number[]>;
}

const golden = JSON.parse(readFileSync(new URL('./fixtures/tiny-lm-adamw.json', import.meta.url), 'utf8')) as Golden;

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

it('matches PyTorch: losses, lrs, grad norms and final params of 20 AdamW steps', async () => {
  const c = golden.config;
  const model = tinyLm({ vocab: c.vocab, hidden: c.hidden, inner: c.inner });
  const params = new Map(Object.entries(golden.init).map(([k, v]) => [k, Float32Array.from(v)] as const));
  const trainer = await Trainer.create(model, params, {
    batch: c.batch,
    seq: c.seq,
    accumulation: c.accumulation,
    clipNorm: c.clip,
    ignoreTokenId: c.pad,
    lossChunks: 3,
    threads: 1,
    optimizer: { beta1: c.betas[0], beta2: c.betas[1], eps: c.eps, weightDecay: c.weightDecay, noDecay: c.noDecay },
    schedule: {
      kind: 'cosine',
      peakLr: c.peakLr,
      minLr: c.minLr,
      warmupSteps: c.warmupSteps,
      decaySteps: c.decaySteps,
    },
  });
  let worstLoss = 0;
  let worstNorm = 0;
  for (let s = 0; s < c.steps; s++) {
    const r = await trainer.trainStep(golden.windows[s]!.map((w) => Int32Array.from(w)));
    expect(r.step).toBe(s + 1);
    expect(rel(r.lr, golden.lrs[s]!)).toBeLessThan(1e-12);
    worstLoss = Math.max(worstLoss, rel(r.loss, golden.losses[s]!));
    worstNorm = Math.max(worstNorm, rel(r.gradNorm, golden.gradNorms[s]!));
  }
  expect(worstLoss).toBeLessThan(1e-5);
  expect(worstNorm).toBeLessThan(1e-5);
  for (const [name, want] of Object.entries(golden.final)) {
    const got = trainer.params.get(name)!;
    let num = 0;
    let den = 0;
    for (let i = 0; i < want.length; i++) {
      num += (got[i]! - want[i]!) ** 2;
      den += want[i]! ** 2;
    }
    expect(Math.sqrt(num / den), name).toBeLessThan(1e-5);
  }
  // the loss fell (training works, not just matches)
  expect(golden.losses[c.steps - 1]!).toBeLessThan(golden.losses[0]! - 0.5);
  await trainer.release();
});
