import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { constantSchedule, cosineSchedule, ScheduleError } from './schedule.js';

function expectClose(actual: readonly number[], expected: readonly number[], tolerance: number) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, t) => {
    if (!(Math.abs(value - (expected[t] as number)) <= tolerance)) {
      expect.fail(`step ${t}: ${value} vs ${expected[t]}`);
    }
  });
}

describe('cosineSchedule values', () => {
  it('without warm-up: base at 0, the midpoint at T/2, minLr at T and after', () => {
    const schedule = cosineSchedule({ baseLr: 1e-3, totalSteps: 100, minLr: 1e-5 });
    expect(schedule.learningRateAt(0)).toBe(1e-3);
    expect(schedule.learningRateAt(50)).toBeCloseTo((1e-3 + 1e-5) / 2, 15);
    // t = 25: η_min + (η_max − η_min)(1 + cos(π/4))/2 = 1e-5 + 0.99e-3 · (1 + √2/2)/2.
    expect(schedule.learningRateAt(25)).toBeCloseTo(1e-5 + (0.99e-3 * (1 + Math.SQRT1_2)) / 2, 15);
    expect(schedule.learningRateAt(100)).toBeCloseTo(1e-5, 15);
    expect(schedule.learningRateAt(250)).toBe(1e-5);
  });

  it('minLr defaults to 0 and the rate never increases', () => {
    const schedule = cosineSchedule({ baseLr: 0.1, totalSteps: 7 });
    const rates = Array.from({ length: 9 }, (_, t) => schedule.learningRateAt(t));
    expect(rates[7]).toBeCloseTo(0, 15);
    for (let t = 1; t < rates.length; t++) expect(rates[t]).toBeLessThanOrEqual(rates[t - 1] as number);
  });

  it('warm-up ramps linearly from baseLr × start factor to baseLr, then the cosine runs over T − w', () => {
    const fromZero = cosineSchedule({ baseLr: 0.4, totalSteps: 14, warmupSteps: 4 });
    expect([0, 1, 2, 3, 4].map((t) => fromZero.learningRateAt(t))).toEqual([
      0, 0.1, 0.2, 0.30000000000000004, 0.4,
    ]);
    // Cosine over T − w = 10 steps: its midpoint is step 4 + 5.
    expect(fromZero.learningRateAt(9)).toBeCloseTo(0.2, 15);
    expect(fromZero.learningRateAt(14)).toBeCloseTo(0, 15);

    const fromTenth = cosineSchedule({ baseLr: 1, totalSteps: 10, warmupSteps: 2, warmupStartFactor: 0.1 });
    expect(fromTenth.learningRateAt(0)).toBeCloseTo(0.1, 15);
    expect(fromTenth.learningRateAt(1)).toBeCloseTo(0.55, 15);
    expect(fromTenth.learningRateAt(2)).toBe(1);
  });

  it('rejects bad settings and steps with a message that says which', () => {
    expect(() => cosineSchedule({ baseLr: 1e-3, totalSteps: 0 })).toThrow(
      /totalSteps must be an integer ≥ 1/,
    );
    expect(() => cosineSchedule({ baseLr: 1e-3, totalSteps: 10, warmupSteps: 11 })).toThrow(/warmupSteps/);
    expect(() => cosineSchedule({ baseLr: 1e-3, totalSteps: 10, minLr: 1e-2 })).toThrow(/minLr/);
    expect(() => cosineSchedule({ baseLr: Number.NaN, totalSteps: 10 })).toThrow(ScheduleError);
    expect(() => cosineSchedule({ baseLr: 1e-3, totalSteps: 10 }).learningRateAt(-1)).toThrow(/step must be/);
    expect(() => constantSchedule(1e-3).learningRateAt(0.5)).toThrow(/step must be/);
    expect(constantSchedule(1e-3).learningRateAt(1000)).toBe(1e-3);
  });
});

const NUMPY_COSINE = `
import sys, json, numpy as np
d = json.load(sys.stdin)
t = np.arange(d['steps'] + 1, dtype=np.float64)
T = d['total']
print(json.dumps((d['min'] + (d['base'] - d['min']) * (1 + np.cos(np.pi * t / T)) / 2).tolist()))
`;

/** The rate torch's optimiser holds before each step (warm-up via SequentialLR when w > 0), per setting. */
const TORCH_SCHEDULE = `
import sys, json, warnings, torch
warnings.simplefilter('ignore')
out = []
for d in json.load(sys.stdin):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=d['base'])
    w, T = d['warmup'], d['total']
    if w == 0:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=T, eta_min=d['min'])
    else:
        warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=d['start'], total_iters=w)
        cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=T - w, eta_min=d['min'])
        sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[w])
    rates = []
    for _ in range(T + 1):
        rates.append(opt.param_groups[0]['lr'])
        opt.step()
        sched.step()
    out.append(rates)
print(json.dumps(out))
`;

const TORCH_PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

function python<T>(executable: string, script: string, input: unknown): T {
  return JSON.parse(
    execFileSync(executable, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8' }),
  ) as T;
}

describe('cosineSchedule against references', () => {
  it('equals the CosineAnnealingLR closed form computed by numpy at every step', () => {
    const [base, min, total] = [3e-3, 1e-4, 97];
    const ours = Array.from({ length: total + 1 }, (_, t) =>
      cosineSchedule({ baseLr: base, totalSteps: total, minLr: min }).learningRateAt(t),
    );
    expectClose(
      ours,
      python<number[]>('python3', NUMPY_COSINE, { base, min, total, steps: total }),
      1e-15 * base,
    );
  });

  it.skipIf(!hasTorch)(
    'follows torch CosineAnnealingLR, and LinearLR → CosineAnnealingLR for warm-up',
    () => {
      // torch's chainable form accumulates rounding, hence 1e-12 of the base rate rather than exact equality.
      const cases = [
        { base: 1e-3, min: 0, total: 200, warmup: 0, start: 1 },
        { base: 2e-3, min: 1e-5, total: 120, warmup: 10, start: 0.01 },
        { base: 0.5, min: 0.05, total: 31, warmup: 7, start: 0.25 },
      ];
      const references = python<number[][]>(TORCH_PYTHON, TORCH_SCHEDULE, cases);
      cases.forEach((settings, i) => {
        const schedule = cosineSchedule({
          baseLr: settings.base,
          totalSteps: settings.total,
          minLr: settings.min,
          warmupSteps: settings.warmup,
          warmupStartFactor: settings.start,
        });
        const ours = Array.from({ length: settings.total + 1 }, (_, t) => schedule.learningRateAt(t));
        expectClose(ours, references[i] as number[], 1e-12 * settings.base);
      });
    },
  );
});
