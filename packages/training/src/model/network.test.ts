import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// Autodiff is the reference here, so its gradient kernels must be registered.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { Gate, Loss } from '@bilinear-lab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradientStep, type NetworkParameters, type NetworkShape } from './network.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomParameters(shape: NetworkShape, seed: number): NetworkParameters {
  const d = shape.hiddenDim;
  const first = shape.embed ? d : shape.inputDim;
  return {
    embed: shape.embed ? tf.randomNormal([shape.inputDim, d], 0, 0.3, 'float32', seed) : null,
    left: Array.from({ length: shape.layers }, (_, i) =>
      tf.randomNormal([i === 0 ? first : d, d], 0, 0.4, 'float32', seed + 10 + i),
    ),
    right: Array.from({ length: shape.layers }, (_, i) =>
      tf.randomNormal([i === 0 ? first : d, d], 0, 0.4, 'float32', seed + 20 + i),
    ),
    head: tf.randomNormal([d, shape.outputDim], 0, 0.4, 'float32', seed + 30),
  };
}

/** The same network written with tfjs's autodiff: an independent reference for the hand-written gradients. */
function autodiffGradients(shape: NetworkShape, params: NetworkParameters, x: tf.Tensor, targets: tf.Tensor) {
  const list = [...(params.embed ? [params.embed] : []), ...params.left, ...params.right, params.head];
  const lossOf = (...weights: tf.Tensor[]) => {
    let cursor = 0;
    const embed = params.embed ? weights[cursor++] : null;
    const left = params.left.map(() => weights[cursor++] as tf.Tensor);
    const right = params.right.map(() => weights[cursor++] as tf.Tensor);
    const head = weights[cursor] as tf.Tensor;
    let h = embed ? tf.matMul(x, embed) : x;
    for (let i = 0; i < shape.layers; i++) {
      const a = tf.matMul(h, left[i] as tf.Tensor);
      const gated =
        shape.gate === 'none'
          ? a
          : shape.gate === 'relu'
            ? tf.relu(a)
            : shape.gate === 'silu'
              ? tf.mul(a, tf.sigmoid(a))
              : tf.mul(tf.mul(a, 0.5), tf.add(1, tf.erf(tf.mul(a, Math.SQRT1_2))));
      const g = tf.mul(gated, tf.matMul(h, right[i] as tf.Tensor));
      h = shape.residual ? tf.add(h, g) : g;
    }
    const out = tf.matMul(h, head);
    return shape.loss === 'cross-entropy'
      ? tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(out)), 1)))
      : tf.mean(tf.square(tf.sub(out, targets)));
  };
  return tf.grads(lossOf)(list);
}

const cases: { name: string; shape: NetworkShape }[] = [];
for (const gate of ['none', 'relu', 'silu', 'gelu'] as Gate[]) {
  cases.push({
    name: `classifier, gate ${gate}`,
    shape: {
      inputDim: 9,
      hiddenDim: 6,
      layers: 1,
      outputDim: 4,
      embed: true,
      residual: false,
      gate,
      loss: 'cross-entropy',
    },
  });
}
cases.push({
  name: 'two residual layers',
  shape: {
    inputDim: 7,
    hiddenDim: 5,
    layers: 2,
    outputDim: 3,
    embed: true,
    residual: true,
    gate: 'none',
    loss: 'cross-entropy',
  },
});
cases.push({
  name: 'toy: no embedding, MSE',
  shape: {
    inputDim: 4,
    hiddenDim: 6,
    layers: 1,
    outputDim: 6,
    embed: false,
    residual: false,
    gate: 'none',
    loss: 'mse' as Loss,
  },
});

describe('hand-written gradients equal tfjs autodiff', () => {
  for (const { name, shape } of cases) {
    it(name, () => {
      const params = randomParameters(shape, 3);
      const batch = 5;
      const x = tf.randomUniform([batch, shape.inputDim], 0, 1, 'float32', 4);
      const targets =
        shape.loss === 'cross-entropy'
          ? tf.cast(tf.oneHot(tf.tensor1d([0, 2, 1, 0, 2], 'int32'), shape.outputDim), 'float32')
          : tf.randomUniform([batch, shape.outputDim], 0, 1, 'float32', 5);
      const ours = gradientStep(shape, params, x, targets);
      const reference = autodiffGradients(shape, params, x, targets);
      const flat = [
        ...(ours.gradients.embed ? [ours.gradients.embed] : []),
        ...ours.gradients.left,
        ...ours.gradients.right,
        ours.gradients.head,
      ];
      expect(flat).toHaveLength(reference.length);
      flat.forEach((gradient, i) => {
        const a = gradient.dataSync();
        const b = (reference[i] as tf.Tensor).dataSync();
        const scale = Math.max(...Array.from(b, Math.abs), 1e-3);
        for (let j = 0; j < a.length; j++)
          expect(Math.abs((a[j] as number) - (b[j] as number))).toBeLessThan(2e-5 * scale);
      });
    });
  }
});

describe('training-only noise', () => {
  const shape: NetworkShape = {
    inputDim: 9,
    hiddenDim: 6,
    layers: 1,
    outputDim: 4,
    embed: true,
    residual: false,
    gate: 'none',
    loss: 'cross-entropy',
  };
  const params = randomParameters(shape, 8);
  const x = tf.randomUniform([6, 9], 0, 1, 'float32', 1);
  const targets = tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1], 'int32'), 4), 'float32');

  it('latent noise changes the loss', () => {
    const clean = gradientStep(shape, params, x, targets).lossSum.dataSync()[0];
    const noisy = gradientStep(shape, params, x, targets, {
      latentNoise: 0.33,
      seed: 2,
    }).lossSum.dataSync()[0];
    expect(noisy).not.toBe(clean);
  });
});
