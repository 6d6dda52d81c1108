import { existsSync, readFileSync } from 'node:fs';
import {
  importModel,
  type LanguageModel,
  languageModelLoss,
  parseSafetensors,
  seededRandom,
  writeSafetensors,
} from '@bilinear-lab/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// Autodiff is one of the references for the hand-written backward pass: its gradients must be registered.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describe, expect, it } from 'vitest';
import type { NamedArray } from '../model/parameters.js';
import { runOnWasmBackend } from '../testing/wasm-backend.js';
import { initialLanguageModelParameters } from './initial-parameters.js';
import { languageModelFolderFiles, readLanguageModelFolderFiles } from './model-folder.js';
import { type LanguageModelShape, languageModelParameterShapes, languageModelShape } from './model-shape.js';
import {
  accumulateGradients,
  disposeWeights,
  lossSumOf,
  type TokenWindows,
  uploadWeights,
} from './transformer.js';

const FIXTURES = new URL('../../../../../shared/fixtures/lm/', import.meta.url);
const HAS_FIXTURE = existsSync(new URL('lm_dev/model.safetensors', FIXTURES));

runOnWasmBackend();

function zeros(shape: LanguageModelShape): NamedArray[] {
  return languageModelParameterShapes(shape).map(({ name, shape: dims }) => ({
    name,
    shape: dims,
    values: new Float32Array(dims[0] * dims[1]),
  }));
}

/** The core's float64 model for parameters, through the folder files (so the writer is exercised too). */
function coreModel(shape: LanguageModelShape, parameters: readonly NamedArray[]): LanguageModel {
  const files = languageModelFolderFiles(shape, parameters);
  const model = importModel(parseSafetensors(files.safetensors), {
    config: files.configJson,
    configName: 'config.json',
  });
  if (model.layout !== 'language-model') throw new Error('expected a language model');
  return model;
}

function windowsOf(sequences: readonly (readonly number[])[]): TokenWindows {
  const length = (sequences[0] as readonly number[]).length;
  return { tokens: Int32Array.from(sequences.flat()), windows: sequences.length, length };
}

function randomWindows(
  shape: LanguageModelShape,
  windows: number,
  length: number,
  seed: number,
): TokenWindows {
  const random = seededRandom(seed);
  const tokens = Int32Array.from({ length: windows * length }, () => Math.floor(random() * shape.vocabSize));
  return { tokens, windows, length };
}

describe.skipIf(!HAS_FIXTURE)(
  `the TensorFlow.js forward pass on the PyTorch fixture lm_dev${HAS_FIXTURE ? '' : ' (skipped: ../shared/fixtures/lm is not beside the repository)'}`,
  () => {
    it("gives the held-out loss of PyTorch and of the core's float64 forward pass to 1e-5 relative", () => {
      const read = readLanguageModelFolderFiles(
        new Uint8Array(readFileSync(new URL('lm_dev/model.safetensors', FIXTURES))),
        readFileSync(new URL('lm_dev/config.json', FIXTURES), 'utf8'),
      );
      const reference = JSON.parse(readFileSync(new URL('lm_dev.reference.json', FIXTURES), 'utf8')) as {
        held_out_tokens: number[][];
        held_out_loss: number;
      };
      const weights = uploadWeights(read.shape, read.parameters, read.inverseFrequencies);
      const batch = windowsOf(reference.held_out_tokens);
      const { lossSum, predicted } = lossSumOf(read.shape, weights, batch);
      disposeWeights(weights);
      const loss = lossSum / predicted;
      const exact = languageModelLoss(coreModel(read.shape, read.parameters), reference.held_out_tokens).loss;
      expect(predicted).toBe(4 * 47);
      expect(Math.abs(loss - reference.held_out_loss) / reference.held_out_loss).toBeLessThan(1e-5);
      expect(Math.abs(loss - exact) / exact).toBeLessThan(1e-5);
    });
  },
);

const TINY = languageModelShape({
  vocabSize: 13,
  modelDim: 8,
  hiddenDim: 6,
  layers: 2,
  heads: 2,
  context: 6,
});
const VARIANTS: { label: string; shape: LanguageModelShape }[] = [
  { label: 'bilinear, scaled attention, RMSNorm (the reference default)', shape: TINY },
  { label: 'ReGLU', shape: { ...TINY, gate: 'relu' } },
  { label: 'SwiGLU without the attention scale', shape: { ...TINY, gate: 'silu', scaleAttention: false } },
  { label: 'GeGLU without normalisation', shape: { ...TINY, gate: 'gelu', normalization: false, layers: 1 } },
];

/** The hand-written gradient of the mean next-token loss, and that loss. */
function handWritten(shape: LanguageModelShape, parameters: readonly NamedArray[], batch: TokenWindows) {
  const weights = uploadWeights(shape, parameters);
  const gradients = zeros(shape);
  const predicted = batch.windows * (batch.length - 1);
  const { lossSum } = accumulateGradients(shape, weights, batch, 1 / predicted, gradients);
  disposeWeights(weights);
  return { loss: lossSum / predicted, gradients };
}

