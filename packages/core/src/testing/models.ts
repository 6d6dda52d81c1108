// Seeded random models for tests and benchmarks.
import { matrix } from '../model/matrix.js';
import type { BilinearLayer, ImageClassifierModel, Matrix } from '../model/types.js';
import { seededGaussian, seededRandom } from '../random/seeded-random.js';
import { writeSafetensors } from '../safetensors/index.js';

/** A rows×cols matrix of N(0, scale²) entries. */
export function gaussianMatrix(rows: number, cols: number, seed: number, scale = 1): Matrix {
  const gaussian = seededGaussian(seed);
  return matrix(
    rows,
    cols,
    Float64Array.from({ length: rows * cols }, () => scale * gaussian()),
  );
}

export function randomLayer(hidden: number, dim: number, seed: number): BilinearLayer {
  return {
    left: gaussianMatrix(hidden, dim, seed, 1 / Math.sqrt(dim)),
    right: gaussianMatrix(hidden, dim, seed + 1, 1 / Math.sqrt(dim)),
  };
}

/** A one-layer, non-residual classifier: embed [d, inputDim] → bilinear [d, d] → head [classes, d]. */
export function randomClassifier(
  inputDim: number,
  d: number,
  classes: number,
  seed: number,
): ImageClassifierModel {
  return {
    layout: 'image-classifier',
    inputDim,
    imageShape: null,
    embed: gaussianMatrix(d, inputDim, seed, 1 / Math.sqrt(inputDim)),
    blocks: [randomLayer(d, d, seed + 10)],
    head: gaussianMatrix(classes, d, seed + 20, 1 / Math.sqrt(d)),
    residual: false,
    gate: 'none',
    configSource: 'default',
  };
}

/** count × n values uniform in [0, 1), like pixels. */
export function randomInputs(count: number, n: number, seed: number): Float64Array {
  const uniform = seededRandom(seed);
  return Float64Array.from({ length: count * n }, () => uniform());
}

/** Float32 [rows, cols] tensors of N(0, scale²) entries, drawn in order from one seeded stream. */
function seededTensors(seed: number) {
  const gaussian = seededGaussian(seed);
  return (name: string, rows: number, cols: number, scale: number) => ({
    name,
    dtype: 'F32' as const,
    shape: [rows, cols],
    data: Float32Array.from({ length: rows * cols }, () => scale * gaussian()),
  });
}

/**
 * A seeded one-layer MNIST-layout classifier (784 → d → 10) as a safetensors file in the PyTorch
 * reference layout (embed.weight, blocks.0.weight = [W; V], head.weight), float32: what benchmarks
 * and browser tests upload when the work, not the weights' values, is what they measure.
 */
export function randomMnistModelFile(d: number, seed = 512): Uint8Array {
  const tensor = seededTensors(seed);
  return writeSafetensors([
    tensor('embed.weight', d, 784, 1 / 28),
    tensor('blocks.0.weight', 2 * d, d, 1 / Math.sqrt(d)),
    tensor('head.weight', 10, d, 1 / Math.sqrt(d)),
  ]);
}

export interface LanguageModelShape {
  vocab: number;
  d: number;
  hidden: number;
  layers: number;
}

/**
 * A seeded language model as an HF folder's two files — model.safetensors (embedding, unembedding
 * and each layer's bilinear MLP, no attention weights) and its config.json — float32: what platform
 * tests and benchmarks upload when the work, not the weights' values, is what they measure.
 */
export function randomLanguageModelFolder(
  shape: LanguageModelShape,
  seed = 4096,
): { weights: Uint8Array; config: Record<string, unknown> } {
  const { vocab, d, hidden, layers } = shape;
  const tensor = seededTensors(seed);
  const tensors = [tensor('transformer.wte.weight', vocab, d, 1)];
  for (let i = 0; i < layers; i++) {
    tensors.push(tensor(`transformer.h.${i}.mlp.w.weight`, 2 * hidden, d, 1 / Math.sqrt(d)));
    tensors.push(tensor(`transformer.h.${i}.mlp.p.weight`, d, hidden, 1 / Math.sqrt(hidden)));
  }
  tensors.push(tensor('lm_head.weight', vocab, d, 1 / Math.sqrt(d)));
  return {
    weights: writeSafetensors(tensors),
    config: {
      vocab_size: vocab,
      d_model: d,
      d_hidden: hidden,
      n_layer: layers,
      bilinear: true,
      gate: null,
      bias: false,
      normalization: true,
    },
  };
}

/**
 * A seeded TopK SAE folder in the official layout — w_enc.weight [F, d] (the decoder's transpose),
 * w_dec.weight [d, F] with unit columns, b_dec [d] = 0 — and its config.json.
 */
export function randomSaeFolder(
  shape: { d: number; features: number; k: number; layer: number; point: string },
  seed = 2048,
): { weights: Uint8Array; config: Record<string, unknown> } {
  const { d, features } = shape;
  const gaussian = seededGaussian(seed);
  const decoder = Float32Array.from({ length: d * features }, () => gaussian());
  for (let f = 0; f < features; f++) {
    let norm = 0;
    for (let i = 0; i < d; i++) norm += (decoder[i * features + f] as number) ** 2;
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < d; i++) decoder[i * features + f] = (decoder[i * features + f] as number) * scale;
  }
  const encoder = new Float32Array(features * d);
  for (let f = 0; f < features; f++) {
    for (let i = 0; i < d; i++) encoder[f * d + i] = decoder[i * features + f] as number;
  }
  return {
    weights: writeSafetensors([
      { name: 'w_enc.weight', dtype: 'F32', shape: [features, d], data: encoder },
      { name: 'w_dec.weight', dtype: 'F32', shape: [d, features], data: decoder },
      { name: 'b_dec', dtype: 'F32', shape: [d], data: new Float32Array(d) },
    ]),
    config: {
      d_model: d,
      n_features: features,
      k: shape.k,
      layer: shape.layer,
      point: shape.point,
    },
  };
}
