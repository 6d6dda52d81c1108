// The bilinear transformer in TensorFlow.js (make_lm.py, the reference architecture, in float32):
//   x = wte[ids]; per layer x += s·attn(rms(x)); x += mlp(rms(x)); logits = lm_head(rms(x)).
// The backward pass is written by hand, like the image trainer's, because on the wasm backend (the
// CPU default) the operations autodiff would use are the slow ones: matMul with a transposed operand
// runs 10–30× slower than a plain one, and Slice, SplitV, narrow Concat and Cast copy element by
// element in JavaScript. So on wasm the products run on the package's own kernels (kernelMatMul,
// batchedMatMul: transposed operands read in place; the per-head products ≈ 8× tfjs-wasm's rate), and on
// other backends as plain matMuls (transposes made explicitly or uploaded); q/k/v and the MLP's
// halves are separate uploads rather than slices, rotate_half is a product with a signed
// permutation, and the loss takes the wasm Softmax kernel's probabilities.
// transformer.test.ts checks it against tfjs autodiff and against finite differences of the core's
// float64 forward pass.
import * as tf from '@tensorflow/tfjs-core';
import { batchedMatMul, kernelMatMul } from '../model/kernel-products.js';
import { applyGate, applyGateDerivative } from '../model/network.js';
import type { NamedArray } from '../model/parameters.js';
import {
  attentionScale,
  headDim,
  inverseFrequencies,
  type LanguageModelShape,
  languageModelParameterShapes,
} from './model-shape.js';

/** rms(x) = x · rsqrt(mean(x²) + 1e-8), parameter-free, as the reference's RMSNorm. */
const RMS_EPSILON = 1e-8;
/** Added to scores above the diagonal: exp underflows to exactly 0 in float32, as −∞ would. */
const MASKED = -1e9;
/** A position's loss is −log max(p, this): the smallest normal float32, so at most 87.3 nats. */
const SMALLEST_PROBABILITY = 1.1754943508222875e-38;

/**
 * A linear map's weight W [out, in] (reference layout) and its transpose, both uploaded — except
 * on wasm, whose kernels read W transposed in place (the transpose, made in JavaScript, cost ≈ 1 ms
 * of a step).
 */
interface Linear {
  weight: tf.Tensor2D;
  transposed: tf.Tensor2D | null;
}

/** The weights as tensors, in the reference layout ([out, in]) with their transposes. */
export interface TransformerWeights {
  /** [V, d] */
  embedding: tf.Tensor2D;
  layers: {
    /** The q, k and v rows of attn.qkv.weight [3d, d], each [d, d]. */
    q: Linear;
    k: Linear;
    v: Linear;
    /** [d, d] */
    o: Linear;
    /** The left and right halves of mlp.w.weight [2h, d], each [h, d]. */
    left: Linear;
    right: Linear;
    /** [d, h] */
    p: Linear;
  }[];
  /** lm_head.weight [V, d] */
  head: Linear;
  /** The rotary buffer inv_freq [d_head / 2]. */
  inverseFrequencies: Float32Array;
  /** rotate_half as a product x·R with a signed permutation R [d_head, d_head], and Rᵀ. */
  rotation: Linear;
}

/** Token windows of equal length, row-major: windows × length ids. */
export interface TokenWindows {
  tokens: Int32Array;
  windows: number;
  length: number;
}

/**
 * Tensors for parameters in the reference layout (see languageModelParameterShapes); `frequencies`
 * is the rotary buffer (the formula's by default, or the one a file stores).
 */
