import { type Dataset, generateToyTask, loadBundledMnist } from '@bilinear-lab/datasets';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/select-backend.js';
import { ScheduleError } from '../optim/schedule.js';
import { TrainingCancelledError, type TrainingOptions, type TrainingState, train } from './trainer.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** The first `train` and `test` digits of the bundled set: small enough for unit tests. */
async function smallMnist(trainCount: number, testCount: number): Promise<Dataset> {
  const full = await loadBundledMnist();
  const take = (split: Dataset['train'], count: number) => ({
    count,
    inputs: split.inputs.subarray(0, count * full.inputDim),
    labels: split.labels ? split.labels.subarray(0, count) : null,
    targets: null,
  });
  return { ...full, train: take(full.train, trainCount), test: take(full.test, testCount) };
}

const base: TrainingOptions = {
  hiddenDim: 32,
  layers: 1,
  epochs: 2,
  batchSize: 100,
  learningRate: 1e-3,
  weightDecay: 0.5,
  inputNoise: 0.4,
  seed: 5,
};

describe('train', () => {
  it('learns MNIST digits well above chance within seconds', async () => {
    const data = await smallMnist(2000, 500);
    const result = await train(data, { ...base, hiddenDim: 64, epochs: 3, learningRate: 3e-3 });
    expect(result.testAccuracy).toBeGreaterThan(0.7);
    expect(result.state.history).toHaveLength(3);
    expect(result.seconds).toBeLessThan(20);
  });

  it('learns the toy boolean task (MSE) to a low loss', async () => {
    const data = generateToyTask({ seed: 3, count: 2048 });
    const result = await train(data, {
      ...base,
      hiddenDim: 6,
      epochs: 60,
      batchSize: 128,
      learningRate: 1e-2,
      weightDecay: 0,
      inputNoise: 0,
    });
    expect(result.testAccuracy).toBeNull();
    const first = result.state.history[0]?.testLoss ?? 0;
    expect(result.testLoss).toBeLessThan(first / 4);
  });

  it('resuming from an epoch checkpoint equals the uninterrupted run, bit for bit', async () => {
    const data = await smallMnist(600, 200);
    const options = { ...base, epochs: 3, latentNoise: 0.2 };
    const straight = await train(data, options);
    let saved: TrainingState | undefined;
    const controller = new AbortController();
    await expect(
      train(data, options, {
        signal: controller.signal,
        onEpoch: (metrics, state) => {
          if (metrics.epoch === 1) {
            saved = state;
            controller.abort();
          }
        },
      }),
    ).rejects.toThrow(TrainingCancelledError);
    expect(saved?.epoch).toBe(1);
    const resumed = await train(data, options, {}, saved);
    resumed.state.parameters.forEach((p, i) => {
      expect(Array.from(p.values)).toEqual(Array.from(straight.state.parameters[i]?.values ?? []));
    });
    expect(resumed.state.history.map((m) => m.testLoss)).toEqual(
      straight.state.history.map((m) => m.testLoss),
    );
  });

  it('data-parallel threads assemble the same batches: two threads train like one', async () => {
    const data = await smallMnist(600, 200);
    const one = await train(data, { ...base, threads: 1 });
    const two = await train(data, { ...base, threads: 2 });
    const losses = (r: typeof one) => r.state.history.map((m) => m.trainLoss);
    // Only the order of float additions differs (gradient sums across threads).
    losses(two).forEach((loss, i) => {
      expect(Math.abs(loss - (losses(one)[i] as number))).toBeLessThan(1e-4);
    });
    expect(Math.abs((two.testAccuracy ?? 0) - (one.testAccuracy ?? 0))).toBeLessThan(0.01);
  });

  it('keeps tfjs memory flat across epochs', async () => {
    const data = await smallMnist(500, 100);
    const counts: number[] = [];
    await train(data, { ...base, epochs: 4 }, { onEpoch: () => void counts.push(tf.memory().numTensors) });
    expect(new Set(counts).size).toBe(1);
  });

  it('stops between steps when cancelled and reports where', async () => {
    const data = await smallMnist(1000, 100);
    const controller = new AbortController();
    let steps = 0;
    const run = train(data, base, {
      signal: controller.signal,
      onStep: () => {
        if (++steps === 3) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/cancelled after epoch 0, step 3/);
  });

  it('warms up over optimiser steps: warmupSteps 2 gives 0, lr/2, then lr in epoch 0', async () => {
    const data = await smallMnist(500, 100);
    const rates: number[][] = [[], []];
    await train(data, { ...base, warmupSteps: 2 }, { onStep: (m) => rates[m.epoch]?.push(m.learningRate) });
    // 5 steps an epoch; the per-epoch cosine over 2 epochs is lr in epoch 0 and lr · (1 + cos(π/2)) / 2 in epoch 1.
    expect(rates[0]).toEqual([0, 5e-4, 1e-3, 1e-3, 1e-3]);
    expect(rates[1]).toHaveLength(5);
    for (const rate of rates[1] ?? []) expect(rate).toBeCloseTo(5e-4, 15);
  });

  it('a resumed run follows the schedule of the uninterrupted one, warm-up spanning the break', async () => {
    const data = await smallMnist(500, 100);
    // 15 optimiser steps; the warm-up ends in epoch 1, after the checkpoint at the end of epoch 0.
    const options = { ...base, epochs: 3, warmupSteps: 7 };
    const straight: number[] = [];
    await train(data, options, { onStep: (m) => void straight.push(m.learningRate) });
    let saved: TrainingState | undefined;
    const controller = new AbortController();
    const resumedRates: number[] = [];
    await expect(
      train(data, options, {
        signal: controller.signal,
        onStep: (m) => void resumedRates.push(m.learningRate),
        onEpoch: (_, state) => {
          saved = state;
          controller.abort();
        },
      }),
    ).rejects.toThrow(TrainingCancelledError);
    await train(data, options, { onStep: (m) => void resumedRates.push(m.learningRate) }, saved);
    expect(resumedRates).toEqual(straight);
    // By hand: the cosine is 1e-3, 0.75e-3, 0.25e-3 in epochs 0, 1, 2 (1e-3 · (1 + cos(π e/3)) / 2),
    // times s / 7 for the first 7 steps.
    const expected = [
      ...[0, 1, 2, 3, 4].map((s) => (1e-3 * s) / 7),
      ...[5, 6].map((s) => (0.75e-3 * s) / 7),
      ...[0.75e-3, 0.75e-3, 0.75e-3],
      ...Array<number>(5).fill(0.25e-3),
    ];
    expect(straight).toHaveLength(expected.length);
    for (const [s, rate] of straight.entries())
      expect(rate, `step ${s}`).toBeCloseTo(expected[s] as number, 15);
  });

  it('refuses a warm-up as long as the run before any step, naming warmupSteps', async () => {
    const data = await smallMnist(500, 100);
    let steps = 0;
    const run = train(data, { ...base, warmupSteps: 10 }, { onStep: () => void steps++ });
    await expect(run).rejects.toThrow(ScheduleError);
    await expect(run).rejects.toThrow(/^warmupSteps: 10 is not fewer than the 10 optimiser steps of the run/);
    expect(steps).toBe(0);
  });

  it('rejects bad options with the name and value', async () => {
    const data = await smallMnist(100, 10);
    await expect(train(data, { ...base, batchSize: 0 })).rejects.toThrow(
      /batchSize must be a whole number ≥ 1, got 0/,
    );
    await expect(train(data, { ...base, inputNoiseProbability: 2 })).rejects.toThrow(/inputNoiseProbability/);
  });
});
