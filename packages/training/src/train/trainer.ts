import { availableParallelism } from 'node:os';
import type { Gate } from '@bilinear-lab/core';
import { seededPermutation } from '@bilinear-lab/core';
import type { Dataset, Split } from '@bilinear-lab/datasets';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendChoice, BackendRequest } from '../backend/select-backend.js';
import { evaluateBatch, type NetworkShape } from '../model/network.js';
import { initialParameters, type NamedArray, orderedTensors, uploadParameters } from '../model/parameters.js';
import { AdamW, type AdamWState } from '../optim/adamw.js';
import { assembleBatch } from './batch.js';
import { createGradientEngine } from './gradient-engine.js';
import { runSchedule } from './run-schedule.js';

export interface TrainingOptions {
  hiddenDim: number;
  layers: number;
  residual?: boolean;
  gate?: Gate;
  epochs: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  /**
   * Optimiser steps (batches, not epochs) of linear warm-up from 0 to the cosine's rate; fewer than
   * the run's optimiser steps. Default 0. See cosineSchedule for the formula.
   */
  warmupSteps?: number;
  /**
   * When the learning rate moves along its cosine: once per epoch (default, as the reference code's
   * CosineAnnealingLR(T_max = epochs) stepped per epoch) or at every optimiser step. The warm-up
   * moves at every optimiser step either way.
   */
  scheduleEvery?: 'epoch' | 'step';
  /** Drop each epoch's last partial batch (default true, as the reference DataLoader). */
  dropLast?: boolean;
  /** Std of Gaussian noise added to inputs (training only), and the chance a sample gets it. */
  inputNoise?: number;
  inputNoiseProbability?: number;
  /** Noise on block outputs, scaled by their std (training only). */
  latentNoise?: number;
  seed: number;
  /**
   * Data-parallel gradient threads (default: one per core on the wasm and cpu backends; 1 on the
   * native TensorFlow backends, which use every core themselves). Results are deterministic for a
   * given backend and thread count.
   */
  threads?: number;
}

export interface StepMetrics {
  epoch: number;
  step: number;
  totalSteps: number;
  loss: number;
  accuracy: number | null;
  learningRate: number;
  samplesPerSecond: number;
}

export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number | null;
  testLoss: number;
  testAccuracy: number | null;
  learningRate: number;
  seconds: number;
  samplesPerSecond: number;
}

/** Everything needed to continue a run exactly where it stopped (at an epoch boundary). */
export interface TrainingState {
  shape: NetworkShape;
  options: TrainingOptions;
  /** Epochs completed. */
  epoch: number;
  /** Optimiser steps taken. */
  step: number;
  parameters: NamedArray[];
  optimizer: AdamWState;
  history: EpochMetrics[];
}

export interface TrainCallbacks {
  onStep?: (metrics: StepMetrics) => void;
  onEpoch?: (metrics: EpochMetrics, state: TrainingState) => void | Promise<void>;
  /** Checked between steps; training stops with TrainingCancelledError. */
  signal?: AbortSignal;
}

export interface TrainingResult {
  state: TrainingState;
  backend: BackendChoice['name'] | string;
  testLoss: number;
  testAccuracy: number | null;
  samplesPerSecond: number;
  seconds: number;
}

export class TrainingCancelledError extends Error {
  override readonly name = 'TrainingCancelledError';
  constructor(readonly state: TrainingState) {
    super(`training cancelled after epoch ${state.epoch}, step ${state.step}`);
  }
}

export class TrainingOptionsError extends Error {
  override readonly name = 'TrainingOptionsError';
}

export function networkShapeFor(dataset: Dataset, options: TrainingOptions): NetworkShape {
  const classification = dataset.kind === 'classification';
  return {
    inputDim: dataset.inputDim,
    hiddenDim: options.hiddenDim,
    layers: options.layers,
    outputDim: dataset.outputDim,
    // Images go through an embedding; the toy task feeds its inputs straight to the bilinear layer.
    embed: classification,
    residual: options.residual ?? false,
    gate: options.gate ?? 'none',
    loss: classification ? 'cross-entropy' : 'mse',
  };
}

/**
 * Trains a bilinear network on a dataset with AdamW and a cosine schedule, on the active tfjs
 * backend. Deterministic for a given seed and backend: initial weights, shuffling and noise all
 * derive from the seed, the epoch and the step. Pass `resume` to continue a saved state.
 */
