import * as tf from '@tensorflow/tfjs-core';
import type { BackendRequest } from '../backend/select-backend.js';
import type { NamedArray } from '../model/parameters.js';
import { AdamW, type AdamWState } from '../optim/adamw.js';
import { linearSchedule, ScheduleError } from '../optim/schedule.js';
import { createLanguageModelGradients, type LanguageModelGradients } from './gradient-engine.js';
import { initialLanguageModelParameters } from './initial-parameters.js';
import {
  checkLanguageModelShape,
  type LanguageModelShape,
  languageModelParameterShapes,
} from './model-shape.js';
import {
  batchAt,
  consecutiveWindows,
  stepsPerEpoch,
  TokenDataError,
  type TokenSplits,
  type WindowSampling,
  windowRange,
} from './token-windows.js';
import { disposeWeights, type LossSum, lossSumOf, type TokenWindows, uploadWeights } from './transformer.js';

/** The reference recipe's AdamW betas (HF TrainingArguments adam_beta1/2 in the authors' code). */
export const LANGUAGE_MODEL_BETAS: readonly [number, number] = [0.9, 0.95];

export interface LanguageModelTrainingOptions {
  shape: LanguageModelShape;
  /** Windows of shape.context tokens per optimiser step. */
  batchSize: number;
  /** Optimiser steps in the run (see languageModelRunSteps for --epochs). */
  steps: number;
  /** How batches are drawn; default random windows (make_lm.py's). */
  sampling?: WindowSampling;
  /** Peak learning rate of the linear schedule (HF's get_linear_schedule_with_warmup). */
  learningRate: number;
  /** Optimiser steps of linear warm-up from 0; fewer than `steps`. Default 0. */
  warmupSteps?: number;
  /**
   * AdamW's decoupled weight decay, on every parameter: HF's Trainer exempts only biases and norm
   * weights, and this model has neither (make_lm.py decays everything too).
   */
  weightDecay: number;
  /** Default (0.9, 0.95), the reference recipe's. */
  betas?: readonly [number, number];
  /** Seeds the initial weights and every batch. */
  seed: number;
  /** Held-out windows the validation loss is measured on, at most (evenly spaced); default 256. */
  validationWindows?: number;
  /** Measure the validation loss every this many steps too (default: only at the end). */
  evaluateEvery?: number;
  /** Windows per forward/backward pass; a batch is split into parts to bound memory. Default: the whole batch. */
  microBatch?: number;
  /**
   * Data-parallel gradient threads, each with its own tfjs backend, splitting each batch by windows
   * (default 1). Results are deterministic for a given backend and thread count.
   */
  threads?: number;
}

export interface LanguageModelStepMetrics {
  /** Optimiser steps taken, this one included. */
  step: number;
  totalSteps: number;
  /** Mean next-token loss of this step's batch (before the update). */
  loss: number;
  learningRate: number;
  /** This step's tokens (windows × context) per second. */
  tokensPerSecond: number;
  /** Since this run (or resume) started. */
  seconds: number;
  /** Estimated from the mean step time so far. */
  secondsLeft: number;
}

export interface LanguageModelEvaluation {
  step: number;
  validationLoss: number;
  /** Mean batch loss over the steps since the last evaluation. */
  trainLoss: number;
}

/** Everything needed to continue a run exactly where it stopped (between two steps). */
export interface LanguageModelTrainingState {
  options: LanguageModelTrainingOptions;
  /** Optimiser steps taken. */
  step: number;
  /** Reference layout, in languageModelParameterShapes order. */
  parameters: NamedArray[];
  optimizer: AdamWState;
  evaluations: LanguageModelEvaluation[];
  /** Batch losses summed since the last evaluation, and over how many steps (the next trainLoss). */
  sinceEvaluation: { lossSum: number; steps: number };
}

export interface LanguageModelTrainCallbacks {
  onStep?: (metrics: LanguageModelStepMetrics) => void;
  onEvaluation?: (evaluation: LanguageModelEvaluation) => void;
  /** Called every `checkpointEvery` steps with a copy of the state (awaited before the next step). */
  onCheckpoint?: (state: LanguageModelTrainingState) => void | Promise<void>;
  checkpointEvery?: number;
  /** Checked between steps: training stops with LanguageModelTrainingCancelledError. */
  signal?: AbortSignal;
}

export interface LanguageModelTrainingResult {
  state: LanguageModelTrainingState;
  /** The final model's mean next-token loss on the held-out windows. */
  validationLoss: number;
  /** The final model's loss on as many training windows (consecutive, evenly spaced), measured the same way. */
  trainLoss: number;
  /** Tokens (windows × context) trained on per second, over this run (or resume). */
  tokensPerSecond: number;
  seconds: number;
  /** The tfjs backend that ran it. */
  backend: string;
}

export class LanguageModelTrainingCancelledError extends Error {
  override readonly name = 'LanguageModelTrainingCancelledError';
  constructor(readonly state: LanguageModelTrainingState) {
    super(`training cancelled after step ${state.step} of ${state.options.steps}`);
  }
}

