import type { Gate, ModelConfig } from '@bilinear-lab/core';
import { SCHEDULE_DESCRIPTION, type TrainingOptions } from '@bilinear-lab/training';
import { CliInputError } from '../errors.js';

/**
 * What defines a training run, named as the `train` flags (camelCase): the dataset, the network
 * and the optimisation. Stored in checkpoints (snake_case) so that --resume continues the same run.
 */
export interface RunSettings {
  dataset: string;
  hidden: number;
  layers: number;
  residual: boolean;
  gate: Gate;
  epochs: number;
  batch: number;
  lr: number;
  weightDecay: number;
  /** Optimiser steps (batches) of linear warm-up. */
  warmupSteps: number;
  inputNoise: number;
  latentNoise: number;
  seed: number;
}

/** Settings a resumed run must keep: changing them would make a different run, not a continuation. */
export const FIXED_ON_RESUME = [
  'hidden',
  'layers',
  'residual',
  'gate',
  'batch',
  'lr',
  'weightDecay',
  'warmupSteps',
  'inputNoise',
  'latentNoise',
  'seed',
] as const satisfies readonly (keyof RunSettings)[];

/** The flag that sets a setting: weightDecay → --weight-decay. */
export function flagOf(key: keyof RunSettings): string {
  return `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/**
 * The engine's options; the schedule is the reference code's cosine, stepped once per epoch, after
 * a linear warm-up over the first --warmup-steps optimiser steps.
 */
export function trainingOptionsOf(settings: RunSettings, threads: number): TrainingOptions {
  return {
    hiddenDim: settings.hidden,
    layers: settings.layers,
    residual: settings.residual,
    gate: settings.gate,
    epochs: settings.epochs,
    batchSize: settings.batch,
    learningRate: settings.lr,
    weightDecay: settings.weightDecay,
    warmupSteps: settings.warmupSteps,
    inputNoise: settings.inputNoise,
    latentNoise: settings.latentNoise,
    seed: settings.seed,
    threads,
  };
}

/** How the model was trained, as the "training" object of its config JSON (read by PyTorch users too). */
export function settingsJson(settings: RunSettings, threads: number): Record<string, string | number> {
  return {
    dataset: settings.dataset,
    epochs: settings.epochs,
    batch_size: settings.batch,
    learning_rate: settings.lr,
    weight_decay: settings.weightDecay,
    warmup_steps: settings.warmupSteps,
    input_noise: settings.inputNoise,
    latent_noise: settings.latentNoise,
    seed: settings.seed,
    optimizer: 'AdamW',
    schedule: SCHEDULE_DESCRIPTION,
    threads,
  };
}

/**
 * The settings a checkpoint was written with: the network from its model config, the rest from its
 * training options (as settingsJson wrote them). Throws CliInputError at `where` when a field is
 * missing or malformed, e.g. for a checkpoint written by another program.
 */
export function settingsFromCheckpoint(
  config: ModelConfig,
  stored: unknown,
  where: string,
): { settings: RunSettings; threads: number | null } {
  const fail = (what: string): never => {
    throw new CliInputError(
      `${where}: the checkpoint's training options ${what}, so the run cannot be continued`,
    );
  };
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) {
    return fail('are not a JSON object');
  }
  const options = stored as Record<string, unknown>;
  const number = (key: string, check: (value: number) => boolean): number => {
    const value = options[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) {
      return fail(`have "${key}" = ${JSON.stringify(value) ?? 'nothing'}`);
    }
    return value;
  };
  const whole = (value: number) => Number.isSafeInteger(value) && value >= 1;
  const whole0 = (value: number) => Number.isSafeInteger(value) && value >= 0;
  const dataset = options.dataset;
  if (typeof dataset !== 'string' || dataset === '') return fail('name no dataset');
  const threads = options.threads;
  return {
    settings: {
      dataset,
      hidden: config.hiddenDim,
      layers: config.layers,
      residual: config.residual,
      gate: config.gate,
      epochs: number('epochs', whole),
      batch: number('batch_size', whole),
      lr: number('learning_rate', (value) => value > 0),
      weightDecay: number('weight_decay', (value) => value >= 0),
      // Checkpoints from before the flag existed trained without warm-up.
      warmupSteps: options.warmup_steps === undefined ? 0 : number('warmup_steps', whole0),
      inputNoise: number('input_noise', (value) => value >= 0),
      latentNoise: number('latent_noise', (value) => value >= 0),
      seed: number('seed', (value) => Number.isSafeInteger(value) && value >= 0),
    },
    threads: typeof threads === 'number' && Number.isSafeInteger(threads) && threads >= 1 ? threads : null,
  };
}
