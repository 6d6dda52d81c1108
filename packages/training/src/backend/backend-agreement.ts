// Does a backend compute what the wasm backend computes? One training step of the MNIST bilinear
// classifier (loss and every gradient, on real digits) and one matrix product, run on both and
// compared. The wasm backend is the reference because every platform test already pins it against
// PyTorch; both sides are float32, so the tolerances allow for a GPU's different summation order.
import { seededGaussian } from '@bilinear-lab/core';
import { loadBundledMnist } from '@bilinear-lab/datasets';
import * as tf from '@tensorflow/tfjs-core';
import { gradientStep, type NetworkShape } from '../model/network.js';
import { initialParameters, orderedTensors, uploadParameters } from '../model/parameters.js';
import { assembleBatch } from '../train/batch.js';
import { type BackendName, type BackendSelectOptions, selectBackend } from './select-backend.js';

export interface AgreementCheck {
  /** What was compared: `loss`, `gradient embed`, `matmul 256×512·512×256`, … */
  name: string;
  /** max |ours − wasm| / max |wasm|: the error relative to the quantity's scale. */
  relativeError: number;
  tolerance: number;
  passed: boolean;
}

export interface AgreementOptions {
  /** Width d of the bilinear block (default 128). */
  hidden?: number;
  /** Digits in the training batch (default 256). */
  batch?: number;
}

/** Relative errors allowed: float32 sums of up to 784 terms in another order. */
const TOLERANCE = { loss: 1e-4, gradient: 1e-3, matmul: 1e-4 } as const;
const SEED = 11;

/**
 * Runs the checks on `backend` and on wasm and compares them; the wasm backend is active afterwards.
 * Rejects with the BackendUnavailableError of `backend` when it cannot run here.
 */
export async function compareWithWasm(
  backend: BackendName,
  options: AgreementOptions = {},
  select: BackendSelectOptions = {},
): Promise<AgreementCheck[]> {
  const hidden = options.hidden ?? 128;
  const batch = options.batch ?? 256;
  const mnist = await loadBundledMnist();
  if (batch > mnist.train.count) {
    throw new RangeError(`batch ${batch}: at most ${mnist.train.count}, the bundled training digits`);
  }
  const shape: NetworkShape = {
    inputDim: mnist.inputDim,
    hiddenDim: hidden,
    layers: 1,
    outputDim: mnist.outputDim,
    embed: true,
    residual: false,
    gate: 'none',
    loss: 'cross-entropy',
  };
  const inputs = new Float32Array(batch * shape.inputDim);
  const targets = new Float32Array(batch * shape.outputDim);
  const rows = Int32Array.from({ length: batch }, (_, i) => i);
  // Input noise as in training, so the step sees the values a real run would.
  const request = { rows, inputNoise: { std: 0.4, probability: 1 }, latentNoise: 0, seed: SEED };
  assembleBatch(mnist.train, shape.outputDim, request, 0, batch, inputs, targets);
  const parameters = initialParameters(shape, SEED);
  const gaussian = seededGaussian(SEED);
  const [m, k, n] = [256, 512, 256];
  const left = Float32Array.from({ length: m * k }, () => gaussian());
  const right = Float32Array.from({ length: k * n }, () => gaussian());

  const run = async (): Promise<Float32Array[]> => {
    const params = uploadParameters(shape, parameters);
    const x = tf.tensor2d(inputs, [batch, shape.inputDim]);
    const t = tf.tensor2d(targets, [batch, shape.outputDim]);
    const result = gradientStep(shape, params, x, t);
    const gradients = orderedTensors(shape, result.gradients);
    const a = tf.tensor2d(left, [m, k]);
    const b = tf.tensor2d(right, [k, n]);
    const product = tf.matMul(a, b);
    // Asynchronous reads: the webgpu backend has no synchronous read in Node.
    const values = await Promise.all(
      [result.lossSum, ...gradients, product].map((tensor) => tensor.data() as Promise<Float32Array>),
    );
    tf.dispose([
      ...orderedTensors(shape, params),
      x,
      t,
      result.lossSum,
      result.correct,
      ...gradients,
      a,
      b,
      product,
    ]);
    return values;
  };

  await selectBackend(backend, select);
  const ours = await run();
  await selectBackend('wasm');
  const reference = await run();
  const names = ['loss', ...parameters.map((p) => `gradient ${p.name}`), `matmul ${m}×${k}·${k}×${n}`];
  return names.map((name, i) => {
    const tolerance =
      i === 0 ? TOLERANCE.loss : i === names.length - 1 ? TOLERANCE.matmul : TOLERANCE.gradient;
    const relativeError = relativeDifference(ours[i] as Float32Array, reference[i] as Float32Array);
    return { name, relativeError, tolerance, passed: relativeError <= tolerance };
  });
}

/** max |a − b| / max |b|; Infinity when the lengths differ or a value is not finite. */
export function relativeDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (!Number.isFinite(x) || !Number.isFinite(y)) return Number.POSITIVE_INFINITY;
    scale = Math.max(scale, Math.abs(y));
    worst = Math.max(worst, Math.abs(x - y));
  }
  return scale === 0 ? worst : worst / scale;
}
