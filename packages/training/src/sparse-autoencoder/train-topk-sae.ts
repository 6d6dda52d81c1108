// The reference's SAE training loop (src/sae/sae.py SAE.fit): batches from a shuffled activation
// buffer, one constrained Adam step each under the cosine schedule, for a fixed number of steps.
// Synchronous math between steps; the loop yields to the event loop after every step, and a buffer
// fill between chunks, so a signal (Ctrl-C) can stop it.
import { type ActivationPass, ShuffledActivationBuffer } from './activation-buffer.js';
import { type SaeStepMetrics, TopKSaeTrainer } from './sae-optimizer.js';
import { initialTopKSae, SaeShapeError, type TopKSaeFloat32 } from './topk-sae.js';

/** The reference's defaults (SAEConfig): lr 1e-4, 4096 rows per batch. */
export const SAE_DEFAULT_LR = 1e-4;
export const SAE_DEFAULT_BATCH = 4096;

export interface TopKSaeTrainingOptions {
  modelDim: number;
  features: number;
  k: number;
  steps: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Rows the activation buffer holds at most. */
  bufferRows: number;
}

export interface TopKSaeStepReport extends SaeStepMetrics {
  step: number;
  totalSteps: number;
  /** Activation rows (token positions) per second over the run so far, buffer fills included. */
  tokensPerSecond: number;
  secondsLeft: number;
}

export interface TopKSaeTrainCallbacks {
  onStep?(report: TopKSaeStepReport): void;
  signal?: AbortSignal;
}

export interface TopKSaeTrainingResult {
  sae: TopKSaeFloat32;
  steps: number;
  /** Rows trained on (steps × batch). */
  tokens: number;
  seconds: number;
  /** Passes begun over the source. */
  passes: number;
  /** The last step's batch MSE and explained variance (before its update). */
  last: SaeStepMetrics | null;
}

export class TopKSaeTrainingCancelledError extends Error {
  override readonly name = 'TopKSaeTrainingCancelledError';
  constructor(readonly step: number) {
    super(`SAE training was stopped after step ${step}`);
  }
}

export function checkTopKSaeOptions(options: TopKSaeTrainingOptions): void {
  const wholes: [string, number, number][] = [
    ['modelDim', options.modelDim, 1],
    ['features', options.features, 1],
    ['k', options.k, 1],
    ['steps', options.steps, 1],
    ['batchSize', options.batchSize, 1],
    ['bufferRows', options.bufferRows, options.batchSize],
    ['seed', options.seed, 0],
  ];
  for (const [name, value, min] of wholes) {
    if (!(Number.isSafeInteger(value) && value >= min)) {
      throw new SaeShapeError(`${name} must be a whole number ≥ ${min}, got ${value}`);
    }
  }
  if (options.k > options.features) {
    throw new SaeShapeError(`k = ${options.k} is more than the ${options.features} features`);
  }
  if (!(Number.isFinite(options.learningRate) && options.learningRate > 0)) {
    throw new SaeShapeError(`the learning rate must be a number > 0, got ${options.learningRate}`);
  }
}

export async function trainTopKSae(
  source: ActivationPass,
  options: TopKSaeTrainingOptions,
  callbacks: TopKSaeTrainCallbacks = {},
): Promise<TopKSaeTrainingResult> {
  checkTopKSaeOptions(options);
  const { modelDim, features, k, steps, batchSize, learningRate, seed } = options;
  const sae = initialTopKSae(features, modelDim, seed);
  const trainer = new TopKSaeTrainer(sae, k, learningRate, steps);
  // The buffer's shuffle draws from its own stream, so the same seed gives the same run.
  const buffer = new ShuffledActivationBuffer(source, {
    modelDim,
    batchSize,
    capacity: options.bufferRows,
    seed: seed + 1,
  });
  const started = performance.now();
  let last: SaeStepMetrics | null = null;
  for (let step = 1; step <= steps; step++) {
    if (callbacks.signal?.aborted) throw new TopKSaeTrainingCancelledError(step - 1);
    const batch = await buffer.nextBatch(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      if (callbacks.signal?.aborted) throw new TopKSaeTrainingCancelledError(step - 1);
    });
    last = trainer.step(batch, batchSize);
    const seconds = (performance.now() - started) / 1000;
    callbacks.onStep?.({
      ...last,
      step,
      totalSteps: steps,
      tokensPerSecond: (step * batchSize) / Math.max(seconds, 1e-9),
      secondsLeft: (seconds / step) * (steps - step),
    });
    await new Promise((resolve) => setImmediate(resolve));
  }
  return {
    sae,
    steps,
    tokens: steps * batchSize,
    seconds: (performance.now() - started) / 1000,
    passes: buffer.passes,
    last,
  };
}
