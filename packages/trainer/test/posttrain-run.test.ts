// runPostTraining end to end on a 0.2 M-parameter Steel model (steel-micro, vocab 512) with a character tokenizer:
// SFT resume is bit-exact, changed data is refused, bad records are reported and skipped; DPO with the reference
// precomputed, cached, or computed alongside gives the same losses.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { presetConfig, saveModelFolder } from '@steel/steel-model';
import { describe, expect, it } from 'vitest';
import {
  type ChatTokenizer,
  parsePostTrainConfig,
  REFERENCE_FILE,
  REJECTED_FILE,
  runPostTraining,
  steelModel,
} from '../src/index.js';
import { tempDir } from './helpers.js';

/** ids: 0 <|endoftext|>, 1 <|im_start|>, 2 <|im_end|>, characters 3 + (code point mod 500). */
const charTokenizer: ChatTokenizer & { padId: number } = {
  padId: 0,
  tokenToId: (t) => ({ '<|endoftext|>': 0, '<|im_start|>': 1, '<|im_end|>': 2 })[t],
  encodeBatch: async (texts) => texts.map((t) => [...t].map((ch) => 3 + (ch.codePointAt(0)! % 500))),
};

function sftData(dir: string): string {
  const file = join(dir, 'sft.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < 24; i++) {
    const w = ['steel', 'iron', 'fire', 'qwen', 'train'][i % 5]!;
    if (i % 3 === 0)
      lines.push(JSON.stringify({ instruction: `reverse ${w}${i}`, output: [...`${w}${i}`].reverse().join('') }));
    else if (i % 3 === 1)
      lines.push(
        JSON.stringify({
          messages: [
            { role: 'user', content: `upper ${w}` },
            { role: 'assistant', content: w.toUpperCase() },
          ],
        }),
      );
    else
      lines.push(
        JSON.stringify({
          conversations: [
            { from: 'human', value: `len ${w}` },
            { from: 'gpt', value: String(w.length) },
          ],
        }),
      );
  }
  lines.splice(5, 0, '{"text": "no layout"}', '{"messages": [{"role": "user", "content": "unanswered"}]}');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function sftConfig(out: string, data: string, maxSteps: number, extra: Record<string, unknown> = {}) {
  return parsePostTrainConfig({
    stage: 'sft',
    out_dir: out,
    model: { config: 'steel-micro', seed: 7 },
    data: { sources: [{ path: data }], seed: 11, system_prompt: 'sys', packing: true, max_segments: 4 },
    train: { batch: 2, seq: 48, accumulation: 2, max_steps: maxSteps, loss_chunks: 2 },
    schedule: { kind: 'cosine', peak_lr: 3e-3, min_lr: 3e-4, warmup_steps: 1, decay_steps: 6 },
    checkpoint: { every: 3, keep_last: 2 },
    runtime: { threads: 1 },
    ...extra,
  });
}

describe('SFT runs', () => {
  it('resume reproduces the uninterrupted losses bit for bit; bad records are reported, not fatal', async () => {
    const dir = tempDir('sft');
    const data = sftData(dir);
    const full = await runPostTraining(sftConfig(join(dir, 'full'), data, 6), { tokenizer: charTokenizer });
    expect(full.losses).toHaveLength(6);
    expect(full.data.samples).toBe(24);
    expect(full.data.rejected).toBe(2);
    expect(full.data.layouts).toEqual({ alpaca: 8, messages: 8, sharegpt: 8 });
    const report = readFileSync(join(dir, 'full', REJECTED_FILE), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(report.map((r) => r.line)).toEqual([6, 7]);
    expect(report[0].message).toMatch(/unknown layout/);
    expect(full.losses.at(-1)!).toBeLessThan(full.losses[0]!);

    const first = await runPostTraining(sftConfig(join(dir, 'split'), data, 3), { tokenizer: charTokenizer });
    const second = await runPostTraining(sftConfig(join(dir, 'split'), data, 6), { tokenizer: charTokenizer });
    expect(second.resumedFrom).toMatch(/step-00000003$/);
    expect([...first.losses, ...second.losses]).toEqual(full.losses);
    const metrics = readFileSync(join(dir, 'split', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(metrics.every((m) => m.labels > 0)).toBe(true);
  }, 120_000);

  it('changed data on resume is refused unless allowed', async () => {
    const dir = tempDir('sft-change');
    const data = sftData(dir);
    await runPostTraining(sftConfig(join(dir, 'run'), data, 3), { tokenizer: charTokenizer });
    appendFileSync(data, `${JSON.stringify({ instruction: 'new', output: 'record' })}\n`);
    await expect(runPostTraining(sftConfig(join(dir, 'run'), data, 4), { tokenizer: charTokenizer })).rejects.toThrow(
      /differs from what .* was trained on/,
    );
    const r = await runPostTraining(
      sftConfig(join(dir, 'run'), data, 4, {
        data: {
          sources: [{ path: data }],
          seed: 11,
          system_prompt: 'sys',
          packing: true,
          max_segments: 4,
          allow_data_change: true,
        },
      }),
      { tokenizer: charTokenizer },
    );
    expect(r.lastStep).toBe(4);
  }, 120_000);

  it('epochs decide the number of steps when max_steps is absent', async () => {
    const dir = tempDir('sft-epochs');
    const cfg = sftConfig(join(dir, 'run'), sftData(dir), 1);
    delete cfg.train.maxSteps;
    cfg.train.epochs = 1;
    cfg.data.packing = false;
    cfg.data.maxSegments = 1;
    const r = await runPostTraining(cfg, { tokenizer: charTokenizer });
    expect(r.maxSteps).toBe(Math.ceil(24 / (2 * 2))); // 24 samples, one per row, 2 rows x 2 micro-batches per step
  }, 120_000);
});

function dpoData(dir: string): string {
  const file = join(dir, 'pairs.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < 12; i++)
    lines.push(JSON.stringify({ prompt: `${i}+${i}=`, chosen: String(2 * i), rejected: String(2 * i + 1) }));
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function dpoConfig(out: string, data: string, reference: 'precompute' | 'alongside', maxSteps = 4, initFrom?: string) {
  return parsePostTrainConfig({
    stage: 'dpo',
    out_dir: out,
    model: initFrom ? { init_from: initFrom } : { config: 'steel-micro', seed: 7 },
    data: { sources: [{ path: data }], seed: 11, system_prompt: '' },
    train: { batch: 2, seq: 40, accumulation: 2, max_steps: maxSteps, loss_chunks: 2 },
    dpo: { beta: 0.1, reference },
    schedule: { kind: 'constant', lr: 2e-3 },
    checkpoint: { every: 2 },
    runtime: { threads: 1 },
  });
}

describe('DPO runs', () => {
  it('precomputed, cached and alongside reference log-probs give the same losses; rewards are logged', async () => {
    const dir = tempDir('dpo');
    const data = dpoData(dir);
    // start from a model folder (as from an SFT checkpoint): the reference must stay frozen while the policy moves
    const init = join(dir, 'init');
    const config = presetConfig('steel-micro');
    await saveModelFolder(init, config, steelModel(config).init(7));
    const pre = await runPostTraining(dpoConfig(join(dir, 'pre'), data, 'precompute', 4, init), {
      tokenizer: charTokenizer,
    });
    expect(pre.reference?.mode).toBe('precompute');
    expect(existsSync(join(dir, 'pre', REFERENCE_FILE))).toBe(true);
    const along = await runPostTraining(dpoConfig(join(dir, 'along'), data, 'alongside', 4, init), {
      tokenizer: charTokenizer,
    });
    expect(along.reference?.mode).toBe('alongside');
    along.losses.forEach((l, i) => {
      expect(Math.abs(l - pre.losses[i]!)).toBeLessThan(1e-6);
    });
    // the policy starts as the reference: the first loss is log 2 exactly (z = 0)
    expect(pre.losses[0]).toBeCloseTo(Math.log(2), 6);
    const m = readFileSync(join(dir, 'pre', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(m[0].reward_margin).toBeCloseTo(0, 6);
    expect(m[0].grad_norm).toBeGreaterThan(0); // z = 0 still has a gradient (softplus' kink)
    expect(pre.losses.at(-1)!).toBeLessThan(pre.losses[0]!);
    expect(m.at(-1).reward_accuracy).toBeGreaterThanOrEqual(0);
    // resuming reuses the cache
    const more = await runPostTraining(dpoConfig(join(dir, 'pre'), data, 'precompute', 6, init), {
      tokenizer: charTokenizer,
    });
    expect(more.reference?.mode).toBe('cached');
    expect(more.firstStep).toBe(5);
  }, 120_000);
});