export function uploadWeights(
  shape: LanguageModelShape,
  parameters: readonly NamedArray[],
  frequencies: Float32Array = inverseFrequencies(shape),
): TransformerWeights {
  const { modelDim: d, hiddenDim: h } = shape;
  const byName = new Map(parameters.map((p) => [p.name, p]));
  const values = (index: number): Float32Array => {
    const expected = languageModelParameterShapes(shape)[index] as { name: string; shape: [number, number] };
    const parameter = byName.get(expected.name);
    if (parameter === undefined) throw new Error(`parameter ${expected.name} is missing`);
    if (parameter.values.length !== expected.shape[0] * expected.shape[1]) {
      throw new Error(
        `parameter ${expected.name} has ${parameter.values.length} values, expected [${expected.shape.join(', ')}]`,
      );
    }
    return parameter.values;
  };
  const rows = (all: Float32Array, from: number, count: number, cols: number) =>
    linear(all.subarray(from * cols, (from + count) * cols), count, cols);
  return {
    embedding: tf.tensor2d(values(0), [shape.vocabSize, d]),
    layers: Array.from({ length: shape.layers }, (_, i) => {
      const qkv = values(1 + 4 * i);
      const w = values(3 + 4 * i);
      return {
        q: rows(qkv, 0, d, d),
        k: rows(qkv, d, d, d),
        v: rows(qkv, 2 * d, d, d),
        o: linear(values(2 + 4 * i), d, d),
        left: rows(w, 0, h, d),
        right: rows(w, h, h, d),
        p: linear(values(4 + 4 * i), d, h),
      };
    }),
    head: linear(values(1 + 4 * shape.layers), shape.vocabSize, d),
    inverseFrequencies: frequencies,
    rotation: linear(rotateHalfMatrix(headDim(shape)), headDim(shape), headDim(shape), true),
  };
}

export function disposeWeights(weights: TransformerWeights): void {
  const linears = [
    weights.head,
    weights.rotation,
    ...weights.layers.flatMap((layer) => [
      layer.q,
      layer.k,
      layer.v,
      layer.o,
      layer.left,
      layer.right,
      layer.p,
    ]),
  ];
  tf.dispose([
    weights.embedding,
    ...linears.flatMap((l) => (l.transposed ? [l.weight, l.transposed] : [l.weight])),
  ]);
}

function linear(
  values: Float32Array,
  rows: number,
  cols: number,
  withTranspose = tf.getBackend() !== 'wasm',
): Linear {
  const weight = tf.tensor2d(values, [rows, cols]);
  if (!withTranspose) return { weight, transposed: null };
  const transposed = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) transposed[c * rows + r] = values[r * cols + c] as number;
  }
  return { weight, transposed: tf.tensor2d(transposed, [cols, rows]) };
}

/** x·Wᵀ for y = x Wᵀ: the uploaded transpose, or on wasm W read transposed in place. */
function applyLinear(x: tf.Tensor2D, map: Linear): tf.Tensor2D {
  return map.transposed ? kernelMatMul(x, map.transposed) : kernelMatMul(x, map.weight, false, true);
}

/** R with x·R = rotate_half(x) = (−x₂, x₁): R[j + half, j] = −1 and R[j, j + half] = 1 for j < half. */
function rotateHalfMatrix(dh: number): Float32Array {
  const half = dh / 2;
  const r = new Float32Array(dh * dh);
  for (let j = 0; j < half; j++) {
    r[(j + half) * dh + j] = -1;
    r[j * dh + j + half] = 1;
  }
  return r;
}

/** Summed next-token cross-entropy and how many positions it covers (length − 1 per window). */
export interface LossSum {
  lossSum: number;
  predicted: number;
}

/**
 * Adds `scale` × the gradient of the summed next-token loss of `batch` to `into` (reference layout,
 * ordered as languageModelParameterShapes), and returns that loss sum. With scale = 1 / (positions
 * predicted in the whole batch), a batch split into parts sums to the gradient of the mean loss.
 */
export function accumulateGradients(
  shape: LanguageModelShape,
  weights: TransformerWeights,
  batch: TokenWindows,
  scale: number,
  into: readonly NamedArray[],
): LossSum {
  checkWindows(shape, batch);
  const targets = nextTokenTargets(batch);
  const { modelDim: d, hiddenDim: h } = shape;
  const result = tf.tidy(() => {
    const tables = positionTables(shape, batch.length, weights.inverseFrequencies);
    const forward = forwardPass(shape, weights, batch, tables);
    const loss = crossEntropy(forward.logits, targets, scale);
    const gradients = backwardPass(shape, weights, forward, loss.dLogits, batch, tables);
    return { rowLosses: loss.rowLosses, ...gradients };
  });
  try {
    const add = (index: number, tensor: tf.Tensor, offset = 0) => {
      const target = (into[index] as NamedArray).values;
      const values = tensor.dataSync() as Float32Array;
      for (let j = 0; j < values.length; j++) {
        target[offset + j] = (target[offset + j] as number) + (values[j] as number);
      }
    };
    scatterAddRows(
      (into[0] as NamedArray).values,
      result.dEmbedded.dataSync() as Float32Array,
      batch.tokens,
      d,
    );
    result.layers.forEach((layer, i) => {
      add(1 + 4 * i, layer.q);
      add(1 + 4 * i, layer.k, d * d);
      add(1 + 4 * i, layer.v, 2 * d * d);
      add(2 + 4 * i, layer.o);
      add(3 + 4 * i, layer.left);
      add(3 + 4 * i, layer.right, h * d);
      add(4 + 4 * i, layer.p);
    });
    add(1 + 4 * shape.layers, result.head);
    return {
      lossSum: sumOf(result.rowLosses.dataSync() as Float32Array),
      predicted: batch.windows * (batch.length - 1),
    };
  } finally {
    tf.dispose(result as unknown as tf.TensorContainer);
  }
}

