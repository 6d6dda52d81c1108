import { importModel, languageModelLoss, parseSafetensors, seededRandom } from '@bilinear-lab/core';
import { describe, expect, it } from 'vitest';
import { linearSchedule, ScheduleError } from '../optim/schedule.js';
import { runOnWasmBackend } from '../testing/wasm-backend.js';
import { languageModelFolderFiles } from './model-folder.js';
import { languageModelShape } from './model-shape.js';
import { consecutiveWindows, TokenDataError, type TokenSplits } from './token-windows.js';
import {
  type LanguageModelStepMetrics,
  LanguageModelTrainingCancelledError,
  type LanguageModelTrainingOptions,
  type LanguageModelTrainingState,
  languageModelRunSteps,
  trainLanguageModel,
} from './train-language-model.js';

runOnWasmBackend();

/** A Markov chain over 16 tokens: next = 3·prev + 1 (mod 16) nine times in ten, else any token. */
function markovStream(length: number, seed: number): Int32Array {
  const random = seededRandom(seed);
  const tokens = new Int32Array(length);
  for (let i = 1; i < length; i++) {
    tokens[i] = random() < 0.9 ? (3 * (tokens[i - 1] as number) + 1) % 16 : Math.floor(random() * 16);
  }
  return tokens;
}

const DATA: TokenSplits = { train: markovStream(6000, 1), validation: markovStream(800, 2) };
const SHAPE = languageModelShape({
  vocabSize: 16,
  modelDim: 16,
  hiddenDim: 32,
  layers: 1,
  heads: 2,
  context: 16,
});
const BASE: LanguageModelTrainingOptions = {
  shape: SHAPE,
  batchSize: 8,
  steps: 60,
  learningRate: 1e-2,
  warmupSteps: 5,
  weightDecay: 0.1,
  seed: 4,
};

describe('trainLanguageModel', () => {
  it('learns a Markov chain well below the uniform loss, reporting every step on the schedule', async () => {
    const steps: LanguageModelStepMetrics[] = [];
    const result = await trainLanguageModel(DATA, BASE, { onStep: (metrics) => steps.push(metrics) });
    // Uniform: ln 16 = 2.77 nats; the chain's own entropy is about 0.5.
    expect(result.validationLoss).toBeLessThan(1.2);
    expect(Math.abs(result.trainLoss - result.validationLoss)).toBeLessThan(0.3);
    expect(steps.map((m) => m.step)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const schedule = linearSchedule({ baseLr: 1e-2, totalSteps: 60, warmupSteps: 5 });
    steps.forEach((metrics, i) => {
      expect(metrics.learningRate).toBe(schedule.learningRateAt(i));
    });
    expect(steps.at(-1)?.secondsLeft).toBe(0);
    expect(result.tokensPerSecond).toBeGreaterThan(0);
    expect(result.backend).toBe('wasm');
    expect(result.state.step).toBe(60);
    expect(result.state.evaluations.at(-1)?.validationLoss).toBe(result.validationLoss);
  });

  it("writes a folder whose model the core scores at the trainer's validation loss (float32 vs float64)", async () => {
    const result = await trainLanguageModel(DATA, { ...BASE, steps: 20 });
    const files = languageModelFolderFiles(SHAPE, result.state.parameters);
    const model = importModel(parseSafetensors(files.safetensors), { config: files.configJson });
    if (model.layout !== 'language-model') throw new Error('expected a language model');
    const windows = consecutiveWindows(DATA.validation, SHAPE.context, 256);
    if (windows === null) throw new Error('no windows');
    const sequences = Array.from({ length: windows.windows }, (_, w) =>
      Array.from(windows.tokens.subarray(w * windows.length, (w + 1) * windows.length)),
    );
    const exact = languageModelLoss(model, sequences).loss;
    expect(Math.abs(result.validationLoss - exact) / exact).toBeLessThan(1e-5);
  });

  it('resumed from a checkpoint state, ends bit for bit where the uninterrupted run does', async () => {
    const states: LanguageModelTrainingState[] = [];
    const whole = await trainLanguageModel(
      DATA,
      { ...BASE, steps: 12 },
      {
        checkpointEvery: 5,
        onCheckpoint: (state) => {
          states.push(state);
        },
      },
    );
    expect(states.map((state) => state.step)).toEqual([5, 10]);
    const resumed = await trainLanguageModel(DATA, { ...BASE, steps: 12 }, {}, states[0]);
    resumed.state.parameters.forEach((parameter, i) => {
      expect(parameter.values).toEqual(whole.state.parameters[i]?.values);
    });
    expect(resumed.validationLoss).toBe(whole.validationLoss);
  });

  it('stops between steps when its signal is aborted, with the state after the last step', async () => {
    const controller = new AbortController();
    const run = trainLanguageModel(DATA, BASE, {
      signal: controller.signal,
      onStep: (metrics) => {
        if (metrics.step === 3) controller.abort();
      },
    });
    const error = await run.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LanguageModelTrainingCancelledError);
    expect((error as LanguageModelTrainingCancelledError).state.step).toBe(3);
    expect((error as LanguageModelTrainingCancelledError).state.optimizer.step).toBe(3);
  });

  it('measures the held-out loss every evaluateEvery steps, and trains epochs of consecutive windows', async () => {
    const evaluations: number[] = [];
    const steps = languageModelRunSteps(DATA.train.length, SHAPE.context, 8, 2);
    expect(steps).toBe(2 * Math.floor(Math.floor(6000 / 16) / 8));
    const result = await trainLanguageModel(
      DATA,
      { ...BASE, steps, sampling: { kind: 'epochs' }, evaluateEvery: 40 },
      { onEvaluation: (evaluation) => evaluations.push(evaluation.step) },
    );
    expect(evaluations).toEqual([40, 80, steps]);
    expect(result.validationLoss).toBeLessThan(1.2);
  });

  it('splits batches over gradient threads: the same run up to float32 rounding, deterministic per thread count', async () => {
    const options = { ...BASE, steps: 8 };
    const one = await trainLanguageModel(DATA, options);
    const two = await trainLanguageModel(DATA, { ...options, threads: 2 });
    const again = await trainLanguageModel(DATA, { ...options, threads: 2 });
    expect(Math.abs(two.validationLoss - one.validationLoss)).toBeLessThan(1e-4);
    two.state.parameters.forEach((parameter, i) => {
      expect(parameter.values).toEqual(again.state.parameters[i]?.values);
      const reference = one.state.parameters[i]?.values as Float32Array;
      let worst = 0;
      parameter.values.forEach((value, j) => {
        worst = Math.max(worst, Math.abs(value - (reference[j] as number)));
      });
      expect(worst).toBeLessThan(1e-4);
    });
  });

  it('refuses impossible settings before any step', async () => {
    await expect(trainLanguageModel(DATA, { ...BASE, warmupSteps: 60 })).rejects.toThrow(ScheduleError);
    await expect(
      trainLanguageModel({ ...DATA, train: Int32Array.from([1, 2, 99, 3]) }, BASE),
    ).rejects.toThrow(TokenDataError);
    await expect(
      trainLanguageModel(
        { train: markovStream(6000, 1).map((t) => t + 10), validation: DATA.validation },
        BASE,
      ),
    ).rejects.toThrow(/training stream has token \d+ at \d+, outside the vocabulary 0\.\.15/);
    await expect(trainLanguageModel(DATA, { ...BASE, batchSize: 0 })).rejects.toThrow(/^batchSize: /);
  });
});
