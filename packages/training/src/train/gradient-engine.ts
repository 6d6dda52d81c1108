import type { Split } from '@bilinear-lab/datasets';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendRequest } from '../backend/select-backend.js';
import { BatchGradients } from '../model/batch-gradients.js';
import type { NetworkShape } from '../model/network.js';
import type { NamedArray } from '../model/parameters.js';
import { GradientPool } from '../parallel/gradient-pool.js';
import { assembleBatch, type BatchRequest } from './batch.js';

/**
 * Where a training step's gradients are computed: the engine holds the parameters (update them in
 * place between steps) and the training split; `step` assembles the requested batch and returns the
 * mean gradients over it.
 */
export interface GradientEngine {
  readonly parameters: NamedArray[];
  readonly threads: number;
  step(batch: BatchRequest): Promise<{ lossSum: number; correct: number; gradients: NamedArray[] }>;
  close(): Promise<void>;
}

export async function createGradientEngine(options: {
  threads: number;
  backend: BackendRequest;
  shape: NetworkShape;
  initial: readonly NamedArray[];
  maxBatch: number;
  split: Split;
}): Promise<GradientEngine> {
  if (options.threads <= 1) {
    return new InThreadGradients(options.shape, options.initial, options.maxBatch, options.split);
  }
  const pool = await GradientPool.start(options);
  return {
    parameters: pool.parameters,
    threads: options.threads,
    async step(batch) {
      const { lossSum, correct } = await pool.step(batch);
      return { lossSum, correct, gradients: pool.gradients };
    },
    close: () => pool.close(),
  };
}

/** Gradients on the calling thread's active tfjs backend (or the wasm kernels, see BatchGradients). */
class InThreadGradients implements GradientEngine {
  readonly parameters: NamedArray[];
  readonly threads = 1;
  private readonly batch: BatchGradients;
  private readonly gradients: NamedArray[];

  constructor(
    private readonly shape: NetworkShape,
    initial: readonly NamedArray[],
    maxBatch: number,
    private readonly split: Split,
  ) {
    this.parameters = initial.map((p) => ({
      name: p.name,
      shape: [p.shape[0], p.shape[1]],
      values: p.values.slice(),
    }));
    this.gradients = initial.map((p) => ({
      name: p.name,
      shape: [p.shape[0], p.shape[1]],
      values: new Float32Array(p.values.length),
    }));
    this.batch = new BatchGradients(shape, maxBatch, { kernels: tf.getBackend() === 'wasm' });
  }

  async step(request: BatchRequest) {
    const count = request.rows.length;
    const { inputs, targets, addNoise } = this.batch;
    assembleBatch(this.split, this.shape.outputDim, request, 0, count, inputs, targets, addNoise);
    const sums = await this.batch.compute(this.parameters, count, {
      latentNoise: request.latentNoise,
      seed: request.seed,
    });
    sums.gradients.forEach((values, i) => {
      const out = (this.gradients[i] as NamedArray).values;
      for (let j = 0; j < values.length; j++) out[j] = (values[j] as number) / count;
    });
    return { lossSum: sums.lossSum, correct: sums.correct, gradients: this.gradients };
  }

  async close(): Promise<void> {}
}
