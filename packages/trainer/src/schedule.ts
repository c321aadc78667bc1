// Learning-rate schedules as pure functions of the optimizer step (1-based: step s is the s-th update).

/** Linear warmup then cosine decay to minLr (Steel's `get_lr`, spec §3.2). */
export interface CosineSchedule {
  kind: 'cosine';
  peakLr: number;
  minLr: number;
  /** Optimizer steps of linear warmup (Steel: 1000). */
  warmupSteps: number;
  /** Step at which the cosine reaches minLr (Steel HEAD: max_step); constant minLr after. */
  decaySteps: number;
  /**
   * Steel's per-micro-step quirk: the LR is computed from the micro-step counter `iter_num`
   * (warmup and decay measured in micro-steps = steps x accumulation) and set before every micro-step, so
   * optimizer step s uses get_lr(accum*s - 1). Give the gradient accumulation here to reproduce it;
   * omitted: lr(s) = get_lr(s) counted in optimizer steps (warmup reaches peakLr at s = warmupSteps).
   */
  microStepQuirk?: { accumulation: number };
}

/** Warmup-stable-decay (YuLan-Mini, MiniCPM): linear warmup, constant peak, then an annealing phase to minLr. */
export interface WsdSchedule {
  kind: 'wsd';
  peakLr: number;
  minLr: number;
  warmupSteps: number;
  /** Steps of the stable phase (after warmup). */
  stableSteps: number;
  /** Steps of the annealing phase (after the stable phase); minLr after. */
  decaySteps: number;
  /** Shape of the annealing: 'linear', 'cosine', or 'sqrt' (1 - sqrt(r), as MiniCPM's "1-sqrt"). Default 'linear'. */
  decayShape?: 'linear' | 'cosine' | 'sqrt';
}

export interface ConstantSchedule {
  kind: 'constant';
  lr: number;
  /** Optional linear warmup steps (default 0). */
  warmupSteps?: number;
}

export type Schedule = CosineSchedule | WsdSchedule | ConstantSchedule;

/** Steel's get_lr(it) on any counter (micro-steps in Steel; here whichever unit warmup/decay are given in). */
export function steelGetLr(it: number, peak: number, minLr: number, warmup: number, decay: number): number {
  if (it < warmup) return (peak * it) / warmup;
  if (it > decay) return minLr;
  const r = (it - warmup) / (decay - warmup);
  return minLr + 0.5 * (1 + Math.cos(Math.PI * r)) * (peak - minLr);
}

/** The learning rate used by optimizer step `step` (1-based). */
export function learningRate(s: Schedule, step: number): number {
  if (!Number.isInteger(step) || step < 1)
    throw new RangeError(`learningRate: step must be an integer >= 1, got ${step}`);
  switch (s.kind) {
    case 'constant': {
      const w = s.warmupSteps ?? 0;
      return w > 0 && step <= w ? (s.lr * step) / w : s.lr;
    }
    case 'cosine': {
      if (s.microStepQuirk) {
        const a = s.microStepQuirk.accumulation;
        return steelGetLr(a * step - 1, s.peakLr, s.minLr, s.warmupSteps * a, s.decaySteps * a);
      }
      return steelGetLr(step, s.peakLr, s.minLr, s.warmupSteps, s.decaySteps);
    }
    case 'wsd': {
      if (step <= s.warmupSteps) return (s.peakLr * step) / s.warmupSteps;
      const intoDecay = step - s.warmupSteps - s.stableSteps;
      if (intoDecay <= 0) return s.peakLr;
      if (intoDecay >= s.decaySteps) return s.minLr;
      const r = intoDecay / s.decaySteps;
      const shape = s.decayShape ?? 'linear';
      const f = shape === 'linear' ? 1 - r : shape === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * r)) : 1 - Math.sqrt(r);
      return s.minLr + f * (s.peakLr - s.minLr);
    }
  }
}

/** Checks a schedule's numbers; throws a RangeError naming the field. */
export function validateSchedule(s: Schedule): Schedule {
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new RangeError(`schedule (${s.kind}): ${what}`);
  };
  const nonNeg = (x: number) => Number.isFinite(x) && x >= 0;
  const intNonNeg = (x: number) => Number.isInteger(x) && x >= 0;
  switch (s.kind) {
    case 'constant':
      need(nonNeg(s.lr), `lr must be a finite number >= 0, got ${s.lr}`);
      need(intNonNeg(s.warmupSteps ?? 0), `warmupSteps must be an integer >= 0, got ${s.warmupSteps}`);
      break;
    case 'cosine':
      need(nonNeg(s.peakLr), `peakLr must be >= 0, got ${s.peakLr}`);
      need(nonNeg(s.minLr) && s.minLr <= s.peakLr, `minLr must be in [0, peakLr], got ${s.minLr}`);
      need(intNonNeg(s.warmupSteps), `warmupSteps must be an integer >= 0, got ${s.warmupSteps}`);
      need(
        Number.isInteger(s.decaySteps) && s.decaySteps > s.warmupSteps,
        `decaySteps must be an integer > warmupSteps (${s.warmupSteps}), got ${s.decaySteps}`,
      );
      if (s.microStepQuirk)
        need(
          Number.isInteger(s.microStepQuirk.accumulation) && s.microStepQuirk.accumulation >= 1,
          `microStepQuirk.accumulation must be an integer >= 1, got ${s.microStepQuirk.accumulation}`,
        );
      break;
    case 'wsd':
      need(nonNeg(s.peakLr), `peakLr must be >= 0, got ${s.peakLr}`);
      need(nonNeg(s.minLr) && s.minLr <= s.peakLr, `minLr must be in [0, peakLr], got ${s.minLr}`);
      need(intNonNeg(s.warmupSteps), `warmupSteps must be an integer >= 0, got ${s.warmupSteps}`);
      need(intNonNeg(s.stableSteps), `stableSteps must be an integer >= 0, got ${s.stableSteps}`);
      need(
        Number.isInteger(s.decaySteps) && s.decaySteps >= 1,
        `decaySteps must be an integer >= 1, got ${s.decaySteps}`,
      );
      if (s.decayShape !== undefined)
        need(
          ['linear', 'cosine', 'sqrt'].includes(s.decayShape),
          `decayShape must be linear, cosine or sqrt, got ${s.decayShape}`,
        );
      break;
    default:
      throw new RangeError(`schedule kind must be cosine, wsd or constant, got ${(s as { kind: unknown }).kind}`);
  }
  return s;
}
