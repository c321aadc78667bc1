// Kill -9 a training run (a child process) mid-way, twice, resume it each time, and compare the loss sequence with
// an uninterrupted run bit for bit (CPU, 1 thread). Needs the built package (npx nx run @steel/trainer:build).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { makePacked, tempDir } from './helpers.js';

const child = new URL('./child/train-child.mjs', import.meta.url).pathname;
const dist = new URL('../dist/index.js', import.meta.url).pathname;

function config(outDir: string, dataDir: string) {
  return {
    out_dir: outDir,
    model: { tiny_lm: { vocab: 64, hidden: 16, inner: 24 }, seed: 11 },
    data: { sources: [{ dir: dataDir }], seed: 5 },
    train: { batch: 2, seq: 8, accumulation: 2, max_steps: 12, clip_norm: 1.0, loss_chunks: 2 },
    optimizer: { betas: [0.9, 0.95], weight_decay: 0.05 },
    schedule: { kind: 'cosine', peak_lr: 0.01, min_lr: 0.001, warmup_steps: 2, decay_steps: 12 },
    checkpoint: { every: 3, keep_last: 2 },
    runtime: { threads: 1 },
  };
}

/**
 * Runs the child; with `killAtStep`, SIGKILLs it as soon as it reports that step; with `killAfterMs`, that long
 * after the first step line (any moment: mid-step or mid-checkpoint). Resolves with the steps seen.
 */
function run(cfg: unknown, killAtStep?: number, killAfterMs?: number): Promise<{ steps: number[]; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const steps: number[] = [];
    let killed = false;
    let buf = '';
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
    });
    p.stdout.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        const m = /^step (\d+)/.exec(l);
        if (!m) continue;
        steps.push(Number(m[1]));
        if (killAfterMs !== undefined && steps.length === 1)
          setTimeout(() => {
            if (p.exitCode === null && !killed) {
              killed = true;
              p.kill('SIGKILL');
            }
          }, killAfterMs);
        if (killAtStep !== undefined && Number(m[1]) >= killAtStep && !killed) {
          killed = true;
          p.kill('SIGKILL');
        }
      }
    });
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      if (killed && signal === 'SIGKILL') resolve({ steps, killed });
      else if (killed && code === 0)
        resolve({ steps, killed: false }); // finished before the kill landed
      else if (code === 0) resolve({ steps, killed });
      else reject(new Error(`child exited ${code ?? signal}: ${err}`));
    });
  });
}

const losses = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: number; loss: number })
    .map((r) => [r.step, r.loss] as const);

it('resume after kill -9 reproduces the uninterrupted losses bit for bit', { timeout: 120_000 }, async () => {
  expect(existsSync(dist), 'build the package first: npx nx run @steel/trainer:build').toBe(true);
  const data = tempDir('resume-data');
  await makePacked(data, { files: 2, chunkSize: 9 * 20, mod: 64 });
  const a = tempDir('resume-a');
  const b = tempDir('resume-b');

  await run(config(a, data));
  const want = losses(a);
  expect(want.map((x) => x[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

  const k1 = await run(config(b, data), 7); // killed during step 8 (last checkpoint: step 6)
  expect(k1.killed).toBe(true);
  const k2 = await run(config(b, data), 10); // resumes at 7, killed during step 11 (last checkpoint: 9)
  expect(k2.killed).toBe(true);
  expect(k2.steps[0]).toBe(7);
  const last = await run(config(b, data));
  expect(last.steps[0]).toBe(10);
  const got = losses(b);
  expect(got).toEqual(want); // exact doubles

  const ckpts = readdirSync(join(b, 'checkpoints'));
  expect(ckpts).toEqual(['step-00000009', 'step-00000012']); // keep_last 2, no temp folders left
  const state = JSON.parse(readFileSync(join(b, 'checkpoints', 'step-00000012', 'trainer_state.json'), 'utf8'));
  expect(state.step).toBe(12);
  expect(state.tokens).toBe(12 * 2 * 8 * 2);
  expect(state.loader.samples).toBe(12 * 2 * 2);
  expect(state.dataHash).toMatch(/^[0-9a-f]{64}$/);
});

it(
  'kill -9 at arbitrary moments (checkpoint every step, so often mid-write) never loses a checkpoint',
  { timeout: 120_000 },
  async () => {
    const data = tempDir('chaos-data');
    await makePacked(data, { files: 2, chunkSize: 9 * 20, mod: 64 });
    const a = tempDir('chaos-a');
    const b = tempDir('chaos-b');
    const cfg = (out: string) => ({ ...config(out, data), checkpoint: { every: 1, keep_last: 2 } });
    await run(cfg(a));
    const want = losses(a);
    let done = false;
    let kills = 0;
    for (let i = 0; i < 12 && !done; i++) {
      const r = await run(cfg(b), undefined, 15 + ((i * 37) % 60));
      done = !r.killed;
      kills += r.killed ? 1 : 0;
    }
    if (!done) await run(cfg(b));
    expect(kills).toBeGreaterThan(1);
    expect(losses(b)).toEqual(want);
    expect(readdirSync(join(b, 'checkpoints')).filter((n) => n.startsWith('.'))).toEqual([]);
  },
);
