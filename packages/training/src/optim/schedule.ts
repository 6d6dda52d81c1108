/** The learning rate for each optimiser step; `step` counts the steps already taken (0 for the first). */
export interface LearningRateSchedule {
  learningRateAt(step: number): number;
}

export interface CosineScheduleOptions {
  /** η_max: the rate the warm-up reaches and the cosine starts from. */
  baseLr: number;
  /** T: optimiser steps in the run, warm-up included. */
  totalSteps: number;
  /**
   * K: optimiser steps between moves of the cosine (1: every step; the steps per epoch: once an
   * epoch, as the reference code steps CosineAnnealingLR). Divides totalSteps; default 1.
   */
  annealEvery?: number;
  /** η_min; default 0. */
  minLr?: number;
  /** W: optimiser steps of linear warm-up at the start, fewer than totalSteps; default 0. */
  warmupSteps?: number;
  /** f: the warm-up starts at this share of the cosine's rate (in [0, 1]); default 0. */
  warmupStartFactor?: number;
}

/** A schedule that cannot be laid out; `setting` names the option at fault, `problem` says what is wrong. */
export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
  constructor(
    readonly setting: string,
    readonly problem: string,
  ) {
    super(`${setting}: ${problem}`);
  }
}

/**
 * Cosine annealing moved every K optimiser steps, times a linear warm-up over the first W optimiser
 * steps. With P = T / K cosine positions, for the optimiser step s (0 for the first):
 *   p(s)  = min(⌊s / K⌋, P)
 *   c(s)  = η_min + (η_max − η_min) · (1 + cos(π p(s) / P)) / 2
 *   w(s)  = f + (1 − f) · s / W   for s < W,   1 after
 *   lr(s) = w(s) · c(s)
 * So the warm-up is counted in optimiser steps whatever K is, and the cosine keeps its position in
 * epochs (K = steps per epoch) even when the warm-up ends mid-epoch. In PyTorch this is
 * LambdaLR(λ(s) = lr(s) / η_max) stepped after every optimiser step; with η_min = 0 and f > 0 it is
 * also LinearLR(start_factor = f, total_iters = W) stepped every optimiser step chained with
 * CosineAnnealingLR(T_max = P) stepped every K (the reference's per-epoch cosine, K = steps per epoch).
 * Past T the rate stays η_min (PyTorch's cosine would climb again). Computed from the closed form, so
 * a resumed run gets the same rate as an uninterrupted one.
 */
export function cosineSchedule(options: CosineScheduleOptions): LearningRateSchedule {
  const { baseLr, totalSteps } = options;
  const annealEvery = options.annealEvery ?? 1;
  const minLr = options.minLr ?? 0;
  const warmupSteps = options.warmupSteps ?? 0;
  const startFactor = options.warmupStartFactor ?? 0;
  if (!(Number.isFinite(baseLr) && baseLr >= 0)) {
    throw new ScheduleError('baseLr', `must be a finite number ≥ 0, got ${baseLr}`);
  }
  if (!(Number.isFinite(minLr) && minLr >= 0 && minLr <= baseLr)) {
    throw new ScheduleError('minLr', `must be in [0, baseLr = ${baseLr}], got ${minLr}`);
  }
  if (!(Number.isSafeInteger(totalSteps) && totalSteps >= 1)) {
    throw new ScheduleError('totalSteps', `must be an integer ≥ 1, got ${totalSteps}`);
  }
  if (!(Number.isSafeInteger(annealEvery) && annealEvery >= 1 && totalSteps % annealEvery === 0)) {
    throw new ScheduleError(
      'annealEvery',
      `must be an integer ≥ 1 that divides totalSteps = ${totalSteps}, got ${annealEvery}`,
    );
  }
  if (!(Number.isSafeInteger(warmupSteps) && warmupSteps >= 0 && warmupSteps < totalSteps)) {
    throw new ScheduleError(
      'warmupSteps',
      `must be a whole number of optimiser steps in [0, totalSteps = ${totalSteps}), got ${warmupSteps}`,
    );
  }
  if (!(Number.isFinite(startFactor) && startFactor >= 0 && startFactor <= 1)) {
    throw new ScheduleError('warmupStartFactor', `must be in [0, 1], got ${startFactor}`);
  }
  const positions = totalSteps / annealEvery;

  return {
    learningRateAt(step: number): number {
      checkStep(step);
      const position = Math.min(Math.floor(step / annealEvery), positions);
      const cosine = minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * position) / positions))) / 2;
      if (step >= warmupSteps) return cosine;
      return (startFactor + ((1 - startFactor) * step) / warmupSteps) * cosine;
    },
  };
}

export interface LinearScheduleOptions {
  /** η_max: the rate the warm-up reaches and the decay starts from. */
  baseLr: number;
  /** T: optimiser steps in the run, warm-up included. */
  totalSteps: number;
  /** W: optimiser steps of linear warm-up from 0, fewer than totalSteps; default 0. */
  warmupSteps?: number;
}

/**
 * HF transformers' linear schedule (get_linear_schedule_with_warmup, the Trainer's default, which
 * the reference language models were trained with): for the optimiser step s (0 for the first),
 *   lr(s) = η_max · s / W              for s < W
 *   lr(s) = η_max · max(0, (T − s) / (T − W))   after,
 * so the first step has rate 0 and the rate reaches 0 at T. In PyTorch, LambdaLR with that λ,
 * stepped after every optimiser step (make_lm.py's schedule).
 */
export function linearSchedule(options: LinearScheduleOptions): LearningRateSchedule {
  const { baseLr, totalSteps } = options;
  const warmupSteps = options.warmupSteps ?? 0;
  if (!(Number.isFinite(baseLr) && baseLr >= 0)) {
    throw new ScheduleError('baseLr', `must be a finite number ≥ 0, got ${baseLr}`);
  }
  if (!(Number.isSafeInteger(totalSteps) && totalSteps >= 1)) {
    throw new ScheduleError('totalSteps', `must be an integer ≥ 1, got ${totalSteps}`);
  }
  if (!(Number.isSafeInteger(warmupSteps) && warmupSteps >= 0 && warmupSteps < totalSteps)) {
    throw new ScheduleError(
      'warmupSteps',
      `must be a whole number of optimiser steps in [0, totalSteps = ${totalSteps}), got ${warmupSteps}`,
    );
  }
  return {
    learningRateAt(step: number): number {
      checkStep(step);
      if (step < warmupSteps) return (baseLr * step) / warmupSteps;
      return baseLr * Math.max(0, (totalSteps - step) / (totalSteps - warmupSteps));
    },
  };
}

/** The same rate at every step. */
export function constantSchedule(lr: number): LearningRateSchedule {
  if (!(Number.isFinite(lr) && lr >= 0))
    throw new ScheduleError('lr', `must be a finite number ≥ 0, got ${lr}`);
  return {
    learningRateAt(step: number): number {
      checkStep(step);
      return lr;
    },
  };
}

function checkStep(step: number): void {
  if (!(Number.isSafeInteger(step) && step >= 0)) {
    throw new ScheduleError('step', `must be an integer ≥ 0, got ${step}`);
  }
}
