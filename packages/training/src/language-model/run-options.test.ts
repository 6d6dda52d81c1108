import { describe, expect, it } from 'vitest';
import { LanguageModelShapeError } from './model-shape.js';
import {
  DEFAULT_WARMUP,
  LANGUAGE_MODEL_WEIGHT_DECAY,
  type LanguageModelRunSettings,
  LanguageModelSettingsError,
  languageModelRunOptions,
} from './run-options.js';
import { stepsPerEpoch } from './token-windows.js';

const SETTINGS: LanguageModelRunSettings = {
  layers: 1,
  modelDim: 16,
  heads: 2,
  hiddenDim: 32,
  context: 16,
  batchSize: 8,
  length: { steps: 200 },
  seed: 3,
};

describe('languageModelRunOptions', () => {
  it("fills in the reference recipe's defaults", () => {
    const options = languageModelRunOptions(SETTINGS, 128, 10_000);
    expect(options).toMatchObject({
      shape: { vocabSize: 128, modelDim: 16, heads: 2, hiddenDim: 32, context: 16, layers: 1, gate: 'none' },
      steps: 200,
      sampling: { kind: 'random' },
      warmupSteps: DEFAULT_WARMUP,
      weightDecay: LANGUAGE_MODEL_WEIGHT_DECAY,
      learningRate: 1e-3,
      seed: 3,
    });
  });

  it('warms up for one step fewer than a run shorter than the default warm-up', () => {
    expect(languageModelRunOptions({ ...SETTINGS, length: { steps: 10 } }, 128, 0).warmupSteps).toBe(9);
  });

  it('counts epochs as passes over the training stream in windows', () => {
    const options = languageModelRunOptions({ ...SETTINGS, length: { epochs: 3 } }, 128, 10_000);
    expect(options.steps).toBe(3 * stepsPerEpoch(10_000, 16, 8));
    expect(options.sampling).toEqual({ kind: 'epochs' });
  });

  it('names the setting at fault', () => {
    expect(() => languageModelRunOptions({ ...SETTINGS, heads: 3 }, 128, 0)).toThrow(LanguageModelShapeError);
    expect(() => languageModelRunOptions({ ...SETTINGS, warmupSteps: 200 }, 128, 0)).toThrow(
      new LanguageModelSettingsError(
        'warmupSteps',
        'not fewer than the 200 optimiser steps of the run; the warm-up must end before the run does',
      ),
    );
  });
});
