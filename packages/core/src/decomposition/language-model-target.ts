// A language model's MLP at one layer as a decomposition target: Q(u) for output directions u in the
// residual stream — a token's unembedding row, that row minus the mean of comparison tokens' rows
// (the paper's "swim vs run/climb"), an output SAE's encoder row, or any vector — optionally over an
// input SAE's features (DᵀQD, solved as a d × d problem through a thin QR of Dᵀ).
import { productTransposedA, transpose } from '../linalg/matrix-product.js';
import { thinQr } from '../linalg/thin-qr.js';
import { bilinearForward } from '../model/forward.js';
import { matrix, multiplyTransposedVector, multiplyVector } from '../model/matrix.js';
import type { ReferenceForward } from '../model/reference-forward.js';
import { encodeSparse, type SparseAutoencoder } from '../model/sparse-autoencoder.js';
import type { BilinearLayer, LanguageModel, Matrix } from '../model/types.js';
import { seededGaussian } from '../random/seeded-random.js';
import { checkedOutputs, DecompositionInputError } from './input-error.js';
import type { DecompositionTarget, TargetOptions } from './target.js';

/** What a language model is decomposed along. */
export type LanguageModelDirections =
  /** Unembedding rows W_U[t]; with `comparison`, W_U[t] − mean(W_U[c] for c in comparison). */
  | { kind: 'tokens'; tokens: readonly number[]; comparison?: readonly number[] }
  /** Encoder rows w_enc[f] of an SAE on the MLP's output. */
  | { kind: 'sae-features'; sae: SparseAutoencoder; features: readonly number[] }
  /** Any vectors in the residual stream, one per row of `vectors` [m, d]. */
  | { kind: 'vectors'; vectors: Matrix };

interface Directions {
  rows: Matrix;
  outputs: { index: number; label: string }[];
  describe: Record<string, unknown>;
  /** The same rows computed from the reference's own reading of the file (tokens) or given. */
  reference(reference: Extract<ReferenceForward, { layout: 'language-model' }>): Float64Array;
}

export function languageModelTarget(model: LanguageModel, options: TargetOptions): DecompositionTarget {
  const layerIndex = options.layer ?? 0;
  const layer = model.layers[layerIndex];
  if (!layer) {
    throw new DecompositionInputError(
      `layer ${layerIndex} does not exist: the model has layers 0..${model.layers.length - 1}`,
    );
  }
  const d = model.modelDim;
  const directions = resolveDirections(model, options);
  const features = options.inputFeatures ?? null;
  const reduced = features ? featureSpace(layer.mlp, features, d) : null;
  const along = (values: Float64Array, j: number) => {
    let dot = 0;
    for (let i = 0; i < d; i++) dot += (directions.rows.data[j * d + i] as number) * (values[i] as number);
    return dot;
  };
  const m = directions.outputs.length;
  // Samples are MLP inputs x. Over an input SAE's features the decomposition is exact for the
  // features' own reconstruction D h of x, h = the TopK code of x, so that is the MLP input checked.
  const code = (inputs: Float64Array, s: number) =>
    encodeSparse(features as SparseAutoencoder, inputs.subarray(s * d, (s + 1) * d));
  const mlpInput = (inputs: Float64Array, s: number): Float64Array =>
    features ? multiplyVector(features.decoder, code(inputs, s)) : inputs.slice(s * d, (s + 1) * d);
  return {
    layer: reduced?.layer ?? layer.mlp,
    projection: layer.down,
    directions: directions.rows,
    outputs: directions.outputs,
    // Model-space vectors read as tokens through the embedding (W_E v); feature-space ones weigh features.
    inputMap: features ? null : { basis: transpose(model.embedding), space: 'tokens' },
    reduction: reduced ? { basis: reduced.basis, zeros: features ? features.features - d : 0 } : null,
    linearReadout: null,
    inputDim: d,
    // The MLP's input is a normalised residual stream: Gaussian vectors exercise the same algebra.
    sampleInputs: (count, seed) => Float64Array.from({ length: count * d }, seededGaussian(seed)),
    layerInputsOf(inputs, count) {
      if (!reduced) return inputs;
      // x_r = Qᵀ h: the coordinates the reduced layer reads (W D h = (W Rᵀ)(Qᵀ h)).
      const out = new Float64Array(count * d);
      for (let s = 0; s < count; s++)
        out.set(multiplyTransposedVector(reduced.basis, code(inputs, s)), s * d);
      return out;
    },
    modelOutputs(inputs, count) {
      const values = new Float64Array(count * m);
      for (let s = 0; s < count; s++) {
        const out = multiplyVector(layer.down, bilinearForward(layer.mlp, mlpInput(inputs, s), model.gate));
        for (let j = 0; j < m; j++) values[s * m + j] = along(out, j);
      }
      return values;
    },
    referenceOutputs(reference, inputs, count) {
      if (reference.layout !== 'language-model' || reference.modelDim !== d) {
        throw new DecompositionInputError('the reference forward pass is not of this language model');
      }
      const x = new Float64Array(count * d);
      for (let s = 0; s < count; s++) x.set(mlpInput(inputs, s), s * d);
      return reference.mlpAlong(layerIndex, directions.reference(reference), x, count);
    },
    describe: {
      layout: model.layout,
      vocab_size: model.vocabSize,
      model_dim: d,
      hidden_dim: model.hiddenDim,
      layers: model.layers.length,
      gate: model.gate,
      config_source: model.configSource,
      decomposed_layer: layerIndex,
      ...directions.describe,
      ...(features ? { input_features: features.features, input_space: 'sae features (DᵀQD)' } : {}),
    },
  };
}