/** The summed next-token loss of `batch`, without gradients. */
export function lossSumOf(
  shape: LanguageModelShape,
  weights: TransformerWeights,
  batch: TokenWindows,
): LossSum {
  checkWindows(shape, batch);
  const targets = nextTokenTargets(batch);
  const rowLosses = tf.tidy(() => {
    const tables = positionTables(shape, batch.length, weights.inverseFrequencies);
    const { logits } = forwardPass(shape, weights, batch, tables);
    return crossEntropy(logits, targets, 0).rowLosses;
  });
  try {
    return {
      lossSum: sumOf(rowLosses.dataSync() as Float32Array),
      predicted: batch.windows * (batch.length - 1),
    };
  } finally {
    rowLosses.dispose();
  }
}

/** Next-token logits [windows · length, V] (row t of a window predicts its token t + 1). */
export function logitsOf(
  shape: LanguageModelShape,
  weights: TransformerWeights,
  batch: TokenWindows,
): tf.Tensor2D {
  checkWindows(shape, batch, 1);
  return tf.tidy(() => {
    const tables = positionTables(shape, batch.length, weights.inverseFrequencies);
    return forwardPass(shape, weights, batch, tables).logits;
  });
}

function checkWindows(shape: LanguageModelShape, batch: TokenWindows, minLength = 2): void {
  const { windows, length, tokens } = batch;
  if (
    !(Number.isSafeInteger(windows) && windows >= 1 && Number.isSafeInteger(length) && length >= minLength)
  ) {
    throw new Error(`a batch needs ≥ 1 window of ≥ ${minLength} tokens, got ${windows} × ${length}`);
  }
  if (tokens.length !== windows * length) {
    throw new Error(`a batch of ${windows} × ${length} tokens holds ${tokens.length}`);
  }
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as number;
    if (!(token >= 0 && token < shape.vocabSize)) {
      throw new Error(`token ${token} at ${i} is outside the vocabulary 0..${shape.vocabSize - 1}`);
    }
  }
}

/** Row t of a window is scored on its token t + 1; a window's last row has no target (weight 0). */
interface Targets {
  /** [row, token] pairs, N × 2 (token 0 on rows without a target). */
  pairs: Int32Array;
  /** 1 on rows with a target, 0 on the last row of each window. */
  mask: Float32Array;
}

function nextTokenTargets(batch: TokenWindows): Targets {
  const { tokens, windows, length } = batch;
  const rows = windows * length;
  const pairs = new Int32Array(2 * rows);
  const mask = new Float32Array(rows);
  for (let row = 0; row < rows; row++) {
    pairs[2 * row] = row;
    if ((row + 1) % length !== 0) {
      pairs[2 * row + 1] = tokens[row + 1] as number;
      mask[row] = 1;
    }
  }
  return { pairs, mask };
}

interface PositionTables {
  /** [T, d_head]: cos and sin of t · inv_freq, the frequencies repeated over both halves. */
  cos: tf.Tensor2D;
  sin: tf.Tensor2D;
  /** [T, T]: 0 on and below the diagonal, MASKED above. */
  mask: tf.Tensor2D;
}

