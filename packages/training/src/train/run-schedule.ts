import { cosineSchedule, type LearningRateSchedule, ScheduleError } from '../optim/schedule.js';
import type { TrainingOptions } from './trainer.js';

/**
 * The default schedule (scheduleEvery 'epoch') in words, with the unit of each part: what the CLI and
 * the worker record as the "schedule" of a model's training settings.
 */
export const SCHEDULE_DESCRIPTION =
  'linear warm-up over warmup_steps optimiser steps, times a cosine stepped once per epoch (T_max = epochs)';

/** How a run's training samples fall into optimiser steps. */
export interface RunSteps {
  /** Samples each epoch trains on: all, or the whole batches when the last partial one is dropped. */
  samplesPerEpoch: number;
  stepsPerEpoch: number;
  /** Optimiser steps in the whole run: stepsPerEpoch × epochs. */
  totalSteps: number;
}

export type RunStepSettings = Pick<TrainingOptions, 'epochs' | 'batchSize' | 'dropLast'>;
export type RunScheduleSettings = RunStepSettings &
  Pick<TrainingOptions, 'learningRate' | 'warmupSteps' | 'scheduleEvery'>;

/** The optimiser steps of a run on `trainCount` training samples (the trainer's own count). */
export function runSteps(trainCount: number, settings: RunStepSettings): RunSteps {
  const { epochs, batchSize } = settings;
  for (const [setting, value] of [
    ['epochs', epochs],
    ['batchSize', batchSize],
  ] as const) {
    if (!(Number.isSafeInteger(value) && value >= 1)) {
      throw new ScheduleError(setting, `must be a whole number ≥ 1, got ${value}`);
    }
  }
  if (!(Number.isSafeInteger(trainCount) && trainCount >= 1)) {
    throw new ScheduleError(
      'trainCount',
      `the dataset has ${trainCount} training samples; it needs at least 1`,
    );
  }
  // As the reference DataLoader(drop_last = True), unless that would leave no batch at all.
  const dropLast = (settings.dropLast ?? true) && trainCount >= batchSize;
  const samplesPerEpoch = dropLast ? Math.floor(trainCount / batchSize) * batchSize : trainCount;
  const stepsPerEpoch = Math.ceil(samplesPerEpoch / batchSize);
  return { samplesPerEpoch, stepsPerEpoch, totalSteps: stepsPerEpoch * epochs };
}

/**
 * The learning-rate schedule the trainer follows on `trainCount` training samples: cosineSchedule
 * with T = the run's optimiser steps, K = the steps per epoch (scheduleEvery 'epoch', the default)
 * or 1 ('step'), W = warmupSteps optimiser steps from f = 0. Throws ScheduleError naming the setting
 * when the run cannot have that schedule (a warm-up as long as the run). Loads no TensorFlow.js, so
 * the API, the CLI and the worker check a run's settings with it before any work starts.
 */
export function runSchedule(
  trainCount: number,
  settings: RunScheduleSettings,
): { steps: RunSteps; schedule: LearningRateSchedule } {
  const steps = runSteps(trainCount, settings);
  const warmupSteps = settings.warmupSteps ?? 0;
  if (!(Number.isSafeInteger(warmupSteps) && warmupSteps >= 0)) {
    throw new ScheduleError(
      'warmupSteps',
      `must be a whole number of optimiser steps ≥ 0, got ${warmupSteps}`,
    );
  }
  if (warmupSteps >= steps.totalSteps) {
    const { epochs, batchSize } = settings;
    throw new ScheduleError(
      'warmupSteps',
      `${warmupSteps} is not fewer than the ${steps.totalSteps} optimiser steps of the run ` +
        `(${epochs} epoch${epochs === 1 ? '' : 's'} × ${steps.stepsPerEpoch} step${steps.stepsPerEpoch === 1 ? '' : 's'}: ` +
        `${batches(trainCount, steps.samplesPerEpoch, batchSize)}); ` +
        'the warm-up counts optimiser steps and must end before the run does',
    );
  }
  const perEpoch = (settings.scheduleEvery ?? 'epoch') === 'epoch';
  const schedule = cosineSchedule({
    baseLr: settings.learningRate,
    totalSteps: steps.totalSteps,
    annealEvery: perEpoch ? steps.stepsPerEpoch : 1,
    warmupSteps,
  });
  return { steps, schedule };
}

function batches(trainCount: number, used: number, batchSize: number): string {
  return used === trainCount
    ? `${trainCount} training samples in batches of ${batchSize}`
    : `${used} of the ${trainCount} training samples in whole batches of ${batchSize}`;
}
