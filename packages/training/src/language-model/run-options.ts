// A language-model run's options from the settings a person gives (the CLI's flags, the platform's
// training request): the defaults of the reference recipe filled in and every rule checked here, so
// that both say the same thing about the same mistake. Loads no TensorFlow.js (the API imports it).
import type { Gate } from '@bilinear-lab/core';
import { type LanguageModelShape, languageModelShape } from './model-shape.js';

export { LanguageModelShapeError } from './model-shape.js';

import { stepsPerEpoch } from './token-windows.js';
import type { LanguageModelTrainingOptions } from './train-language-model.js';

/** The reference recipe's warm-up (HF TrainingArguments warmup_steps in the authors' code). */
export const DEFAULT_WARMUP = 50;
/** The language-model recipe's weight decay (the image models' default is 0.5). */
export const LANGUAGE_MODEL_WEIGHT_DECAY = 0.1;
export const LANGUAGE_MODEL_LEARNING_RATE = 1e-3;

export interface LanguageModelRunSettings {
  layers: number;
  modelDim: number;
  heads: number;
  hiddenDim: number;
  context: number;
  gate?: Gate;
  /** Windows of `context` tokens per optimiser step. */
  batchSize: number;
  /** Optimiser steps, or passes over the training stream cut into windows. */
  length: { steps: number } | { epochs: number };
  learningRate?: number;
  /** Default: DEFAULT_WARMUP, or one step fewer than a shorter run. */
  warmupSteps?: number;
  /** Default LANGUAGE_MODEL_WEIGHT_DECAY. */
  weightDecay?: number;
  seed: number;
}

/** A setting the run cannot have; `setting` names it as LanguageModelRunSettings does. */
export class LanguageModelSettingsError extends Error {
  override readonly name = 'LanguageModelSettingsError';
  constructor(
    readonly setting: keyof LanguageModelRunSettings | keyof LanguageModelShape,
    readonly problem: string,
  ) {
    super(`${setting}: ${problem}`);
  }
}

/**
 * The trainer's options for a fresh run on a tokenizer of `vocabSize` tokens and a training stream
 * of `trainTokens` (needed only for `epochs`). Throws LanguageModelShapeError for a shape the
 * transformer cannot have and LanguageModelSettingsError for the schedule.
 */
export function languageModelRunOptions(
  settings: LanguageModelRunSettings,
  vocabSize: number,
  trainTokens: number,
): LanguageModelTrainingOptions {
  const shape = languageModelShape({
    vocabSize,
    modelDim: settings.modelDim,
    hiddenDim: settings.hiddenDim,
    layers: settings.layers,
    heads: settings.heads,
    context: settings.context,
    gate: settings.gate ?? 'none',
  });
  const byEpochs = 'epochs' in settings.length;
  const steps =
    'epochs' in settings.length
      ? settings.length.epochs * stepsPerEpoch(trainTokens, shape.context, settings.batchSize)
      : settings.length.steps;
  const warmupSteps = settings.warmupSteps ?? Math.min(DEFAULT_WARMUP, steps - 1);
  if (warmupSteps >= steps) {
    throw new LanguageModelSettingsError(
      'warmupSteps',
      `not fewer than the ${steps} optimiser steps of the run; the warm-up must end before the run does`,
    );
  }
  return {
    shape,
    batchSize: settings.batchSize,
    steps,
    sampling: { kind: byEpochs ? 'epochs' : 'random' },
    learningRate: settings.learningRate ?? LANGUAGE_MODEL_LEARNING_RATE,
    warmupSteps,
    weightDecay: settings.weightDecay ?? LANGUAGE_MODEL_WEIGHT_DECAY,
    seed: settings.seed,
  };
}
