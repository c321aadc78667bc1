// Initial weights per the spec's `_init_weights` (§1.11), from the seeded per-tensor RNG of rng.ts.
import type { SteelConfig } from './config.js';
import { numel, type ParamSpec, parameterSpecs } from './params.js';
import { Rng } from './rng.js';

/** The pretraining script's seed (`fabric.seed_everything(3407)`), used when none is given. */
export const DEFAULT_SEED = 3407;

/** One tensor's initial values (float32). Deterministic in (seed, spec.name). */
export function initParameter(spec: ParamSpec, seed: number = DEFAULT_SEED): Float32Array {
  const out = new Float32Array(numel(spec.shape));
  const init = spec.init;
  switch (init.kind) {
    case 'zeros':
      break;
    case 'ones':
      out.fill(1);
      break;
    case 'normal':
      new Rng(seed, spec.name).fillNormal(out, init.std);
      break;
    case 'normal-pad-row': {
      new Rng(seed, spec.name).fillNormal(out, init.std);
      const cols = spec.shape[1] ?? 1;
      out.fill(0, init.padRow * cols, (init.padRow + 1) * cols);
      break;
    }
  }
  return out;
}

/** Weights of a whole model, keyed by HF name. Holds everything in memory: for big models stream initParameter. */
export function initWeights(config: SteelConfig, seed: number = DEFAULT_SEED): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  for (const spec of parameterSpecs(config)) weights.set(spec.name, initParameter(spec, seed));
  return weights;
}
