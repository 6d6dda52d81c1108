import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runSchedule, runSteps } from '../train/run-schedule.js';
import { constantSchedule, cosineSchedule, linearSchedule, ScheduleError } from './schedule.js';

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

  it('warm-up ramps linearly over optimiser steps, multiplying the cosine, also past an epoch boundary', () => {
    // T = 12 steps, K = 4 steps per epoch (P = 3 epochs), W = 6: the warm-up ends in the second epoch.
    // By hand: c = 0.4 · (1 + cos(π p / 3)) / 2 is 0.4, 0.3, 0.1, 0 for epochs p = 0..3, and
    // w = s / 6 for s < 6, so lr = 0, 0.4/6, 0.8/6, 0.2 in epoch 0, then 0.3 · 4/6, 0.3 · 5/6, 0.3, 0.3.
    const schedule = cosineSchedule({ baseLr: 0.4, totalSteps: 12, annealEvery: 4, warmupSteps: 6 });
    const expected = [0, 0.4 / 6, 0.8 / 6, 0.2, 0.2, 0.25, 0.3, 0.3, 0.1, 0.1, 0.1, 0.1, 0, 0];
    expectClose(
      expected.map((_, s) => schedule.learningRateAt(s)),
      expected,
      1e-15,
    );

    const fromTenth = cosineSchedule({ baseLr: 1, totalSteps: 10, warmupSteps: 2, warmupStartFactor: 0.1 });
    expect(fromTenth.learningRateAt(0)).toBeCloseTo(0.1, 15);
    // Stepped every step (K = 1): w(1) = 0.55 times c(1) = (1 + cos(π/10)) / 2.
    expect(fromTenth.learningRateAt(1)).toBeCloseTo((0.55 * (1 + Math.cos(Math.PI / 10))) / 2, 15);
    expect(fromTenth.learningRateAt(2)).toBeCloseTo((1 + Math.cos(Math.PI / 5)) / 2, 15);
  });

  it('without warm-up, moves once every K steps: the per-epoch cosine', () => {
    const schedule = cosineSchedule({ baseLr: 0.2, totalSteps: 6, annealEvery: 3 });
    expect([0, 1, 2, 3, 4, 5, 6].map((s) => schedule.learningRateAt(s))).toEqual([
      0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0,
    ]);
  });

  it('rejects bad settings and steps naming the setting', () => {
    expect(() => cosineSchedule({ baseLr: 1e-3, totalSteps: 0 })).toThrow(
      /^totalSteps: must be an integer ≥ 1/,
    );
    for (const warmupSteps of [10, 11, 1.5, -1]) {
      const bad = () => cosineSchedule({ baseLr: 1e-3, totalSteps: 10, warmupSteps });
      expect(bad).toThrow(ScheduleError);
      expect(bad).toThrow(
        /^warmupSteps: must be a whole number of optimiser steps in \[0, totalSteps = 10\)/,
      );
    }
    expect(() => cosineSchedule({ baseLr: 1e-3, totalSteps: 10, annealEvery: 3 })).toThrow(/^annealEvery/);
    expect(() => cosineSchedule({ baseLr: 1e-3, totalSteps: 10, minLr: 1e-2 })).toThrow(/^minLr/);
    expect(() => cosineSchedule({ baseLr: Number.NaN, totalSteps: 10 })).toThrow(ScheduleError);
    expect(() => cosineSchedule({ baseLr: 1e-3, totalSteps: 10 }).learningRateAt(-1)).toThrow(
      /^step: must be/,
    );
    expect(() => constantSchedule(1e-3).learningRateAt(0.5)).toThrow(/step: must be/);
    expect(constantSchedule(1e-3).learningRateAt(1000)).toBe(1e-3);
  });
});

