// Checkpoints: an HF-style model folder (Steel models; other definitions get model.safetensors alone), the AdamW
// moments, and trainer_state.json, written into a hidden temp folder and renamed into place, so a kill -9 at any
// moment leaves every earlier checkpoint intact and never a half-written `step-*` folder. Retention runs after.
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { loadModelFolder, SafetensorsFile, saveModelFolder, writeSafetensors } from '@steel/steel-model';
import type { LoaderState } from './data/loader.js';
import type { ModelDefinition } from './model.js';
import type { AdamWState } from './optimizer.js';
import type { MixturePosition } from './posttrain/mixture.js';

export const CHECKPOINTS_DIR = 'checkpoints';
export const MODEL_DIR = 'model';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const STATE_FILE = 'trainer_state.json';

export interface TrainerState {
  version: 1;
  /** Optimizer steps done. */
  step: number;
  /** Training tokens consumed (inputs, not counting the +1 target column). */
  tokens: number;
  /** No random numbers are drawn during training besides the data order, whose state is `loader`. */
  rng: { dataSeed: number; initSeed: number };
  /** Data position: the packed-shard loader (pre-training) or the epoch cursor (SFT, DPO). */
  loader: LoaderState | PostTrainPosition | null;
  /** The run's configuration (as validated) and the model description. */
  config: unknown;
  model: Record<string, unknown>;
  gitCommit: string | null;
  /** sha256 over every source's shard list (names and sha256s). */
  dataHash: string | null;
  /** ORT settings the losses are reproducible under. */
  runtime: { ep: string; threads: number | null };
  createdAt: string;
}

/** Where an SFT/DPO run is in its epochs. */
export interface PostTrainPosition extends MixturePosition {
  kind: 'sft' | 'dpo';
}

export interface RetentionPolicy {
  /** Keep the newest N checkpoints (default 3; 0 = keep all). */
  keepLast?: number;
  /** Also keep every checkpoint whose step is a multiple of this (default 0 = none). */
  keepEvery?: number;
}

/** The checkpoint a run continues from: `resume` 'never' -> none, 'auto' / unset -> the newest in outDir, else the folder given. */
export async function resumeCheckpointDir(resume: string | undefined, outDir: string): Promise<string | null> {
  if (resume === 'never') return null;
  if (!resume || resume === 'auto') return latestCheckpoint(outDir);
  return resume;
}

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** The git commit of the working directory, or null (not a repository, no git). */
export function gitCommit(cwd = process.cwd()): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

export interface SaveCheckpointInput {
  outDir: string;
  model: ModelDefinition;
  params: ReadonlyMap<string, Float32Array>;
  optimizer: AdamWState;
  state: Omit<TrainerState, 'version' | 'createdAt'>;
  retention?: RetentionPolicy;
}