/** Small weights for models without normalisation, so activations stay moderate. */
function parametersFor(shape: LanguageModelShape, seed: number): NamedArray[] {
  const parameters = initialLanguageModelParameters(shape, seed);
  if (!shape.normalization) {
    for (const { values } of parameters) values.set(values.map((value) => value * 0.5));
  }
  return parameters;
}

/**
 * The same model written plainly with tfjs ops as the reference code reads — a 5-d rearrange of qkv,
 * rotate_half by slicing, a −∞ mask, log-softmax cross-entropy on logits[:, :-1] — differentiated by
 * tfjs autodiff.
 */
function autodiffGradients(
  shape: LanguageModelShape,
  parameters: readonly NamedArray[],
  batch: TokenWindows,
) {
  const { windows: b, length: t } = batch;
  const { modelDim: d, heads: nh, hiddenDim: h, vocabSize: v } = shape;
  const dh = d / nh;
  const rms = (x: tf.Tensor) =>
    shape.normalization ? tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-8))) : x;
  const act = (x: tf.Tensor) =>
    shape.gate === 'none'
      ? x
      : shape.gate === 'relu'
        ? tf.relu(x)
        : shape.gate === 'silu'
          ? tf.mul(x, tf.sigmoid(x))
          : tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  const frequencies = Array.from({ length: dh / 2 }, (_, i) => 1 / 10_000 ** ((2 * i) / dh));
  const angles = Array.from({ length: t }, (_, p) => [...frequencies, ...frequencies].map((f) => p * f));
  const cos = tf.tensor2d(angles.map((row) => row.map(Math.cos)));
  const sin = tf.tensor2d(angles.map((row) => row.map(Math.sin)));
  const rotateHalf = (x: tf.Tensor) =>
    tf.concat(
      [
        tf.neg(tf.slice(x, [0, 0, 0, dh / 2], [-1, -1, -1, dh / 2])),
        tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, dh / 2]),
      ],
      3,
    );
  const causal = tf.linalg.bandPart(tf.ones([t, t]), -1, 0);
  const ids = tf.tensor2d(Array.from(batch.tokens), [b, t], 'int32');
  const targets = tf.slice(ids, [0, 1], [-1, -1]);
  // nn.Linear: input [b, t, in] times weightᵀ.
  const linear = (input: tf.Tensor, weight: tf.Tensor) =>
    tf.reshape(tf.matMul(tf.reshape(input, [b * t, -1]), weight, false, true), [b, t, -1]);
  const lossOf = (...weights: tf.Tensor[]) => {
    let x = tf.gather(weights[0] as tf.Tensor, ids); // [b, t, d]
    for (let l = 0; l < shape.layers; l++) {
      const [qkv, o, w, p] = weights.slice(1 + 4 * l, 5 + 4 * l) as [
        tf.Tensor,
        tf.Tensor,
        tf.Tensor,
        tf.Tensor,
      ];
      const split = tf.transpose(tf.reshape(linear(rms(x), qkv), [b, t, 3, nh, dh]), [2, 0, 3, 1, 4]);
      const [q0, k0, v0] = tf.unstack(split) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const q = tf.add(tf.mul(q0, cos), tf.mul(rotateHalf(q0), sin));
      const k = tf.add(tf.mul(k0, cos), tf.mul(rotateHalf(k0), sin));
      const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh));
      const masked = tf.where(
        tf.cast(causal, 'bool'),
        scores,
        tf.fill(scores.shape, Number.NEGATIVE_INFINITY),
      );
      const z = tf.reshape(tf.transpose(tf.matMul(tf.softmax(masked), v0), [0, 2, 1, 3]), [b, t, d]);
      const s = shape.scaleAttention ? 1 / Math.sqrt(2 * shape.layers) : 1;
      x = tf.add(x, tf.mul(linear(z, o), s));
      const hidden = linear(rms(x), w);
      const left = tf.slice(hidden, [0, 0, 0], [-1, -1, h]);
      const right = tf.slice(hidden, [0, 0, h], [-1, -1, h]);
      x = tf.add(x, linear(tf.mul(act(left), right), p));
    }
    const logits = linear(rms(x), weights[weights.length - 1] as tf.Tensor);
    const shifted = tf.reshape(tf.slice(logits, [0, 0, 0], [-1, t - 1, -1]), [b * (t - 1), v]);
    const picked = tf.mul(tf.logSoftmax(shifted), tf.oneHot(tf.reshape(targets, [-1]), v));
    return tf.div(tf.neg(tf.sum(picked)), b * (t - 1)) as tf.Scalar;
  };
  const tensors = parameters.map((p) => tf.tensor2d(p.values, p.shape));
  const { value, grads } = tf.valueAndGrads(lossOf)(tensors);
  const loss = value.dataSync()[0] as number;
  const gradients = grads.map((g) => g.dataSync() as Float32Array);
  tf.dispose([...tensors, ...grads, value, cos, sin, causal, ids, targets]);
  return { loss, gradients };
}

