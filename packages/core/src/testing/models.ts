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

/**
 * A seeded one-layer MNIST-layout classifier (784 → d → 10) as a safetensors file in the PyTorch
 * reference layout (embed.weight, blocks.0.weight = [W; V], head.weight), float32: what benchmarks
 * and browser tests upload when the work, not the weights' values, is what they measure.
 */
export function randomMnistModelFile(d: number, seed = 512): Uint8Array {
  const gaussian = seededGaussian(seed);
  const tensor = (name: string, rows: number, cols: number, scale: number) => ({
    name,
    dtype: 'F32' as const,
    shape: [rows, cols],
    data: Float32Array.from({ length: rows * cols }, () => scale * gaussian()),
  });
  return writeSafetensors([
    tensor('embed.weight', d, 784, 1 / 28),
    tensor('blocks.0.weight', 2 * d, d, 1 / Math.sqrt(d)),
    tensor('head.weight', 10, d, 1 / Math.sqrt(d)),
  ]);
}