function positionTables(
  shape: LanguageModelShape,
  length: number,
  frequencies: Float32Array,
): PositionTables {
  const dh = headDim(shape);
  const half = dh / 2;
  const cos = new Float32Array(length * dh);
  const sin = new Float32Array(length * dh);
  for (let t = 0; t < length; t++) {
    for (let i = 0; i < half; i++) {
      // PyTorch multiplies position and frequency in float32.
      const angle = Math.fround(t * (frequencies[i] as number));
      cos[t * dh + i] = cos[t * dh + half + i] = Math.cos(angle);
      sin[t * dh + i] = sin[t * dh + half + i] = Math.sin(angle);
    }
  }
  const mask = new Float32Array(length * length);
  for (let t = 0; t < length; t++) mask.fill(MASKED, t * length + t + 1, (t + 1) * length);
  return {
    cos: tf.tensor2d(cos, [length, dh]),
    sin: tf.tensor2d(sin, [length, dh]),
    mask: tf.tensor2d(mask, [length, length]),
  };
}

interface LayerCache {
  /** rms(x) before attention [N, d] and its 1/rms [N, 1] (null without normalisation). */
  n1: tf.Tensor2D;
  r1: tf.Tensor | null;
  /** Rotated queries scaled by 1/√d_head; rotated keys; values: [B·H, T, d_head]. */
  q: tf.Tensor3D;
  k: tf.Tensor3D;
  v: tf.Tensor3D;
  /** Attention pattern [B·H, T, T]. */
  pattern: tf.Tensor3D;
  /** Heads' outputs side by side [N, d]. */
  z: tf.Tensor2D;
  n2: tf.Tensor2D;
  r2: tf.Tensor | null;
  /** The MLP's halves before the gate [N, h], the gated left half and their product. */
  left: tf.Tensor2D;
  right: tf.Tensor2D;
  gated: tf.Tensor2D;
  product: tf.Tensor2D;
}

interface ForwardResult {
  layers: LayerCache[];
  final: tf.Tensor2D;
  finalScale: tf.Tensor | null;
  logits: tf.Tensor2D;
}

function forwardPass(
  shape: LanguageModelShape,
  weights: TransformerWeights,
  batch: TokenWindows,
  tables: PositionTables,
): ForwardResult {
  const scale = attentionScale(shape);
  const queryScale = 1 / Math.sqrt(headDim(shape));
  let x: tf.Tensor2D = tf.gather(weights.embedding, tf.tensor1d(batch.tokens, 'int32'));
  const layers: LayerCache[] = [];
  for (const layer of weights.layers) {
    const { n: n1, r: r1 } = rms(x, shape.normalization);
    const heads = (map: Linear) => toHeads(applyLinear(n1, map), shape, batch);
    const q = tf.mul(rotate(heads(layer.q), tables, weights.rotation), queryScale) as tf.Tensor3D;
    const k = rotate(heads(layer.k), tables, weights.rotation);
    const v = heads(layer.v);
    const scores = tf.add(batchedMatMul(q, k, false, true), tables.mask);
    const pattern = tf.softmax(scores) as tf.Tensor3D;
    const z = fromHeads(batchedMatMul(pattern, v), shape, batch);
    const attended = applyLinear(z, layer.o);
    x = tf.add(x, scale === 1 ? attended : tf.mul(attended, scale));

    const { n: n2, r: r2 } = rms(x, shape.normalization);
    const left = applyLinear(n2, layer.left);
    const right = applyLinear(n2, layer.right);
    const gated = applyGate(shape.gate, left) as tf.Tensor2D;
    const product = tf.mul(gated, right) as tf.Tensor2D;
    x = tf.add(x, applyLinear(product, layer.p));
    layers.push({ n1, r1, q, k, v, pattern, z, n2, r2, left, right, gated, product });
  }
  const { n: final, r: finalScale } = rms(x, shape.normalization);
  return { layers, final, finalScale, logits: applyLinear(final, weights.head) };
}

interface Gradients {
  /** d loss / d x0 [N, d]: scattered into the embedding's rows by token. */
  dEmbedded: tf.Tensor2D;
  /** In the reference layout, the pieces as TransformerWeights holds them. */
  layers: {
    q: tf.Tensor2D;
    k: tf.Tensor2D;
    v: tf.Tensor2D;
    o: tf.Tensor2D;
    left: tf.Tensor2D;
    right: tf.Tensor2D;
    p: tf.Tensor2D;
  }[];
  head: tf.Tensor2D;
}

