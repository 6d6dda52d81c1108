/** The learning rate for each optimiser step; `step` counts the steps already taken (0 for the first). */
export interface LearningRateSchedule {
  learningRateAt(step: number): number;
}

export interface CosineScheduleOptions {
  /** η_max: the rate the warm-up reaches and the cosine starts from. */
  baseLr: number;
  /** T: steps from the start (warm-up included) until the rate reaches minLr. */
  totalSteps: number;
  /** η_min; default 0. */
  minLr?: number;
  /** Linear warm-up steps at the start, part of totalSteps; default 0. */
  warmupSteps?: number;
  /** The warm-up starts at baseLr × this factor (in [0, 1]); default 0. */
  warmupStartFactor?: number;
}

export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

/**
 * Linear warm-up then cosine annealing, the values PyTorch gives for
 * SequentialLR([LinearLR(start_factor, total_iters = w), CosineAnnealingLR(T_max = T − w, eta_min)],
 * milestones = [w]), or plain CosineAnnealingLR(T_max = T) when there is no warm-up:
 *   t < w:       lr = η_max · (s + (1 − s) · t / w)
 *   w ≤ t ≤ T:   lr = η_min + (η_max − η_min) · (1 + cos(π (t − w) / (T − w))) / 2
 *   t > T:       lr = η_min (PyTorch's cosine would climb again; training past T is not meant to)
 * Computed from the closed form, so a resumed run gets the same rate as an uninterrupted one.
 */
export function cosineSchedule(options: CosineScheduleOptions): LearningRateSchedule {
  const { baseLr, totalSteps } = options;
  const minLr = options.minLr ?? 0;
  const warmupSteps = options.warmupSteps ?? 0;
  const startFactor = options.warmupStartFactor ?? 0;
  if (!(Number.isFinite(baseLr) && baseLr >= 0)) {
    throw new ScheduleError(`baseLr must be a finite number ≥ 0, got ${baseLr}`);
  }
  if (!(Number.isFinite(minLr) && minLr >= 0 && minLr <= baseLr)) {
    throw new ScheduleError(`minLr must be in [0, baseLr = ${baseLr}], got ${minLr}`);
  }
  if (!(Number.isSafeInteger(totalSteps) && totalSteps >= 1)) {
    throw new ScheduleError(`totalSteps must be an integer ≥ 1, got ${totalSteps}`);
  }
  if (!(Number.isSafeInteger(warmupSteps) && warmupSteps >= 0 && warmupSteps <= totalSteps)) {
    throw new ScheduleError(
      `warmupSteps must be an integer in [0, totalSteps = ${totalSteps}], got ${warmupSteps}`,
    );
  }
  if (!(Number.isFinite(startFactor) && startFactor >= 0 && startFactor <= 1)) {
    throw new ScheduleError(`warmupStartFactor must be in [0, 1], got ${startFactor}`);
  }
  const cosineSteps = totalSteps - warmupSteps;

  return {
    learningRateAt(step: number): number {
      checkStep(step);
      if (step < warmupSteps) return baseLr * (startFactor + ((1 - startFactor) * step) / warmupSteps);
      if (step >= totalSteps) return minLr;
      const t = step - warmupSteps;
      return minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * t) / cosineSteps))) / 2;
    },
  };
}

/** The same rate at every step. */
export function constantSchedule(lr: number): LearningRateSchedule {
  if (!(Number.isFinite(lr) && lr >= 0)) throw new ScheduleError(`lr must be a finite number ≥ 0, got ${lr}`);
  return {
    learningRateAt(step: number): number {
      checkStep(step);
      return lr;
    },
  };
}

function checkStep(step: number): void {
  if (!(Number.isSafeInteger(step) && step >= 0)) {
    throw new ScheduleError(`step must be an integer ≥ 0, got ${step}`);
  }
}
