import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// Autodiff is the reference here, so its gradient kernels must be registered.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { Loss } from '@bilinear-lab/core';
import { seededRandom } from '@bilinear-lab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { addSeededGaussianNoise } from '../train/gaussian-noise.js';
import type { NetworkShape } from './network.js';
import { initialParameters, type NamedArray } from './parameters.js';
import { WasmGradients, wasmGradientsSupport } from './wasm-gradients.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * The loss summed over the batch and its gradients, written with tfjs's autodiff on the cpu
 * backend from the reference formulas (an independent route to the same numbers).
 */
function autodiff(
  shape: NetworkShape,
  parameters: readonly NamedArray[],
  x: Float32Array,
  t: Float32Array,
  rows: number,
) {
  return tf.tidy(() => {
    const inputs = tf.tensor2d(x.subarray(0, rows * shape.inputDim), [rows, shape.inputDim]);
    const targets = tf.tensor2d(t.subarray(0, rows * shape.outputDim), [rows, shape.outputDim]);
    const weights = parameters.map((p) => tf.tensor2d(p.values, p.shape));
    const lossOf = (...w: tf.Tensor[]) => {
      let cursor = 0;
      let h = shape.embed ? tf.matMul(inputs, w[cursor++] as tf.Tensor) : inputs;
      for (let i = 0; i < shape.layers; i++) {
        const g = tf.mul(tf.matMul(h, w[cursor++] as tf.Tensor), tf.matMul(h, w[cursor++] as tf.Tensor));
        h = shape.residual ? tf.add(h, g) : g;
      }
      const out = tf.matMul(h, w[cursor] as tf.Tensor);
      return shape.loss === 'cross-entropy'
        ? tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(out))))
        : tf.div(tf.sum(tf.square(tf.sub(out, targets))), shape.outputDim);
    };
    const { value, grads } = tf.valueAndGrads(lossOf)(weights);
    return { loss: value.dataSync()[0] as number, gradients: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

function shapeOf(overrides: Partial<NetworkShape>): NetworkShape {
  return {
    inputDim: 29,
    hiddenDim: 13,
    layers: 1,
    outputDim: 10,
    embed: true,
    residual: false,
    gate: 'none',
    loss: 'cross-entropy',
    ...overrides,
  };
}

describe('WasmGradients', () => {
  const cases: { name: string; shape: NetworkShape; rows: number }[] = [
    { name: 'the MNIST layout (embed, one block, cross-entropy)', shape: shapeOf({}), rows: 37 },
    { name: 'two residual blocks', shape: shapeOf({ layers: 2, residual: true }), rows: 9 },
    {
      name: 'no embedding, two blocks, MSE',
      shape: shapeOf({ embed: false, layers: 2, loss: 'mse' as Loss }),
      rows: 6,
    },
    {
      name: 'no embedding, residual, d = inputs',
      shape: shapeOf({ embed: false, inputDim: 16, hiddenDim: 16, residual: true, loss: 'mse' as Loss }),
      rows: 11,
    },
    { name: 'a batch deeper than one packed panel', shape: shapeOf({ hiddenDim: 24 }), rows: 300 },
  ];
  for (const { name, shape, rows } of cases) {
    it(`gradient sums match tfjs autodiff: ${name}`, () => {
      const kernels = new WasmGradients(shape, rows + 3);
      const random = seededRandom(shape.hiddenDim * 31 + rows);
      for (let i = 0; i < rows * shape.inputDim; i++) kernels.inputs[i] = random() * 2 - 1;
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < shape.outputDim; j++) {
          kernels.targets[r * shape.outputDim + j] =
            shape.loss === 'cross-entropy' ? (j === r % shape.outputDim ? 1 : 0) : random() - 0.5;
        }
      }
      const parameters = initialParameters(shape, 5);
      const { lossSum } = kernels.step(parameters, rows);
      const expected = autodiff(shape, parameters, kernels.inputs, kernels.targets, rows);

      expect(Math.abs(lossSum - expected.loss)).toBeLessThan(1e-4 * Math.max(1, Math.abs(expected.loss)));
      kernels.gradients.forEach((gradient, i) => {
        const reference = expected.gradients[i] as Float32Array;
        expect(gradient.name).toBe(parameters[i]?.name);
        let scale = 0;
        for (const value of reference) scale = Math.max(scale, Math.abs(value));
        expect(scale).toBeGreaterThan(0);
        let worst = 0;
        for (let j = 0; j < reference.length; j++) {
          worst = Math.max(worst, Math.abs((gradient.values[j] as number) - (reference[j] as number)));
        }
        expect(worst / scale, gradient.name).toBeLessThan(1e-4);
      });
    });
  }

  it('counts correct predictions as argmax(logits) = label', () => {
    const shape = shapeOf({});
    const kernels = new WasmGradients(shape, 50);
    const random = seededRandom(3);
    for (let i = 0; i < 50 * shape.inputDim; i++) kernels.inputs[i] = random() * 2 - 1;
    const parameters = initialParameters(shape, 9);
    // Label every row with the class the network already predicts, then shift half of them by one.
    kernels.targets.fill(0);
    const logits = tf.tidy(() => {
      const x = tf.tensor2d(kernels.inputs, [50, shape.inputDim]);
      const [embed, left, right, head] = parameters.map((p) =>
        tf.tensor2d(p.values, p.shape),
      ) as tf.Tensor2D[];
      const h = tf.matMul(x, embed as tf.Tensor2D);
      const g = tf.mul(tf.matMul(h, left as tf.Tensor2D), tf.matMul(h, right as tf.Tensor2D)) as tf.Tensor2D;
      return tf.argMax(tf.matMul(g, head as tf.Tensor2D), 1).dataSync();
    });
    for (let r = 0; r < 50; r++) {
      const label = ((logits[r] as number) + (r % 2)) % shape.outputDim;
      kernels.targets[r * shape.outputDim + label] = 1;
    }
    expect(kernels.step(parameters, 50).correct).toBe(25);
  });

  it('refuses what it does not compute, and batches past its layout', () => {
    expect(wasmGradientsSupport(shapeOf({}), 0)).toBe(true);
    expect(wasmGradientsSupport(shapeOf({}), 0.1)).toBe(false);
    expect(wasmGradientsSupport(shapeOf({ gate: 'relu' }), 0)).toBe(false);
    expect(() => new WasmGradients(shapeOf({ gate: 'silu' }), 4)).toThrow(/gate "silu"/);
    const kernels = new WasmGradients(shapeOf({}), 4);
    expect(() => kernels.step(initialParameters(shapeOf({}), 1), 5)).toThrow(/batch of 5 rows: .* 1 to 4/);
    expect(() => kernels.step(initialParameters(shapeOf({ hiddenDim: 12 }), 1), 4)).toThrow(
      /"embed" with 348 values, expected "embed" with 377/,
    );
  });

  it('adds input noise as addSeededGaussianNoise does, bit for bit, after skipped draws too', () => {
    const shape = shapeOf({ inputDim: 97 });
    const kernels = new WasmGradients(shape, 8);
    const base = Float32Array.from({ length: 8 * 97 }, (_, i) => Math.sin(i));
    const expected = base.slice();
    kernels.inputs.set(base);
    for (const [row, seed, skip] of [
      [0, 1, 0],
      [3, -987_654_321, 1],
      [7, 0xfffffff0, 0],
    ] as const) {
      addSeededGaussianNoise(expected, row * 97, (row + 1) * 97, 0.4, seed, skip);
      kernels.addNoise(kernels.inputs, row * 97, (row + 1) * 97, 0.4, seed, skip);
    }
    expect(kernels.inputs).toEqual(expected);
    expect(kernels.inputs[5]).not.toBe(base[5]);
    expect(kernels.inputs[100]).toBe(base[100]);
    expect(() => kernels.addNoise(new Float32Array(97), 0, 97, 1, 1)).toThrow(/its own inputs only/);
    expect(() => kernels.addNoise(kernels.inputs, 0, 9 * 97, 1, 1)).toThrow(
      /\[0, 873\) is outside the 776 inputs/,
    );
  });
});
