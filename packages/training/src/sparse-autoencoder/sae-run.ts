// One SAE run on token sequences, as `bilinear sae train` and the platform's train-sae job do it: the
// end of the text held out, the steps and the buffer sized from what is left, the reference's TopK
// training on the activations at the hook point, the weights written in the official layout, and the
// SAE as written measured on the held-out text (MSE, explained variance, loss recovered).
import {
  importSparseAutoencoder,
  type LanguageModel,
  parseSafetensors,
  type SaeQuality,
  saeQuality,
} from '@bilinear-lab/core';
import { hookActivationPass, type TrainableHookPoint } from './hook-activations.js';
import { type SaeFolderFiles, saeFolderFiles } from './sae-folder.js';
import {
  type TopKSaeTrainCallbacks,
  type TopKSaeTrainingOptions,
  type TopKSaeTrainingResult,
  trainTopKSae,
} from './train-topk-sae.js';

/** The default buffer: 2^18 positions (the reference holds 2^21 on a GPU), at most 256 MiB of float32. */
const BUFFER_ROWS = 1 << 18;
const BUFFER_BYTES = 1 << 28;

export function defaultBufferRows(modelDim: number): number {
  return Math.min(BUFFER_ROWS, Math.floor(BUFFER_BYTES / (4 * modelDim)));
}

/** The text is too short to hold `heldOut` positions out and still train on something. */
export class SaeTextTooShortError extends Error {
  override readonly name = 'SaeTextTooShortError';
  constructor(
    readonly sequences: number,
    readonly positions: number,
    readonly heldOut: number,
  ) {
    super(
      `the text gives ${sequences} sequence${sequences === 1 ? '' : 's'} of ${positions} positions: after holding out ${heldOut} for the evaluation nothing is left to train on`,
    );
  }
}

/**
 * The last sequences, at least `positions` positions of them (at least one sequence), held out for
 * the evaluation; the rest train. Sequences are windows of the text in order, so the held-out part
 * is the end of the text.
 */
export function splitHeldOut<S extends ArrayLike<number>>(
  sequences: readonly S[],
  positions: number,
): { train: S[]; heldOut: S[] } {
  let held = 0;
  let cut = sequences.length;
  while (cut > 0 && held < positions) {
    cut--;
    held += (sequences[cut] as S).length;
  }
  cut = Math.min(cut, sequences.length - 1);
  if (cut < 1) {
    throw new SaeTextTooShortError(
      sequences.length,
      sequences.reduce((sum, sequence) => sum + sequence.length, 0),
      positions,
    );
  }
  return { train: sequences.slice(0, cut), heldOut: sequences.slice(cut) };
}

/** What a run is asked for, under the CLI's flags' meanings. */
export interface SaeRunSettings {
  layer: number;
  point: TrainableHookPoint;
  features: number;
  k: number;
  /** Optimiser steps; default one pass over the training text, or ⌈tokensTotal / batch⌉. */
  steps?: number | undefined;
  tokensTotal?: number | undefined;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Activations held and shuffled at once (default: defaultBufferRows, never more than the text). */
  bufferRows?: number | undefined;
  /** Positions at the end of the text held out of training to measure the SAE on. */
  evalTokens: number;
}

export interface SaeRunPlan<S extends ArrayLike<number> = number[]> {
  train: S[];
  heldOut: S[];
  trainPositions: number;
  heldOutPositions: number;
  options: TopKSaeTrainingOptions;
}

/** The held-out split and the trainer's options (SaeTextTooShortError when nothing is left to train on). */
export function planSaeRun<S extends ArrayLike<number>>(
  sequences: readonly S[],
  modelDim: number,
  settings: SaeRunSettings,
): SaeRunPlan<S> {
  const { train, heldOut } = splitHeldOut(sequences, settings.evalTokens);
  const count = (part: S[]) => part.reduce((sum, sequence) => sum + sequence.length, 0);
  const trainPositions = count(train);
  const steps =
    settings.steps ?? Math.max(1, Math.ceil((settings.tokensTotal ?? trainPositions) / settings.batchSize));
  // Never more rows than the text has (the buffer is allocated whole), never fewer than a batch.
  const bufferRows = Math.max(
    settings.batchSize,
    Math.min(settings.bufferRows ?? defaultBufferRows(modelDim), trainPositions),
  );
  return {
    train,
    heldOut,
    trainPositions,
    heldOutPositions: count(heldOut),
    options: {
      modelDim,
      features: settings.features,
      k: settings.k,
      steps,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      seed: settings.seed,
      bufferRows,
    },
  };
}

export interface SaeRunCallbacks extends TopKSaeTrainCallbacks {
  /** Training is done; the held-out measurement starts. */
  onEvaluating?(): void;
}

export interface SaeRunResult {
  training: TopKSaeTrainingResult;
  /** The official layout's two files. */
  files: SaeFolderFiles;
  /** Measured on the held-out sequences, with the weights as written. */
  quality: SaeQuality;
}

export async function runSae<S extends ArrayLike<number>>(
  model: LanguageModel,
  plan: SaeRunPlan<S>,
  settings: Pick<SaeRunSettings, 'layer' | 'point'>,
  callbacks: SaeRunCallbacks = {},
): Promise<SaeRunResult> {
  const hook = { layer: settings.layer, point: settings.point };
  const training = await trainTopKSae(hookActivationPass(model, plan.train, hook), plan.options, callbacks);
  const files = saeFolderFiles(training.sae, {
    k: plan.options.k,
    layer: hook.layer,
    point: hook.point,
    learningRate: plan.options.learningRate,
    batchSize: plan.options.batchSize,
    steps: plan.options.steps,
    seed: plan.options.seed,
  });
  // Evaluated as written: the bytes read back as `sae eval` reads them.
  const written = importSparseAutoencoder(parseSafetensors(files.safetensors), {
    config: JSON.parse(files.configJson),
  });
  callbacks.onEvaluating?.();
  const quality = saeQuality(model, written, plan.heldOut, hook);
  return { training, files, quality };
}