describe("runSchedule: the trainer's schedule for a dataset", () => {
  it('counts optimiser steps as the trainer does, dropping the last partial batch', () => {
    expect(runSteps(1050, { epochs: 3, batchSize: 100 })).toEqual({
      samplesPerEpoch: 1000,
      stepsPerEpoch: 10,
      totalSteps: 30,
    });
    expect(runSteps(1050, { epochs: 3, batchSize: 100, dropLast: false }).totalSteps).toBe(33);
    // Fewer samples than one batch: one partial batch an epoch rather than none.
    expect(runSteps(60, { epochs: 4, batchSize: 100 }).totalSteps).toBe(4);
  });

  it('warms up over optimiser steps and anneals per epoch by default, per step on request', () => {
    const settings = { epochs: 2, batchSize: 100, learningRate: 1e-3, warmupSteps: 2 };
    const perEpoch = runSchedule(500, settings).schedule;
    // Epoch 0: w = 0, 1/2, then 1 times c = 1e-3; epoch 1: c = 1e-3 · (1 + cos(π/2)) / 2.
    expectClose(
      Array.from({ length: 10 }, (_, s) => perEpoch.learningRateAt(s)),
      [0, 5e-4, 1e-3, 1e-3, 1e-3, 5e-4, 5e-4, 5e-4, 5e-4, 5e-4],
      1e-18,
    );
    const perStep = runSchedule(500, { ...settings, scheduleEvery: 'step' }).schedule;
    expect(perStep.learningRateAt(1)).toBeCloseTo((0.5e-3 * (1 + Math.cos(Math.PI / 10))) / 2, 18);
    expect(perStep.learningRateAt(5)).toBeCloseTo(5e-4, 18);
  });

  it("refuses a warm-up as long as the run, naming the setting and the run's optimiser steps", () => {
    const settings = { epochs: 2, batchSize: 100, learningRate: 1e-3, warmupSteps: 10 };
    expect(() => runSchedule(500, settings)).toThrow(
      'warmupSteps: 10 is not fewer than the 10 optimiser steps of the run (2 epochs × 5 steps: ' +
        '500 training samples in batches of 100); the warm-up counts optimiser steps and must end before the run does',
    );
    expect(() => runSchedule(550, { ...settings, warmupSteps: 99 })).toThrow(
      /99 is not fewer than the 10 optimiser steps .*500 of the 550 training samples in whole batches of 100/,
    );
    expect(runSchedule(500, { ...settings, warmupSteps: 9 }).steps.totalSteps).toBe(10);
    expect(() => runSchedule(0, settings)).toThrow(/^trainCount: /);
    expect(() => runSchedule(500, { ...settings, batchSize: 0 })).toThrow(/^batchSize: /);
  });
});

const NUMPY_COSINE = `
import sys, json, numpy as np
d = json.load(sys.stdin)
t = np.arange(d['steps'] + 1, dtype=np.float64)
T = d['total']
print(json.dumps((d['min'] + (d['base'] - d['min']) * (1 + np.cos(np.pi * t / T)) / 2).tolist()))
`;

/**
 * The rate of each optimiser step in a training loop over epochs and batches, written as a PyTorch
 * user would: the epoch's CosineAnnealingLR value (closed form, stepped once an epoch) times a linear
 * warm-up counted in batches.
 */
const NUMPY_EPOCH_LOOP = `
import sys, json, numpy as np
out = []
for d in json.load(sys.stdin):
    base, eta_min, epochs, batches, w, f = d['base'], d['min'], d['epochs'], d['batches'], d['warmup'], d['start']
    rates, step = [], 0
    for epoch in range(epochs):
        cosine = eta_min + (base - eta_min) * (1 + np.cos(np.pi * epoch / epochs)) / 2
        for _ in range(batches):
            warm = f + (1 - f) * step / w if step < w else 1.0
            rates.append(float(warm * cosine))
            step += 1
    rates.append(float(eta_min))
    out.append(rates)
print(json.dumps(out))
`;

/**
 * The rate torch's optimiser holds before each step: LinearLR stepped after every optimiser step
 * chained with CosineAnnealingLR(T_max = epochs) stepped after every epoch ('chained', η_min = 0 and
 * f > 0), or LambdaLR with the documented λ stepped after every optimiser step ('lambda').
 */