function backwardPass(
  shape: LanguageModelShape,
  weights: TransformerWeights,
  forward: ForwardResult,
  dLogits: tf.Tensor2D,
  batch: TokenWindows,
  tables: PositionTables,
): Gradients {
  const scale = attentionScale(shape);
  const queryScale = 1 / Math.sqrt(headDim(shape));
  const head = weightGradient(dLogits, forward.final);
  let dx = rmsBackward(kernelMatMul(dLogits, weights.head.weight), forward.final, forward.finalScale);
  const layers: Gradients['layers'] = [];
  for (let i = shape.layers - 1; i >= 0; i--) {
    const layer = weights.layers[i] as TransformerWeights['layers'][number];
    const cache = forward.layers[i] as LayerCache;

    // MLP: x += P (act(L n2) ⊙ (R n2)).
    const p = weightGradient(dx, cache.product);
    const dProduct = kernelMatMul(dx, layer.p.weight);
    const dLeft = tf.mul(
      tf.mul(dProduct, cache.right),
      applyGateDerivative(shape.gate, cache.left),
    ) as tf.Tensor2D;
    const dRight = tf.mul(dProduct, cache.gated) as tf.Tensor2D;
    const left = weightGradient(dLeft, cache.n2);
    const right = weightGradient(dRight, cache.n2);
    const dn2 = tf.add(kernelMatMul(dLeft, layer.left.weight), kernelMatMul(dRight, layer.right.weight));
    dx = tf.add(dx, rmsBackward(dn2 as tf.Tensor2D, cache.n2, cache.r2));

    // Attention: x += s · o(z).
    const dAttended = scale === 1 ? dx : (tf.mul(dx, scale) as tf.Tensor2D);
    const o = weightGradient(dAttended, cache.z);
    const dz = toHeads(kernelMatMul(dAttended, layer.o.weight), shape, batch);
    const dPattern = batchedMatMul(dz, cache.v, false, true);
    const dvHeads = batchedMatMul(cache.pattern, dz, true);
    // softmax: dS = P ⊙ (dP − Σ_k dP ⊙ P); masked entries have P = 0, so get no gradient.
    const dScores = tf.mul(
      cache.pattern,
      tf.sub(dPattern, tf.sum(tf.mul(dPattern, cache.pattern), 2, true)),
    ) as tf.Tensor3D;
    const dqRotated = tf.mul(batchedMatMul(dScores, cache.k), queryScale) as tf.Tensor3D;
    const dkRotated = batchedMatMul(dScores, cache.q, true);
    const dq = fromHeads(rotateBackward(dqRotated, tables, weights.rotation), shape, batch);
    const dk = fromHeads(rotateBackward(dkRotated, tables, weights.rotation), shape, batch);
    const dv = fromHeads(dvHeads, shape, batch);
    const dn1 = tf.addN([
      kernelMatMul(dq, layer.q.weight),
      kernelMatMul(dk, layer.k.weight),
      kernelMatMul(dv, layer.v.weight),
    ]);
    dx = tf.add(dx, rmsBackward(dn1 as tf.Tensor2D, cache.n1, cache.r1));
    layers[i] = {
      q: weightGradient(dq, cache.n1),
      k: weightGradient(dk, cache.n1),
      v: weightGradient(dv, cache.n1),
      o,
      left,
      right,
      p,
    };
  }
  return { dEmbedded: dx, layers, head };
}

/**
 * Per-row losses −log p(target) (0 on rows without a target) and d(Σ losses · scale)/d logits =
 * scale · mask · (softmax − onehot).
 */
function crossEntropy(
  logits: tf.Tensor2D,
  targets: Targets,
  scale: number,
): { rowLosses: tf.Tensor1D; dLogits: tf.Tensor2D } {
  const rows = targets.mask.length;
  const probabilities = tf.softmax(logits);
  const pairs = tf.tensor2d(targets.pairs, [rows, 2], 'int32');
  const mask = tf.tensor1d(targets.mask);
  const picked = tf.gatherND(probabilities, pairs) as tf.Tensor1D;
  const rowLosses = tf.mul(tf.neg(tf.log(tf.maximum(picked, SMALLEST_PROBABILITY))), mask) as tf.Tensor1D;
  // −scale·mask at each target, added to scale·mask·softmax (no one-hot: the wasm Cast is slow).
  const atTargets = tf.scatterND(pairs, tf.mul(mask, -scale), [rows, logits.shape[1]]);
  const dLogits = tf.add(tf.mul(probabilities, tf.reshape(tf.mul(mask, scale), [rows, 1])), atTargets);
  return { rowLosses, dLogits: dLogits as tf.Tensor2D };
}

