import { seededRandom } from '@bilinear-lab/core';
import type { Split } from '@bilinear-lab/datasets';
import { type AddNoise, addSeededGaussianNoise } from './gaussian-noise.js';

/** Which rows of the training split form a batch, and the noise to put on them. */
export interface BatchRequest {
  /** Row indices into the split, in batch order. */
  rows: Int32Array;
  /** Gaussian input noise: std and the chance each row gets it (std 0: none). */
  inputNoise: { std: number; probability: number };
  /** Noise on block outputs, scaled by their std. */
  latentNoise: number;
  /** The step's seed; every row's noise derives from it and the row's place in the batch. */
  seed: number;
}

/**
 * Copies batch rows [from, to) of a split into `inputs`/`targets` (one-hot for labels) starting at
 * their first row, adding each row's input noise. Each row's noise comes from its own generator
 * (seeded by the step and its place in the batch), so a batch is the same however the rows are
 * shared out between threads. `addNoise` is how (the wasm kernels pass theirs, for `inputs` in
 * their memory).
 */
export function assembleBatch(
  split: Pick<Split, 'count' | 'inputs' | 'labels' | 'targets'>,
  outputDim: number,
  request: BatchRequest,
  from: number,
  to: number,
  inputs: Float32Array,
  targets: Float32Array,
  addNoise: AddNoise = addSeededGaussianNoise,
): void {
  const inputDim = split.inputs.length / split.count;
  const { std, probability } = request.inputNoise;
  targets.fill(0, 0, (to - from) * outputDim);
  for (let r = from; r < to; r++) {
    const index = request.rows[r] as number;
    const at = (r - from) * inputDim;
    inputs.set(split.inputs.subarray(index * inputDim, (index + 1) * inputDim), at);
    if (split.labels) targets[(r - from) * outputDim + (split.labels[index] as number)] = 1;
    else if (split.targets) {
      targets.set(split.targets.subarray(index * outputDim, (index + 1) * outputDim), (r - from) * outputDim);
    }
    if (std > 0) {
      const seed = Math.imul(request.seed ^ 0x9e3779b9, 0x85ebca6b) + r;
      // Below probability 1 the row's first draw decides whether it gets noise at all.
      if (probability >= 1) addNoise(inputs, at, at + inputDim, std, seed);
      else if (seededRandom(seed)() < probability) addNoise(inputs, at, at + inputDim, std, seed, 1);
    }
  }
}