export class LanguageModelTrainingOptionsError extends Error {
  override readonly name = 'LanguageModelTrainingOptionsError';
  /** The option at fault. */
  constructor(
    readonly setting: string,
    readonly problem: string,
  ) {
    super(`${setting}: ${problem}`);
  }
}

/** Optimiser steps of `epochs` passes over `trainTokens` cut into windows of `context`, `batchSize` at a time. */
export function languageModelRunSteps(
  trainTokens: number,
  context: number,
  batchSize: number,
  epochs: number,
): number {
  return epochs * stepsPerEpoch(trainTokens, context, batchSize);
}

/**
 * Trains the bilinear transformer with AdamW and HF's linear schedule on the active tfjs backend,
 * on windows of the training stream; measures the held-out loss at the end (and every
 * `evaluateEvery` steps). Deterministic for a given seed and backend: initial weights and batches
 * derive from the seed and the step. Pass `resume` to continue a saved state.
 */
export async function trainLanguageModel(
  data: TokenSplits,
  options: LanguageModelTrainingOptions,
  callbacks: LanguageModelTrainCallbacks = {},
  resume?: LanguageModelTrainingState,
): Promise<LanguageModelTrainingResult> {
  checkOptions(options, data);
  if (tf.getBackend() === 'webgpu') {
    // Its step reads gradients with dataSync, which the webgpu backend cannot do in Node.
    throw new LanguageModelTrainingOptionsError(
      'backend',
      'language-model training does not run on webgpu yet (only the image classifier does); use wasm, cpu or tensorflow',
    );
  }
  const { shape, batchSize } = options;
  const validation = consecutiveWindows(data.validation, shape.context, options.validationWindows ?? 256);
  if (validation === null) throw new TokenDataError('the held-out stream has fewer than 2 tokens');
  const engine = await createLanguageModelGradients({
    threads: options.threads ?? 1,
    backend: activeBackend(),
    shape,
    initial: resume ? resume.parameters : initialLanguageModelParameters(shape, options.seed),
    maxWindows: batchSize,
    microBatch: options.microBatch ?? batchSize,
  });
  try {
    return await trainWith(engine, data, validation, options, callbacks, resume);
  } finally {
    await engine.close();
  }
}