export async function train(
  dataset: Dataset,
  options: TrainingOptions,
  callbacks: TrainCallbacks = {},
  resume?: TrainingState,
): Promise<TrainingResult> {
  checkOptions(options);
  const shape = resume?.shape ?? networkShapeFor(dataset, options);
  // Throws ScheduleError (an impossible warm-up, say) before any work starts. The rate depends on
  // the optimiser step alone, so a resumed run follows the same schedule.
  const { steps, schedule } = runSchedule(dataset.train.count, options);
  const { samplesPerEpoch: usedPerEpoch, totalSteps } = steps;
  const engine = await createGradientEngine({
    threads: options.threads ?? defaultThreads(),
    backend: activeBackend(),
    shape,
    initial: resume ? resume.parameters : initialParameters(shape, options.seed),
    maxBatch: options.batchSize,
    split: dataset.train,
  });
  const { parameters } = engine;
  const optimizer = new AdamW(parameters, { weightDecay: options.weightDecay });
  if (resume) optimizer.importState(resume.optimizer);
  const history = resume ? [...resume.history] : [];
  let step = resume?.step ?? 0;
  const started = performance.now();
  let samplesSeen = 0;

  const snapshot = (epoch: number): TrainingState => ({
    shape,
    options,
    epoch,
    step,
    parameters: parameters.map(copyArray),
    optimizer: optimizer.exportState(),
    history: [...history],
  });

  try {
    for (let epoch = resume?.epoch ?? 0; epoch < options.epochs; epoch++) {
      const epochStarted = performance.now();
      const order = seededPermutation(dataset.train.count, options.seed * 1_000_003 + epoch);
      let lossSum = 0;
      let correct = 0;
      for (let start = 0; start < usedPerEpoch; start += options.batchSize) {
        if (callbacks.signal?.aborted) throw new TrainingCancelledError(snapshot(epoch));
        const stepStarted = performance.now();
        const count = Math.min(options.batchSize, usedPerEpoch - start);
        const learningRate = schedule.learningRateAt(step);
        const result = await engine.step({
          rows: order.subarray(start, start + count),
          inputNoise: { std: options.inputNoise ?? 0, probability: options.inputNoiseProbability ?? 1 },
          latentNoise: options.latentNoise ?? 0,
          seed: (options.seed * 7_919 + step * 104_729) >>> 0,
        });
        optimizer.step(parameters, result.gradients, learningRate);
        step++;
        samplesSeen += count;
        lossSum += result.lossSum;
        correct += result.correct;
        callbacks.onStep?.({
          epoch,
          step,
          totalSteps,
          loss: result.lossSum / count,
          accuracy: shape.loss === 'cross-entropy' ? result.correct / count : null,
          learningRate,
          samplesPerSecond: count / ((performance.now() - stepStarted) / 1000),
        });
        // Let timers, signals and progress output run between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const test = await evaluateParameters(shape, parameters, dataset.test, dataset.outputDim);
      const seconds = (performance.now() - epochStarted) / 1000;
      const metrics: EpochMetrics = {
        epoch: epoch + 1,
        trainLoss: lossSum / usedPerEpoch,
        trainAccuracy: shape.loss === 'cross-entropy' ? correct / usedPerEpoch : null,
        testLoss: test.loss,
        testAccuracy: test.accuracy,
        learningRate: schedule.learningRateAt(step),
        seconds,
        samplesPerSecond: usedPerEpoch / seconds,
      };
      history.push(metrics);
      await callbacks.onEpoch?.(metrics, snapshot(epoch + 1));
    }
  } finally {
    await engine.close();
  }
  const final = await evaluateParameters(shape, parameters, dataset.test, dataset.outputDim);
  const seconds = (performance.now() - started) / 1000;
  return {
    state: snapshot(options.epochs),
    backend: tf.getBackend(),
    testLoss: final.loss,
    testAccuracy: final.accuracy,
    samplesPerSecond: samplesSeen / seconds,
    seconds,
  };
}

/** The native TensorFlow and webgpu backends parallelise each op themselves; wasm and cpu run one thread. */
function defaultThreads(): number {
  const backend = activeBackend();
  return backend.startsWith('tensorflow') || backend === 'webgpu' ? 1 : Math.min(availableParallelism(), 4);
}

function activeBackend(): BackendRequest {
  const name = tf.getBackend();
  if (name === 'tensorflow' || name === 'webgpu') return name;
  return name === 'cpu' ? 'cpu' : 'wasm';
}

/**
 * Mean loss and accuracy of parameters (compute layout) on a split, without noise. Async because the
 * webgpu backend reads GPU tensors only asynchronously in Node.
 */
export async function evaluateParameters(
  shape: NetworkShape,
  parameters: readonly NamedArray[],
  split: Split,
  outputDim: number,
  batchSize = 1000,
): Promise<{ loss: number; accuracy: number | null }> {
  const params = uploadParameters(shape, parameters);
  const inputDim = shape.inputDim;
  const inputs = new Float32Array(batchSize * inputDim);
  const targets = new Float32Array(batchSize * outputDim);
  const identity = Int32Array.from({ length: split.count }, (_, i) => i);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const count = Math.min(batchSize, split.count - start);
    const noNoise = { std: 0, probability: 0 };
    assembleBatch(
      split,
      outputDim,
      { rows: identity.subarray(start, start + count), inputNoise: noNoise, latentNoise: 0, seed: 0 },
      0,
      count,
      inputs,
      targets,
    );
    const x = tf.tensor2d(inputs.subarray(0, count * inputDim), [count, inputDim]);
    const t = tf.tensor2d(targets.subarray(0, count * outputDim), [count, outputDim]);
    const result = evaluateBatch(shape, params, x, t);
    lossSum += (await result.lossSum.data())[0] as number;
    correct += (await result.correct.data())[0] as number;
    tf.dispose([x, t, result.lossSum, result.correct]);
  }
  tf.dispose(orderedTensors(shape, params));
  return {
    loss: lossSum / split.count,
    accuracy: shape.loss === 'cross-entropy' ? correct / split.count : null,
  };
}

function copyArray(p: NamedArray): NamedArray {
  return { name: p.name, shape: [p.shape[0], p.shape[1]], values: p.values.slice() };
}

function checkOptions(options: TrainingOptions): void {
  const positiveInteger: (keyof TrainingOptions)[] = ['hiddenDim', 'layers', 'epochs', 'batchSize'];
  for (const key of positiveInteger) {
    const value = options[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new TrainingOptionsError(`${key} must be a whole number ≥ 1, got ${String(value)}`);
    }
  }
  const nonNegative: (keyof TrainingOptions)[] = [
    'learningRate',
    'weightDecay',
    'inputNoise',
    'latentNoise',
    'warmupSteps',
  ];
  for (const key of nonNegative) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw new TrainingOptionsError(`${key} must be a finite number ≥ 0, got ${String(value)}`);
    }
  }
  const p = options.inputNoiseProbability;
  if (p !== undefined && !(p >= 0 && p <= 1)) {
    throw new TrainingOptionsError(`inputNoiseProbability must be in [0, 1], got ${p}`);
  }
}