/** The core's float64 model for float64 parameters (F64 safetensors, so perturbations survive). */
function coreModel64(
  shape: LanguageModelShape,
  parameters: readonly { name: string; shape: [number, number]; values: Float64Array }[],
) {
  const bytes = writeSafetensors(
    parameters.map(({ name, shape: dims, values }) => ({ name, dtype: 'F64', shape: dims, data: values })),
  );
  const files = languageModelFolderFiles(shape, zeros(shape));
  const model = importModel(parseSafetensors(bytes), { config: files.configJson, configName: 'config.json' });
  if (model.layout !== 'language-model') throw new Error('expected a language model');
  return model;
}

function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let largest = 0;
  for (let i = 0; i < expected.length; i++) largest = Math.max(largest, Math.abs(expected[i] as number));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)) / largest);
  }
  return worst;
}

describe('the hand-written backward pass', () => {
  for (const { label, shape } of VARIANTS) {
    it(`equals tfjs autodiff of a plainly written model (${label}), on the cpu backend`, async () => {
      await tf.setBackend('cpu');
      try {
        const parameters = parametersFor(shape, 3);
        const batch = randomWindows(shape, 3, shape.context, 17);
        const mine = handWritten(shape, parameters, batch);
        const reference = autodiffGradients(shape, parameters, batch);
        expect(Math.abs(mine.loss - reference.loss) / reference.loss).toBeLessThan(1e-5);
        mine.gradients.forEach((gradient, i) => {
          const error = maxRelativeError(gradient.values, reference.gradients[i] as Float32Array);
          if (!(error < 1e-4)) expect.fail(`${gradient.name}: max error ${error} of the largest entry`);
        });
      } finally {
        await tf.setBackend('wasm');
      }
    });

    it(`matches finite differences of the core's float64 loss along every parameter (${label}), on wasm`, () => {
      const parameters = parametersFor(shape, 5);
      const batch = randomWindows(shape, 3, shape.context, 23);
      const sequences = Array.from({ length: batch.windows }, (_, w) =>
        Array.from(batch.tokens.subarray(w * batch.length, (w + 1) * batch.length)),
      );
      const { loss, gradients } = handWritten(shape, parameters, batch);
      const wide = parameters.map((p) => ({
        name: p.name,
        shape: p.shape,
        values: Float64Array.from(p.values),
      }));
      expect(
        Math.abs(loss - languageModelLoss(coreModel64(shape, wide), sequences).loss) / loss,
      ).toBeLessThan(1e-5);
      const random = seededRandom(29);
      const epsilon = 1e-4;
      wide.forEach((parameter, index) => {
        // A random direction in this parameter alone: ⟨g, u⟩ against (L(θ + εu) − L(θ − εu)) / 2ε.
        const direction = Float64Array.from(parameter.values, () => random() - 0.5);
        const at = (sign: number) => {
          const moved = wide.map((p, j) =>
            j === index
              ? {
                  ...p,
                  values: p.values.map((value, k) => value + sign * epsilon * (direction[k] as number)),
                }
              : p,
          );
          return languageModelLoss(coreModel64(shape, moved), sequences).loss;
        };
        const numeric = (at(1) - at(-1)) / (2 * epsilon);
        const gradient = (gradients[index] as NamedArray).values;
        let analytic = 0;
        let scale = 0;
        for (let k = 0; k < direction.length; k++) {
          analytic += (gradient[k] as number) * (direction[k] as number);
          scale += Math.abs((gradient[k] as number) * (direction[k] as number));
        }
        if (!(Math.abs(analytic - numeric) <= 2e-4 * scale + 1e-7)) {
          expect.fail(
            `${parameter.name}: ⟨g, u⟩ = ${analytic}, finite differences ${numeric} (scale ${scale})`,
          );
        }
      });
    });
  }

  it('splits a batch into parts that sum to the whole batch gradient', () => {
    const parameters = parametersFor(TINY, 7);
    const batch = randomWindows(TINY, 4, TINY.context, 31);
    const whole = handWritten(TINY, parameters, batch).gradients;
    const weights = uploadWeights(TINY, parameters);
    const parts = zeros(TINY);
    const half = 2 * TINY.context;
    const scale = 1 / (4 * (TINY.context - 1));
    accumulateGradients(
      TINY,
      weights,
      { tokens: batch.tokens.subarray(0, half), windows: 2, length: TINY.context },
      scale,
      parts,
    );
    accumulateGradients(
      TINY,
      weights,
      { tokens: batch.tokens.subarray(half), windows: 2, length: TINY.context },
      scale,
      parts,
    );
    disposeWeights(weights);
    parts.forEach((gradient, i) => {
      expect(maxRelativeError(gradient.values, (whole[i] as NamedArray).values)).toBeLessThan(1e-5);
    });
  });
});
