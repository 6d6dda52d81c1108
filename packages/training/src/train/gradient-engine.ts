import type { Split } from '@bilinear-lab/datasets';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendRequest } from '../backend/select-backend.js';
import { gradientStep, type NetworkShape } from '../model/network.js';
import { type NamedArray, orderedTensors, uploadParameters } from '../model/parameters.js';
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

/** Gradients on the calling thread's active tfjs backend. */
class InThreadGradients implements GradientEngine {
  readonly parameters: NamedArray[];
  readonly threads = 1;
  private readonly inputs: Float32Array;
  private readonly targets: Float32Array;

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
    this.inputs = new Float32Array(maxBatch * shape.inputDim);
    this.targets = new Float32Array(maxBatch * shape.outputDim);
  }

  async step(batch: BatchRequest) {
    const { shape } = this;
    const count = batch.rows.length;
    assembleBatch(this.split, shape.outputDim, batch, 0, count, this.inputs, this.targets);
    const { latentNoise, seed } = batch;
    const params = uploadParameters(shape, this.parameters);
    const inputs = tf.tensor2d(this.inputs.subarray(0, count * shape.inputDim), [count, shape.inputDim]);
    const targets = tf.tensor2d(this.targets.subarray(0, count * shape.outputDim), [count, shape.outputDim]);
    const result = gradientStep(shape, params, inputs, targets, {
      ...(latentNoise > 0 ? { latentNoise } : {}),
      seed,
    });
    const tensors = orderedTensors(shape, result.gradients);
    const gradients = tensors.map((g, i) => {
      const p = this.parameters[i] as NamedArray;
      return { name: p.name, shape: p.shape, values: g.dataSync() as Float32Array };
    });
    const lossSum = result.lossSum.dataSync()[0] as number;
    const correct = result.correct.dataSync()[0] as number;
    tf.dispose([
      ...orderedTensors(shape, params),
      inputs,
      targets,
      ...tensors,
      result.lossSum,
      result.correct,
    ]);
    return { lossSum, correct, gradients };
  }

  async close(): Promise<void> {}
}