/** Writes `outDir/checkpoints/step-XXXXXXXX/` atomically; returns its path. */
export async function saveCheckpoint(input: SaveCheckpointInput): Promise<string> {
  const root = path.join(input.outDir, CHECKPOINTS_DIR);
  await fs.mkdir(root, { recursive: true });
  const name = checkpointName(input.state.step);
  const final = path.join(root, name);
  const tmp = path.join(root, `.${name}.tmp-${process.pid}`);
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp);
  try {
    const { model, params } = input;
    if (model.steelConfig) {
      await saveModelFolder(path.join(tmp, MODEL_DIR), model.steelConfig, params as Map<string, Float32Array>);
    } else {
      await fs.mkdir(path.join(tmp, MODEL_DIR));
      await writeSafetensors(
        path.join(tmp, MODEL_DIR, 'model.safetensors'),
        model.params.map((p) => ({ name: p.name, shape: p.shape, dtype: 'F32' as const, data: params.get(p.name)! })),
        { metadata: { format: 'pt' } },
      );
    }
    const moments = model.params.flatMap((p) => [
      { name: `exp_avg.${p.name}`, shape: p.shape, dtype: 'F32' as const, data: input.optimizer.expAvg.get(p.name)! },
      {
        name: `exp_avg_sq.${p.name}`,
        shape: p.shape,
        dtype: 'F32' as const,
        data: input.optimizer.expAvgSq.get(p.name)!,
      },
    ]);
    await writeSafetensors(path.join(tmp, OPTIMIZER_FILE), moments, {
      metadata: { format: 'pt', step: String(input.optimizer.step) },
    });
    const state: TrainerState = { version: 1, ...input.state, createdAt: new Date().toISOString() };
    const fh = await fs.open(path.join(tmp, STATE_FILE), 'w');
    try {
      await fh.writeFile(`${JSON.stringify(state, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    // Same step saved twice (a resumed run re-reaching it): the old folder goes aside first.
    const existing = await fs.stat(final).catch(() => null);
    if (existing) {
      const aside = `${tmp}.old`;
      await fs.rename(final, aside);
      await fs.rename(tmp, final);
      await fs.rm(aside, { recursive: true, force: true });
    } else await fs.rename(tmp, final);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  await applyRetention(root, input.retention ?? {});
  return final;
}

/** Complete checkpoints under `outDir/checkpoints`, oldest first. */
export async function listCheckpoints(outDir: string): Promise<{ step: number; dir: string }[]> {
  const root = path.join(outDir, CHECKPOINTS_DIR);
  const names = await fs.readdir(root).catch(() => [] as string[]);
  const out: { step: number; dir: string }[] = [];
  for (const n of names) {
    const m = /^step-(\d+)$/.exec(n);
    if (!m) continue;
    const dir = path.join(root, n);
    if (await fs.stat(path.join(dir, STATE_FILE)).catch(() => null)) out.push({ step: Number(m[1]), dir });
  }
  return out.sort((a, b) => a.step - b.step);
}

export async function latestCheckpoint(outDir: string): Promise<string | null> {
  const all = await listCheckpoints(outDir);
  return all.length ? all[all.length - 1]!.dir : null;
}

/** Removes checkpoints outside the policy, and temp folders left by killed runs. */
export async function applyRetention(root: string, policy: RetentionPolicy): Promise<string[]> {
  const keepLast = policy.keepLast ?? 3;
  const keepEvery = policy.keepEvery ?? 0;
  const removed: string[] = [];
  for (const n of await fs.readdir(root).catch(() => [] as string[])) {
    const m = /^\.step-\d+\.tmp-(\d+)/.exec(n);
    if (m && Number(m[1]) !== process.pid) {
      await fs.rm(path.join(root, n), { recursive: true, force: true });
      removed.push(n);
    }
  }
  if (keepLast <= 0) return removed;
  const all = await listCheckpoints(path.dirname(root));
  const drop = all
    .slice(0, Math.max(0, all.length - keepLast))
    .filter((c) => !(keepEvery > 0 && c.step % keepEvery === 0));
  for (const c of drop) {
    await fs.rm(c.dir, { recursive: true, force: true });
    removed.push(path.basename(c.dir));
  }
  return removed;
}

export interface LoadedCheckpoint {
  dir: string;
  state: TrainerState;
  params: Map<string, Float32Array>;
  optimizer: AdamWState;
}

/** Reads a checkpoint folder back (weights, moments, state) for `model`. */
export async function loadCheckpoint(dir: string, model: ModelDefinition): Promise<LoadedCheckpoint> {
  const statePath = path.join(dir, STATE_FILE);
  const text = await fs.readFile(statePath, 'utf8').catch((e: Error) => {
    throw new Error(`${dir} is not a trainer checkpoint (no ${STATE_FILE}: ${e.message})`);
  });
  const state = JSON.parse(text) as TrainerState;
  if (state.version !== 1) throw new Error(`${statePath}: unsupported version ${state.version}`);
  const params = await readTensors(path.join(dir, MODEL_DIR), model, '');
  const opt = await SafetensorsFile.open(path.join(dir, OPTIMIZER_FILE));
  const expAvg = new Map<string, Float32Array>();
  const expAvgSq = new Map<string, Float32Array>();
  try {
    for (const p of model.params) {
      expAvg.set(p.name, await opt.readFloat32(`exp_avg.${p.name}`));
      expAvgSq.set(p.name, await opt.readFloat32(`exp_avg_sq.${p.name}`));
    }
  } finally {
    await opt.close();
  }
  return { dir, state, params, optimizer: { step: state.step, expAvg, expAvgSq } };
}

/** Weights of `model` from an HF-style folder (single file or sharded; Steel models via its index). */
async function readTensors(dir: string, model: ModelDefinition, prefix: string): Promise<Map<string, Float32Array>> {
  if (model.steelConfig) {
    const loaded = await loadModelFolder(dir);
    return loaded.weights;
  }
  const f = await SafetensorsFile.open(path.join(dir, 'model.safetensors'));
  const out = new Map<string, Float32Array>();
  try {
    for (const p of model.params) out.set(p.name, await f.readFloat32(prefix + p.name));
  } finally {
    await f.close();
  }
  return out;
}