async function trainWith(
  engine: LanguageModelGradients,
  data: TokenSplits,
  validation: TokenWindows,
  options: LanguageModelTrainingOptions,
  callbacks: LanguageModelTrainCallbacks,
  resume: LanguageModelTrainingState | undefined,
): Promise<LanguageModelTrainingResult> {
  const { shape, batchSize } = options;
  const length = shape.context;
  const sampling = options.sampling ?? { kind: 'random' };
  const schedule = linearSchedule({
    baseLr: options.learningRate,
    totalSteps: options.steps,
    warmupSteps: options.warmupSteps ?? 0,
  });
  const { parameters } = engine;
  const gradients = languageModelParameterShapes(shape).map(({ name, shape: dims }) => ({
    name,
    shape: dims,
    values: new Float32Array(dims[0] * dims[1]),
  }));
  const optimizer = new AdamW(parameters, {
    betas: options.betas ?? LANGUAGE_MODEL_BETAS,
    weightDecay: options.weightDecay,
  });
  if (resume) optimizer.importState(resume.optimizer);
  const evaluations = resume ? [...resume.evaluations] : [];

  let step = resume?.step ?? 0;
  const firstStep = step;
  const snapshot = (): LanguageModelTrainingState => ({
    options,
    step,
    parameters: parameters.map(copyArray),
    optimizer: optimizer.exportState(),
    evaluations: [...evaluations],
    sinceEvaluation: { lossSum: lossSinceEvaluation, steps: stepsSinceEvaluation },
  });
  const started = performance.now();
  let tokensSeen = 0;
  let lossSinceEvaluation = resume?.sinceEvaluation.lossSum ?? 0;
  let stepsSinceEvaluation = resume?.sinceEvaluation.steps ?? 0;

  while (step < options.steps) {
    if (callbacks.signal?.aborted) throw new LanguageModelTrainingCancelledError(snapshot());
    const stepStarted = performance.now();
    const learningRate = schedule.learningRateAt(step);
    const batch = batchAt(data.train, sampling, { step, batch: batchSize, length, seed: options.seed });
    const scale = 1 / (batch.windows * (length - 1));
    const lossSum = await engine.step(batch, scale, gradients);
    optimizer.step(parameters, gradients, learningRate);
    step++;
    const loss = lossSum * scale;
    tokensSeen += batch.windows * length;
    lossSinceEvaluation += loss;
    stepsSinceEvaluation++;
    const now = performance.now();
    const seconds = (now - started) / 1000;
    callbacks.onStep?.({
      step,
      totalSteps: options.steps,
      loss,
      learningRate,
      tokensPerSecond: (batch.windows * length) / ((now - stepStarted) / 1000),
      seconds,
      secondsLeft: (seconds / (step - firstStep)) * (options.steps - step),
    });
    if (options.evaluateEvery !== undefined && step % options.evaluateEvery === 0 && step < options.steps) {
      const evaluation = {
        step,
        validationLoss: meanLoss(shape, parameters, validation, batchSize),
        trainLoss: lossSinceEvaluation / stepsSinceEvaluation,
      };
      evaluations.push(evaluation);
      lossSinceEvaluation = 0;
      stepsSinceEvaluation = 0;
      callbacks.onEvaluation?.(evaluation);
    }
    if (callbacks.checkpointEvery !== undefined && step % callbacks.checkpointEvery === 0) {
      await callbacks.onCheckpoint?.(snapshot());
    }
    // Let timers, signals and progress output run between steps.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = (performance.now() - started) / 1000;
  const validationLoss = meanLoss(shape, parameters, validation, batchSize);
  const trainWindows = consecutiveWindows(data.train, length, validation.windows) as TokenWindows;
  const trainLoss = meanLoss(shape, parameters, trainWindows, batchSize);
  if (stepsSinceEvaluation > 0 || evaluations.length === 0) {
    const evaluation = {
      step,
      validationLoss,
      trainLoss: stepsSinceEvaluation > 0 ? lossSinceEvaluation / stepsSinceEvaluation : trainLoss,
    };
    evaluations.push(evaluation);
    callbacks.onEvaluation?.(evaluation);
  }
  return {
    state: snapshot(),
    validationLoss,
    trainLoss,
    tokensPerSecond: tokensSeen / seconds,
    seconds,
    backend: tf.getBackend(),
  };
}

/** Mean next-token loss of parameters on windows, evaluated `batchSize` windows at a time. */
export function meanLoss(
  shape: LanguageModelShape,
  parameters: readonly NamedArray[],
  windows: TokenWindows,
  batchSize: number,
  frequencies?: Float32Array,
): number {
  const weights = uploadWeights(shape, parameters, frequencies);
  const total: LossSum = { lossSum: 0, predicted: 0 };
  try {
    for (let from = 0; from < windows.windows; from += batchSize) {
      const part = lossSumOf(
        shape,
        weights,
        windowRange(windows, from, Math.min(windows.windows, from + batchSize)),
      );
      total.lossSum += part.lossSum;
      total.predicted += part.predicted;
    }
  } finally {
    disposeWeights(weights);
  }
  return total.lossSum / total.predicted;
}

function checkOptions(options: LanguageModelTrainingOptions, data: TokenSplits): void {
  checkLanguageModelShape(options.shape);
  const whole = (key: keyof LanguageModelTrainingOptions, min: number) => {
    const value = options[key];
    if (value !== undefined && !(typeof value === 'number' && Number.isSafeInteger(value) && value >= min)) {
      throw new LanguageModelTrainingOptionsError(
        key,
        `must be a whole number ≥ ${min}, got ${String(value)}`,
      );
    }
  };
  whole('batchSize', 1);
  whole('steps', 1);
  whole('seed', 0);
  whole('validationWindows', 1);
  whole('evaluateEvery', 1);
  whole('microBatch', 1);
  whole('threads', 1);
  whole('warmupSteps', 0);
  for (const key of ['learningRate', 'weightDecay'] as const) {
    const value = options[key];
    if (!(Number.isFinite(value) && value >= 0)) {
      throw new LanguageModelTrainingOptionsError(key, `must be a finite number ≥ 0, got ${value}`);
    }
  }
  if ((options.warmupSteps ?? 0) >= options.steps) {
    throw new ScheduleError(
      'warmupSteps',
      `${options.warmupSteps} is not fewer than the ${options.steps} optimiser steps of the run; the warm-up must end before the run does`,
    );
  }
  if (data.train.length < options.shape.context) {
    throw new TokenDataError(
      `the training stream has ${data.train.length} tokens, fewer than one window of ${options.shape.context}`,
    );
  }
  const vocab = options.shape.vocabSize;
  for (const [name, tokens] of [
    ['training', data.train],
    ['held-out', data.validation],
  ] as const) {
    const bad = tokens.findIndex((token) => token < 0 || token >= vocab);
    if (bad >= 0) {
      throw new TokenDataError(
        `the ${name} stream has token ${tokens[bad]} at ${bad}, outside the vocabulary 0..${vocab - 1}`,
      );
    }
  }
}

/** The backend the gradient threads start (the one active here). */
function activeBackend(): BackendRequest {
  const name = tf.getBackend();
  if (name === 'tensorflow') return 'tensorflow';
  return name === 'cpu' ? 'cpu' : 'wasm';
}

function copyArray(p: NamedArray): NamedArray {
  return { name: p.name, shape: [p.shape[0], p.shape[1]], values: p.values.slice() };
}