/**
 * The output directions u (one row per output, [m, d]) a decomposition along `directions` reads,
 * exactly as languageModelTarget builds them: what an output's activation u·MLP(x) is measured along.
 */
export function directionRows(model: LanguageModel, directions: LanguageModelDirections): Matrix {
  return resolveDirections(model, { directions }).rows;
}

function resolveDirections(model: LanguageModel, options: TargetOptions): Directions {
  const d = model.modelDim;
  const spec =
    options.directions ??
    (options.outputs && options.outputs.length > 0
      ? { kind: 'tokens' as const, tokens: options.outputs }
      : null);
  if (spec === null) {
    throw new DecompositionInputError(
      'a language model has one output per token: name the token ids to decompose (e.g. --outputs 12,345), SAE features or vectors',
    );
  }
  if (spec.kind === 'tokens') {
    const tokens = checkedOutputs(spec.tokens, model.vocabSize, 'token id');
    const comparison = spec.comparison
      ? checkedOutputs(spec.comparison, model.vocabSize, 'comparison token id')
      : [];
    const combine = (unembedding: (token: number) => ArrayLike<number>) => {
      const rows = new Float64Array(tokens.length * d);
      tokens.forEach((token, j) => {
        const row = unembedding(token);
        for (let i = 0; i < d; i++) {
          let mean = 0;
          for (const other of comparison) mean += (unembedding(other)[i] as number) / comparison.length;
          rows[j * d + i] = (row[i] as number) - mean;
        }
      });
      return rows;
    };
    const rows = combine((token) => model.unembedding.data.subarray(token * d, (token + 1) * d));
    const against = comparison.length > 0 ? ` − mean(tokens ${comparison.join(', ')})` : '';
    return {
      rows: matrix(tokens.length, d, rows),
      outputs: tokens.map((index) => ({ index, label: `token ${index}${against}` })),
      describe: {
        directions: comparison.length > 0 ? 'token contrasts' : 'tokens',
        ...(comparison.length > 0 ? { comparison } : {}),
      },
      reference: (reference) => {
        const own = reference.unembeddingRows(tokens.concat(comparison));
        const rowOf = (token: number) => {
          const at = tokens.concat(comparison).indexOf(token);
          return own.subarray(at * d, (at + 1) * d);
        };
        return combine(rowOf);
      },
    };
  }
  if (spec.kind === 'sae-features') {
    const { sae } = spec;
    if (sae.modelDim !== d) {
      throw new DecompositionInputError(
        `the SAE reads vectors of ${sae.modelDim} values, the model's residual stream has ${d}`,
      );
    }
    const features = checkedOutputs(spec.features, sae.features, 'feature');
    const rows = new Float64Array(features.length * d);
    features.forEach((f, j) => {
      rows.set(sae.encoder.data.subarray(f * d, (f + 1) * d), j * d);
    });
    return {
      rows: matrix(features.length, d, rows),
      outputs: features.map((index) => ({ index, label: `feature ${index}` })),
      describe: { directions: 'sae features', sae_features: sae.features },
      reference: () => rows,
    };
  }
  const { vectors } = spec;
  if (vectors.cols !== d) {
    throw new DecompositionInputError(
      `the vectors have ${vectors.cols} values each, the model's residual stream has ${d}`,
    );
  }
  if (vectors.rows === 0) throw new DecompositionInputError('no vectors to decompose along');
  return {
    rows: vectors,
    outputs: Array.from({ length: vectors.rows }, (_, index) => ({ index, label: `vector ${index}` })),
    describe: { directions: 'vectors' },
    reference: () => vectors.data,
  };
}

/**
 * The layer over an input SAE's features, reduced: Dᵀ = Q R (thin QR, Q [F, d]), so
 * W D h = (W Rᵀ)(Qᵀ h) and DᵀQD = Q (R Q(u) Rᵀ) Qᵀ: the d × d matrix R Q(u) Rᵀ has the nonzero
 * eigenvalues, Q maps its eigenvectors to feature space, and the other F − d eigenvalues are 0.
 */
function featureSpace(layer: BilinearLayer, sae: SparseAutoencoder, d: number) {
  if (sae.modelDim !== d) {
    throw new DecompositionInputError(
      `the input SAE reads vectors of ${sae.modelDim} values, the MLP's input has ${d}`,
    );
  }
  if (sae.features < d) {
    throw new DecompositionInputError(
      `the input SAE has ${sae.features} features, fewer than d = ${d}: decompose in model space instead`,
    );
  }
  let factors: { q: Matrix; r: Matrix };
  try {
    factors = thinQr(transpose(sae.decoder));
  } catch (error) {
    throw new DecompositionInputError(
      `the input SAE's decoder does not span the MLP's input: ${(error as Error).message}`,
    );
  }
  // W Rᵀ = (Wᵀ)ᵀ Rᵀ in the SIMD GEMM.
  const rTransposed = transpose(factors.r);
  const times = (m: Matrix) => productTransposedA(transpose(m), rTransposed);
  return { layer: { left: times(layer.left), right: times(layer.right) }, basis: factors.q };
}
