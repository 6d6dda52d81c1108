import * as tf from '@tensorflow/tfjs-core';
import { type AddNoise, addSeededGaussianNoise } from '../train/gaussian-noise.js';
import { gradientStep, type NetworkShape } from './network.js';
import { type NamedArray, orderedTensors, parameterShapes, uploadParameters } from './parameters.js';
import { WasmGradients, wasmGradientsSupport } from './wasm-gradients.js';

/** Gradients of the loss summed over a batch's rows, in parameterShapes order. */
export interface GradientSums {
  lossSum: number;
  correct: number;
  /** Valid until the next `compute`. */
  gradients: readonly Float32Array[];
}

/**
 * A thread's gradient computation for batches of up to `maxBatch` rows: assemble a batch into
 * `inputs`/`targets`, then `compute`. On the wasm backend the plain bilinear network (no gate, no
 * latent noise) runs on this package's own wasm-SIMD kernels with everything resident; any other
 * network, or backend, runs `gradientStep`'s tfjs ops.
 */
export class BatchGradients {
  readonly inputs: Float32Array;
  readonly targets: Float32Array;
  /** How to add input noise to `inputs` (assembleBatch's last argument). */
  readonly addNoise: AddNoise;
  /** Whether steps without latent noise run on the wasm kernels. */
  readonly kernels: boolean;
  private readonly wasm: WasmGradients | null;
  private readonly sums: Float32Array[];

  /**
   * `kernels`: whether to use the wasm kernels where they apply. They replace the wasm backend's
   * ops, so callers pass `tf.getBackend() === 'wasm'`; a benchmark passes false on wasm for the
   * tfjs ops as its reference.
   */
  constructor(
    private readonly shape: NetworkShape,
    maxBatch: number,
    options: { kernels: boolean },
  ) {
    this.wasm = options.kernels && wasmGradientsSupport(shape, 0) ? new WasmGradients(shape, maxBatch) : null;
    this.kernels = this.wasm !== null;
    this.inputs = this.wasm?.inputs ?? new Float32Array(maxBatch * shape.inputDim);
    this.targets = this.wasm?.targets ?? new Float32Array(maxBatch * shape.outputDim);
    this.addNoise = this.wasm?.addNoise ?? addSeededGaussianNoise;
    this.sums = parameterShapes(shape).map(({ shape: [rows, cols] }) => new Float32Array(rows * cols));
  }

  /**
   * Gradient sums over the first `count` rows of `inputs`/`targets` at `parameters`. Async because
   * a GPU backend's tensors are read asynchronously; the wasm kernels finish synchronously.
   */
  async compute(
    parameters: readonly NamedArray[],
    count: number,
    options: { latentNoise: number; seed: number },
  ): Promise<GradientSums> {
    const { shape } = this;
    if (this.wasm && wasmGradientsSupport(shape, options.latentNoise)) {
      const { lossSum, correct } = this.wasm.step(parameters, count);
      return { lossSum, correct, gradients: this.wasm.gradients.map((g) => g.values) };
    }
    const params = uploadParameters(shape, parameters);
    const x = tf.tensor2d(this.inputs.subarray(0, count * shape.inputDim), [count, shape.inputDim]);
    const t = tf.tensor2d(this.targets.subarray(0, count * shape.outputDim), [count, shape.outputDim]);
    const result = gradientStep(shape, params, x, t, {
      ...(options.latentNoise > 0 ? { latentNoise: options.latentNoise } : {}),
      seed: options.seed,
    });
    const tensors = orderedTensors(shape, result.gradients);
    const values = await Promise.all(tensors.map((gradient) => gradient.data() as Promise<Float32Array>));
    values.forEach((mean, i) => {
      const out = this.sums[i] as Float32Array;
      // gradientStep returns gradients of the mean over `count` rows.
      for (let j = 0; j < mean.length; j++) out[j] = (mean[j] as number) * count;
    });
    const lossSum = (await result.lossSum.data())[0] as number;
    const correct = (await result.correct.data())[0] as number;
    tf.dispose([...orderedTensors(shape, params), x, t, ...tensors, result.lossSum, result.correct]);
    return { lossSum, correct, gradients: this.sums };
  }
}