function rms(x: tf.Tensor2D, normalize: boolean): { n: tf.Tensor2D; r: tf.Tensor | null } {
  if (!normalize) return { n: x, r: null };
  const r = tf.rsqrt(tf.add(tf.mean(tf.square(x), 1, true), RMS_EPSILON));
  return { n: tf.mul(x, r) as tf.Tensor2D, r };
}

/** n = x·r with r = (mean(x²) + ε)^(−1/2): dx = r ⊙ (dn − n ⊙ mean(dn ⊙ n)). */
function rmsBackward(dn: tf.Tensor2D, n: tf.Tensor2D, r: tf.Tensor | null): tf.Tensor2D {
  if (r === null) return dn;
  return tf.mul(r, tf.sub(dn, tf.mul(n, tf.mean(tf.mul(dn, n), 1, true)))) as tf.Tensor2D;
}

/**
 * dW = dyᵀ x for y = x Wᵀ, in W's [out, in] layout. The wasm kernels read dyᵀ in place; for tfjs,
 * transpose whichever of dy and x is narrower (and then the product when that was x) so that the
 * product is a plain matMul.
 */
function weightGradient(dy: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
  if (tf.getBackend() === 'wasm') return kernelMatMul(dy, x, true);
  if ((dy.shape[1] as number) <= (x.shape[1] as number)) return tf.matMul(tf.transpose(dy), x) as tf.Tensor2D;
  return tf.transpose(tf.matMul(tf.transpose(x), dy)) as tf.Tensor2D;
}

/** [N, d] with N = B·T → [B·H, T, d_head]. */
function toHeads(y: tf.Tensor2D, shape: LanguageModelShape, batch: TokenWindows): tf.Tensor3D {
  const dh = headDim(shape);
  const { windows, length } = batch;
  return tf.reshape(tf.transpose(tf.reshape(y, [windows, length, shape.heads, dh]), [0, 2, 1, 3]), [
    windows * shape.heads,
    length,
    dh,
  ]);
}

/** [B·H, T, d_head] → [N, d], heads side by side as the reference's 'batch seq (n_head d_head)'. */
function fromHeads(z: tf.Tensor3D, shape: LanguageModelShape, batch: TokenWindows): tf.Tensor2D {
  const dh = headDim(shape);
  const { windows, length } = batch;
  return tf.reshape(tf.transpose(tf.reshape(z, [windows, shape.heads, length, dh]), [0, 2, 1, 3]), [
    windows * length,
    shape.modelDim,
  ]);
}

/** x·M over the last axis of [B·H, T, d_head]. */
function timesLast(x: tf.Tensor3D, m: tf.Tensor2D): tf.Tensor3D {
  const [a, b, c] = x.shape;
  return tf.reshape(tf.matMul(tf.reshape(x, [a * b, c]), m), [a, b, c]);
}

/** x·cos + rotate_half(x)·sin. */
function rotate(x: tf.Tensor3D, tables: PositionTables, rotation: Linear): tf.Tensor3D {
  return tf.add(tf.mul(x, tables.cos), tf.mul(timesLast(x, rotation.weight), tables.sin));
}

/** The adjoint of rotate: g·cos + (g·sin)·Rᵀ. */
function rotateBackward(g: tf.Tensor3D, tables: PositionTables, rotation: Linear): tf.Tensor3D {
  return tf.add(
    tf.mul(g, tables.cos),
    timesLast(tf.mul(g, tables.sin) as tf.Tensor3D, rotation.transposed as tf.Tensor2D),
  );
}

/** into[token] += rows[i] for each row i. */
function scatterAddRows(into: Float32Array, rows: Float32Array, tokens: Int32Array, width: number): void {
  for (let i = 0; i < tokens.length; i++) {
    const to = (tokens[i] as number) * width;
    const from = i * width;
    for (let j = 0; j < width; j++) into[to + j] = (into[to + j] as number) + (rows[from + j] as number);
  }
}

/** Sum in float64. */
function sumOf(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return sum;
}