const TORCH_SCHEDULE = `
import sys, json, math, warnings, torch
warnings.simplefilter('ignore')
out = []
for d in json.load(sys.stdin):
    base, eta_min, E, K, w, f = d['base'], d['min'], d['epochs'], d['batches'], d['warmup'], d['start']
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base)
    per_step, per_epoch = [], []
    if d['form'] == 'chained':
        if w > 0:
            per_step.append(torch.optim.lr_scheduler.LinearLR(opt, start_factor=f, total_iters=w))
        per_epoch.append(torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=E))
    else:
        def factor(s):
            warm = f + (1 - f) * s / w if s < w else 1.0
            return warm * (eta_min / base + (1 - eta_min / base) * (1 + math.cos(math.pi * min(s // K, E) / E)) / 2)
        per_step.append(torch.optim.lr_scheduler.LambdaLR(opt, factor))
    rates = []
    for epoch in range(E):
        for _ in range(K):
            rates.append(opt.param_groups[0]['lr'])
            opt.step()
            for sched in per_step:
                sched.step()
        for sched in per_epoch:
            sched.step()
    rates.append(opt.param_groups[0]['lr'])
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

  it('with warm-up, equals a numpy loop over epochs and batches at every step', () => {
    const cases = [
      { base: 1e-3, min: 0, epochs: 5, batches: 4, warmup: 2, start: 0 },
      // Warm-up ends mid-epoch, three epochs in.
      { base: 2e-3, min: 1e-5, epochs: 8, batches: 7, warmup: 17, start: 0.01 },
      { base: 0.5, min: 0.05, epochs: 3, batches: 1, warmup: 2, start: 0.25 },
    ];
    const references = python<number[][]>('python3', NUMPY_EPOCH_LOOP, cases);
    cases.forEach((settings, i) => {
      expectClose(ratesOf(settings), references[i] as number[], 1e-15 * settings.base);
    });
  });

  it.skipIf(!hasTorch)(
    'follows torch: LinearLR per step chained with CosineAnnealingLR per epoch, and LambdaLR',
    () => {
      // torch's chainable form accumulates rounding, hence 1e-12 of the base rate rather than exact equality.
      const cases = [
        { form: 'chained', base: 1e-3, min: 0, epochs: 20, batches: 10, warmup: 0, start: 1 },
        { form: 'chained', base: 2e-3, min: 0, epochs: 12, batches: 10, warmup: 25, start: 0.01 },
        { form: 'chained', base: 0.5, min: 0, epochs: 31, batches: 1, warmup: 7, start: 0.25 },
        { form: 'lambda', base: 1e-3, min: 1e-5, epochs: 6, batches: 5, warmup: 8, start: 0 },
      ];
      const references = python<number[][]>(TORCH_PYTHON, TORCH_SCHEDULE, cases);
      cases.forEach((settings, i) => {
        expectClose(ratesOf(settings), references[i] as number[], 1e-12 * settings.base);
      });
    },
  );
});

/** Our rate at every optimiser step of a run of `epochs` × `batches` steps, and one step past it. */
function ratesOf(settings: {
  base: number;
  min: number;
  epochs: number;
  batches: number;
  warmup: number;
  start: number;
}): number[] {
  const totalSteps = settings.epochs * settings.batches;
  const schedule = cosineSchedule({
    baseLr: settings.base,
    totalSteps,
    annealEvery: settings.batches,
    minLr: settings.min,
    warmupSteps: settings.warmup,
    warmupStartFactor: settings.start,
  });
  return Array.from({ length: totalSteps + 1 }, (_, s) => schedule.learningRateAt(s));
}

/** make_lm.py's schedule: LambdaLR(λ(s) = s / W if s < W else max(0, (T − s) / (T − W))), stepped per step. */
const TORCH_LINEAR = `
import sys, json, warnings, torch
warnings.simplefilter('ignore')
out = []
for d in json.load(sys.stdin):
    base, T, W = d['base'], d['total'], d['warmup']
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=base, betas=(0.9, 0.95), weight_decay=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s / W if s < W else max(0.0, (T - s) / (T - W)))
    rates = []
    for _ in range(T + 2):
        rates.append(opt.param_groups[0]['lr'])
        opt.step()
        sched.step()
    out.append(rates)
print(json.dumps(out))
`;

describe('linearSchedule (HF Trainer and make_lm.py)', () => {
  it('warms up from 0 over W steps, then decays linearly to 0 at T and stays there', () => {
    const schedule = linearSchedule({ baseLr: 3e-3, totalSteps: 400, warmupSteps: 50 });
    expect(schedule.learningRateAt(0)).toBe(0);
    expect(schedule.learningRateAt(25)).toBeCloseTo(1.5e-3, 18);
    expect(schedule.learningRateAt(50)).toBe(3e-3);
    expect(schedule.learningRateAt(225)).toBeCloseTo(1.5e-3, 18);
    expect(schedule.learningRateAt(400)).toBe(0);
    expect(schedule.learningRateAt(401)).toBe(0);
    expect(linearSchedule({ baseLr: 1, totalSteps: 4 }).learningRateAt(0)).toBe(1);
  });

  it('refuses a warm-up as long as the run and a negative rate, naming the setting', () => {
    expect(() => linearSchedule({ baseLr: 1e-3, totalSteps: 50, warmupSteps: 50 })).toThrow(/^warmupSteps: /);
    expect(() => linearSchedule({ baseLr: -1, totalSteps: 50 })).toThrow(/^baseLr: /);
    expect(() => linearSchedule({ baseLr: 1e-3, totalSteps: 0 })).toThrow(/^totalSteps: /);
  });

  it.skipIf(!hasTorch)("equals torch's LambdaLR as make_lm.py sets it up, at every step", () => {
    const cases = [
      { base: 3e-3, total: 400, warmup: 50 },
      { base: 1e-3, total: 37, warmup: 0 },
      { base: 0.5, total: 9, warmup: 8 },
    ];
    const references = python<number[][]>(TORCH_PYTHON, TORCH_LINEAR, cases);
    cases.forEach(({ base, total, warmup }, i) => {
      const schedule = linearSchedule({ baseLr: base, totalSteps: total, warmupSteps: warmup });
      const ours = Array.from({ length: total + 2 }, (_, s) => schedule.learningRateAt(s));
      expectClose(ours, references[i] as number[], 1e-15 * base);
    });
  });
});
