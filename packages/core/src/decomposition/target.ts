import { bilinearForward, classifierHidden } from '../model/forward.js';
import { notBilinearReason } from '../model/gate.js';
import { matrix, multiplyVector } from '../model/matrix.js';
import type { ReferenceForward } from '../model/reference-forward.js';
import type { SparseAutoencoder } from '../model/sparse-autoencoder.js';
import type { BilinearLayer, BilinearModel, ImageClassifierModel, Matrix } from '../model/types.js';
import { seededGaussian } from '../random/seeded-random.js';
import { checkedOutputs, DecompositionInputError } from './input-error.js';
import { type LanguageModelDirections, languageModelTarget } from './language-model-target.js';

/**
 * What a decomposition needs of a model: one bilinear layer, its down-projection P, the output
 * directions to decompose along, and how model-space vectors read in input space.
 */
export interface DecompositionTarget {
  layer: BilinearLayer;
  /** P [m, h]: the layer's outputs are P g(x). */
  projection: Matrix;
  /** One output direction u (length m) per row. */
  directions: Matrix;
  /** Per direction: the output's index (class, token id) and a label for people. */
  outputs: { index: number; label: string }[];
  /**
   * How model-space eigenvectors read in input space: v ↦ basisᵀ v with basis [d, input dim]
   * (the embedding E for images, giving Eᵀv in pixels; W_Eᵀ for tokens, giving W_E v per token).
   */
  inputMap: { basis: Matrix; space: 'pixels' | 'tokens' } | null;
  /**
   * When the eigenproblem is solved in a smaller space than the one its vectors live in: vectors are
   * basis · w (basis [n, r] with orthonormal columns) and the spectrum has `zeros` more zero
   * eigenvalues than the r solved for (DᵀQD over F features has rank ≤ d).
   */
  reduction: { basis: Matrix; zeros: number } | null;
  /**
   * Present when the readout adds a linear term uᵀ L x (residual classifiers: x + g(x) reaches the
   * head), L [m, d]; each output's term is then aᵀx with a = Lᵀu in the layer's input space.
   */
  linearReadout: Matrix | null;
  /** Values per input of the model (pixels; for a language model, the MLP's input). */
  inputDim: number;
  /** `count` seeded inputs of the kind the model reads (count × inputDim). */
  sampleInputs(count: number, seed: number): Float64Array;
  /** The decomposed layer's input for each of `count` inputs, through the model as imported. */
  layerInputsOf(inputs: Float64Array, count: number): Float64Array;
  /** The requested outputs (count × outputs) through the model as imported. */
  modelOutputs(inputs: Float64Array, count: number): Float64Array;
  /** The requested outputs (count × outputs) from the file's own, independently written forward pass. */
  referenceOutputs(reference: ReferenceForward, inputs: Float64Array, count: number): Float64Array;
  describe: Record<string, unknown>;
}

export { DecompositionInputError } from './input-error.js';

export interface TargetOptions {
  /** Output indices to decompose (classes, token ids). Default: every class; for LMs, token ids. */
  outputs?: readonly number[];
  /** Language models: which layer's MLP (default 0). Classifiers: always the last block. */
  layer?: number;
  /** Language models: what to decompose along, instead of the unembedding rows of `outputs`. */
  directions?: LanguageModelDirections;
  /**
   * Language models: an SAE on the MLP's input (its decoder D [d, F]): decompose the feature-space
   * matrix ½(DᵀQD + (DᵀQD)ᵀ) = DᵀQD (Q is symmetric), whose eigenvectors weigh input features.
   */
  inputFeatures?: SparseAutoencoder;
}

export function decompositionTarget(model: BilinearModel, options: TargetOptions = {}): DecompositionTarget {
  const notBilinear = notBilinearReason(model.gate);
  if (notBilinear !== null) throw new DecompositionInputError(notBilinear);
  return model.layout === 'image-classifier'
    ? classifierTarget(model, options)
    : languageModelTarget(model, options);
}

function classifierTarget(model: ImageClassifierModel, options: TargetOptions): DecompositionTarget {
  const classes = model.head.rows;
  const d = model.embed.rows;
  const last = model.blocks.length - 1;
  if (options.layer !== undefined && options.layer !== last) {
    throw new DecompositionInputError(
      `a classifier decomposes through its head, so only its last block (${last}) can be chosen, not ${options.layer}`,
    );
  }
  const outputs = checkedOutputs(options.outputs ?? range(classes), classes, 'class');
  const layer = model.blocks[last] as BilinearLayer;
  // Only a single block sees a linear function of the pixels, so only then do vectors map back.
  const inputMap = model.blocks.length === 1 ? { basis: model.embed, space: 'pixels' as const } : null;
  return {
    layer,
    projection: model.head,
    directions: unitRows(outputs, classes),
    outputs: outputs.map((index) => ({ index, label: String(index) })),
    inputMap,
    reduction: null,
    linearReadout: model.residual ? model.head : null,
    inputDim: model.inputDim,
    sampleInputs: (count, seed) => sampleImages(count, model.inputDim, seed),
    layerInputsOf(inputs, count) {
      const layerInputs = new Float64Array(count * d);
      for (let s = 0; s < count; s++) {
        const pixels = inputs.subarray(s * model.inputDim, (s + 1) * model.inputDim);
        layerInputs.set(classifierHidden(model, pixels, last), s * d);
      }
      return layerInputs;
    },
    modelOutputs(inputs, count) {
      const values = new Float64Array(count * outputs.length);
      for (let s = 0; s < count; s++) {
        const hidden = classifierHidden(
          model,
          inputs.subarray(s * model.inputDim, (s + 1) * model.inputDim),
          last,
        );
        const g = bilinearForward(layer, hidden, model.gate);
        if (model.residual) for (let i = 0; i < d; i++) g[i] = (g[i] as number) + (hidden[i] as number);
        const logits = multiplyVector(model.head, g);
        outputs.forEach((c, j) => {
          values[s * outputs.length + j] = logits[c] as number;
        });
      }
      return values;
    },
    referenceOutputs(reference, inputs, count) {
      if (reference.layout !== 'image-classifier' || reference.inputDim !== model.inputDim) {
        throw new DecompositionInputError('the reference forward pass is not of this image classifier');
      }
      const logits = reference.logits(inputs, count);
      const values = new Float64Array(count * outputs.length);
      for (let s = 0; s < count; s++) {
        outputs.forEach((c, j) => {
          values[s * outputs.length + j] = logits[s * reference.classes + c] as number;
        });
      }
      return values;
    },
    describe: {
      layout: model.layout,
      input_dim: model.inputDim,
      image_shape: model.imageShape,
      model_dim: d,
      hidden_dim: layer.left.rows,
      blocks: model.blocks.length,
      classes,
      residual: model.residual,
      gate: model.gate,
      config_source: model.configSource,
      decomposed_block: last,
    },
  };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function unitRows(indices: readonly number[], width: number): Matrix {
  const m = matrix(indices.length, width);
  indices.forEach((index, row) => {
    m.data[row * width + index] = 1;
  });
  return m;
}

/** Seeded images with pixels in [0, 1], the range of the reference datasets (clipped Gaussians). */
function sampleImages(count: number, dim: number, seed: number): Float64Array {
  const gaussian = seededGaussian(seed);
  return Float64Array.from({ length: count * dim }, () => Math.min(1, Math.max(0, 0.5 + 0.5 * gaussian())));
}
