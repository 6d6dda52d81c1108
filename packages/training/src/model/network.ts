import type { Gate, Loss } from '@bilinear-lab/core';
import * as tf from '@tensorflow/tfjs-core';

/** The shape of a bilinear network: [embed] → bilinear blocks → head. */
export interface NetworkShape {
  inputDim: number;
  /** Width of the bilinear blocks (d; each block maps d → d with d hidden units). */
  hiddenDim: number;
  layers: number;
  outputDim: number;
  /** With an embedding E [d, in] (image classifier); without, the first block reads the input. */
  embed: boolean;
  residual: boolean;
  gate: Gate;
  loss: Loss;
}

/**
 * Parameters in compute layout, each stored transposed from the reference (PyTorch) layout so that
 * every forward product is a plain x·M: the wasm backend runs plain matMul ~10× faster than its
 * transposed variants. `embed` Eᵀ [in, d]; `left`/`right` Wᵀ, Vᵀ [d_in, d]; `head` Hᵀ [d, out].
 */
export interface NetworkParameters {
  embed: tf.Tensor | null;
  left: tf.Tensor[];
  right: tf.Tensor[];
  head: tf.Tensor;
}

export interface StepOptions {
  /** Noise on each block's output, scaled by that output's std (training only). */
  latentNoise?: number;
  /** Seed for this step's latent noise (derive it from the run seed and the step number). */
  seed?: number;
}

export interface StepResult {
  /** Gradients in the same compute layout as the parameters. */
  gradients: NetworkParameters;
  /** Sum (not mean) of the per-sample losses. */
  lossSum: tf.Tensor;
  /** Correct predictions (classification) or 0. */
  correct: tf.Tensor;
}

/**
 * One forward and backward pass with hand-written gradients — no tape, no split or concat, every
 * product a plain matMul (the inputs' transposes are made explicitly once). The loss is the mean
 * over the batch, so gradients are those of the mean; `lossSum` is returned for epoch averages.
 */
export function gradientStep(
  shape: NetworkShape,
  params: NetworkParameters,
  inputs: tf.Tensor,
  targets: tf.Tensor,
  options: StepOptions = {},
): StepResult {
  // tidy keeps only the returned tensors; its typing does not know our result shape.
  return tf.tidy(() => {
    const batch = inputs.shape[0] as number;
    const x = inputs;
    // Forward, keeping what the backward pass needs.
    const layerInputs: tf.Tensor[] = [];
    const leftOut: tf.Tensor[] = [];
    const rightOut: tf.Tensor[] = [];
    let h: tf.Tensor = params.embed ? tf.matMul(x, params.embed) : x;
    for (let i = 0; i < shape.layers; i++) {
      layerInputs.push(h);
      const a = tf.matMul(h, params.left[i] as tf.Tensor);
      const b = tf.matMul(h, params.right[i] as tf.Tensor);
      leftOut.push(a);
      rightOut.push(b);
      let g: tf.Tensor = tf.mul(applyGate(shape.gate, a), b);
      if (options.latentNoise && options.latentNoise > 0) {
        g = addLatentNoise(g, options.latentNoise, (options.seed ?? 0) + 7919 * (i + 1));
      }
      h = shape.residual ? tf.add(h, g) : g;
    }
    const outputs = tf.matMul(h, params.head);
    const { lossSum, correct, dOutputs } = lossAndGradient(shape.loss, outputs, targets, batch);

    // Backward.
    const headGrad = tf.matMul(tf.transpose(h), dOutputs);
    let dh: tf.Tensor = tf.matMul(dOutputs, tf.transpose(params.head));
    const leftGrads: tf.Tensor[] = [];
    const rightGrads: tf.Tensor[] = [];
    for (let i = shape.layers - 1; i >= 0; i--) {
      const a = leftOut[i] as tf.Tensor;
      const b = rightOut[i] as tf.Tensor;
      const input = layerInputs[i] as tf.Tensor;
      // Latent noise is treated as a constant offset: the gradient passes through it unchanged.
      const da = tf.mul(tf.mul(dh, b), applyGateDerivative(shape.gate, a));
      const db = tf.mul(dh, applyGate(shape.gate, a));
      const inputT = tf.transpose(input);
      leftGrads[i] = tf.matMul(inputT, da);
      rightGrads[i] = tf.matMul(inputT, db);
      const dInput = tf.add(
        tf.matMul(da, tf.transpose(params.left[i] as tf.Tensor)),
        tf.matMul(db, tf.transpose(params.right[i] as tf.Tensor)),
      );
      dh = shape.residual ? tf.add(dh, dInput) : dInput;
    }
    const embedGrad = params.embed ? tf.matMul(tf.transpose(x), dh) : null;
    return {
      gradients: { embed: embedGrad, left: leftGrads, right: rightGrads, head: headGrad },
      lossSum,
      correct,
    } as unknown as tf.TensorContainer;
  }) as unknown as StepResult;
}

