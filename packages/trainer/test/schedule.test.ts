import { expect, it } from 'vitest';
import { learningRate, steelGetLr, validateSchedule } from '../src/index.js';

it("Steel's cosine: spec §3.2 numbers (warmup 1000 steps x 8, decay to 1,080,000 steps, min 0)", () => {
  const s = {
    kind: 'cosine' as const,
    peakLr: 3e-4,
    minLr: 0,
    warmupSteps: 1000,
    decaySteps: 1_080_000,
    microStepQuirk: { accumulation: 8 },
  };
  // optimizer step s uses get_lr(8s - 1) on micro-steps
  expect(learningRate(s, 1)).toBeCloseTo((3e-4 * 7) / 8000, 15);
  expect(learningRate(s, 1000)).toBeCloseTo((3e-4 * 7999) / 8000, 15);
  expect(learningRate(s, 1001)).toBeLessThanOrEqual(3e-4);
  // spec: lr(step 860,000) ~ 2.97e-5 with these constants
  expect(learningRate(s, 860_000)).toBeCloseTo(2.97e-5, 7);
  expect(learningRate(s, 1_080_001)).toBe(0);
  // half-way through the decay the cosine is at the mid-point
  const mid = (1000 + 1_080_000) / 2;
  expect(steelGetLr(mid, 3e-4, 0, 1000, 1_080_000)).toBeCloseTo(1.5e-4, 12);
});

it('cosine without the quirk: peak reached at the last warmup step, min after decay', () => {
  const s = { kind: 'cosine' as const, peakLr: 1, minLr: 0.1, warmupSteps: 10, decaySteps: 110 };
  expect(learningRate(s, 5)).toBeCloseTo(0.5, 12);
  expect(learningRate(s, 10)).toBe(1);
  expect(learningRate(s, 60)).toBeCloseTo(0.55, 12);
  expect(learningRate(s, 110)).toBeCloseTo(0.1, 12);
  expect(learningRate(s, 500)).toBe(0.1);
});

it('WSD: warmup, stable at peak, then annealing (linear, cosine, 1-sqrt), then min', () => {
  const base = { kind: 'wsd' as const, peakLr: 2, minLr: 0, warmupSteps: 4, stableSteps: 10, decaySteps: 4 };
  expect(learningRate(base, 1)).toBe(0.5);
  expect(learningRate(base, 4)).toBe(2);
  expect(learningRate(base, 14)).toBe(2);
  expect(learningRate(base, 15)).toBe(1.5);
  expect(learningRate(base, 16)).toBe(1);
  expect(learningRate(base, 18)).toBe(0);
  expect(learningRate({ ...base, decayShape: 'cosine' }, 16)).toBeCloseTo(1, 12);
  expect(learningRate({ ...base, decayShape: 'sqrt' }, 15)).toBeCloseTo(2 * (1 - Math.sqrt(0.25)), 12);
});

it('constant, with optional warmup; bad schedules are refused with the field named', () => {
  expect(learningRate({ kind: 'constant', lr: 3 }, 7)).toBe(3);
  expect(learningRate({ kind: 'constant', lr: 3, warmupSteps: 3 }, 1)).toBe(1);
  expect(() => learningRate({ kind: 'constant', lr: 3 }, 0)).toThrow(/step must be an integer >= 1/);
  expect(() => validateSchedule({ kind: 'cosine', peakLr: 1, minLr: 2, warmupSteps: 1, decaySteps: 5 })).toThrow(
    /minLr must be in \[0, peakLr\]/,
  );
  expect(() =>
    validateSchedule({ kind: 'wsd', peakLr: 1, minLr: 0, warmupSteps: 1, stableSteps: 1, decaySteps: 0 }),
  ).toThrow(/decaySteps/);
});