/** Outputs (logits, or predictions for MSE) without noise: for evaluation. */
export function forward(shape: NetworkShape, params: NetworkParameters, inputs: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    let h: tf.Tensor = params.embed ? tf.matMul(inputs, params.embed) : inputs;
    for (let i = 0; i < shape.layers; i++) {
      const g = tf.mul(
        applyGate(shape.gate, tf.matMul(h, params.left[i] as tf.Tensor)),
        tf.matMul(h, params.right[i] as tf.Tensor),
      );
      h = shape.residual ? tf.add(h, g) : g;
    }
    return tf.matMul(h, params.head);
  });
}

/** Sum of losses and count of correct predictions for evaluation. */
export function evaluateBatch(
  shape: NetworkShape,
  params: NetworkParameters,
  inputs: tf.Tensor,
  targets: tf.Tensor,
): { lossSum: tf.Tensor; correct: tf.Tensor } {
  return tf.tidy(() => {
    const batch = inputs.shape[0] as number;
    const { lossSum, correct } = lossAndGradient(shape.loss, forward(shape, params, inputs), targets, batch);
    return { lossSum, correct };
  });
}

function lossAndGradient(loss: Loss, outputs: tf.Tensor, targets: tf.Tensor, batch: number) {
  if (loss === 'cross-entropy') {
    // targets are one-hot rows.
    const logProbabilities = tf.logSoftmax(outputs);
    const lossSum = tf.neg(tf.sum(tf.mul(targets, logProbabilities)));
    const dOutputs = tf.div(tf.sub(tf.exp(logProbabilities), targets), batch) as tf.Tensor;
    const correct = tf.sum(tf.cast(tf.equal(tf.argMax(outputs, 1), tf.argMax(targets, 1)), 'float32'));
    return { lossSum: lossSum as tf.Tensor, correct: correct as tf.Tensor, dOutputs };
  }
  // Mean squared error over every output of every sample, as torch's MSELoss.
  const residual = tf.sub(outputs, targets);
  const perSample = outputs.shape[1] as number;
  const lossSum = tf.div(tf.sum(tf.square(residual)), perSample) as tf.Tensor;
  const dOutputs = tf.mul(residual, 2 / (batch * perSample)) as tf.Tensor;
  return { lossSum, correct: tf.scalar(0), dOutputs };
}

/** act(a) for the left branch of a gated (or, with 'none', bilinear) layer. */
export function applyGate(kind: Gate, a: tf.Tensor): tf.Tensor {
  switch (kind) {
    case 'none':
      return a;
    case 'relu':
      return tf.relu(a);
    case 'silu':
      return tf.mul(a, tf.sigmoid(a));
    case 'gelu':
      // The exact (erf) GELU, as PyTorch's default.
      return tf.mul(tf.mul(a, 0.5), tf.add(1, tf.erf(tf.mul(a, Math.SQRT1_2))));
  }
}

/** act′(a), elementwise (1 for 'none'). */
export function applyGateDerivative(kind: Gate, a: tf.Tensor): tf.Tensor | number {
  switch (kind) {
    case 'none':
      return 1;
    case 'relu':
      return tf.cast(tf.greater(a, 0), 'float32');
    case 'silu': {
      const s = tf.sigmoid(a);
      return tf.mul(s, tf.add(1, tf.mul(a, tf.sub(1, s))));
    }
    case 'gelu': {
      const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(a, Math.SQRT1_2))));
      const pdf = tf.mul(Math.sqrt(0.5 / Math.PI), tf.exp(tf.mul(tf.square(a), -0.5)));
      return tf.add(cdf, tf.mul(a, pdf));
    }
  }
}

function addLatentNoise(g: tf.Tensor, scale: number, seed: number): tf.Tensor {
  const std = tf.sqrt(tf.moments(g).variance);
  return tf.add(g, tf.mul(tf.mul(std, scale), tf.randomNormal(g.shape, 0, 1, 'float32', seed)));
}
