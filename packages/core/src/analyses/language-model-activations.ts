// What a language model's MLP directions do on text: per position, an eigenvector's activation
// λ (vᵀx)² on the normalised MLP input x, a direction's output uᵀ MLP(x), or an SAE feature's code;
// the positions of a corpus that activate them most, with their contexts; and the paper's Fig. 9:
// how well the top-k eigenpairs (by |λ|) predict an SAE feature's activation, against k.

import { traceLanguageModel } from '../model/language-model-forward.js';
import { encodeSparse, type SparseAutoencoder } from '../model/sparse-autoencoder.js';
import type { LanguageModel } from '../model/types.js';
import { AnalysisInputError } from './common.js';

/** Per position of every sequence (concatenated): the layer's MLP input and output, T × d each. */
export interface MlpPositions {
  /** Sequence and position of each row. */
  where: { sequence: number; position: number }[];
  inputs: Float64Array;
  outputs: Float64Array;
}

/** Runs the model over the sequences and keeps layer `layer`'s MLP input and output at every position. */
export function mlpPositions(
  model: LanguageModel,
  layer: number,
  sequences: readonly ArrayLike<number>[],
): MlpPositions {
  if (layer < 0 || layer >= model.layers.length) {
    throw new AnalysisInputError(
      `layer ${layer} does not exist: the model has layers 0..${model.layers.length - 1}`,
    );
  }
  const d = model.modelDim;
  const total = sequences.reduce((sum, sequence) => sum + sequence.length, 0);
  const inputs = new Float64Array(total * d);
  const outputs = new Float64Array(total * d);
  const where: MlpPositions['where'] = [];
  let row = 0;
  sequences.forEach((sequence, s) => {
    if (sequence.length === 0) return;
    const trace = traceLanguageModel(model, sequence, { mlp: true, logits: false });
    inputs.set(trace.mlpInputs[layer] as Float64Array, row * d);
    outputs.set(trace.mlpOutputs[layer] as Float64Array, row * d);
    for (let t = 0; t < sequence.length; t++) where.push({ sequence: s, position: t });
    row += sequence.length;
  });
  return { where, inputs, outputs };
}

/** λ (vᵀx)² at every position: what one eigenvector adds to its direction's output there. */
export function eigenvectorActivations(
  positions: MlpPositions,
  vector: ArrayLike<number>,
  eigenvalue: number,
): Float64Array {
  const d = vector.length;
  const count = positions.where.length;
  const values = new Float64Array(count);
  for (let t = 0; t < count; t++) {
    let projection = 0;
    for (let i = 0; i < d; i++) projection += (vector[i] as number) * (positions.inputs[t * d + i] as number);
    values[t] = eigenvalue * projection * projection;
  }
  return values;
}

/** uᵀ MLP(x) at every position: the MLP's output along a direction (a token's unembedding row, …). */
export function directionActivations(positions: MlpPositions, direction: ArrayLike<number>): Float64Array {
  const d = direction.length;
  const count = positions.where.length;
  const values = new Float64Array(count);
  for (let t = 0; t < count; t++) {
    let dot = 0;
    for (let i = 0; i < d; i++) dot += (direction[i] as number) * (positions.outputs[t * d + i] as number);
    values[t] = dot;
  }
  return values;
}

/** An mlp-out SAE feature's TopK code at every position (0 where it is not among the k active). */
export function saeFeatureActivations(
  positions: MlpPositions,
  sae: SparseAutoencoder,
  feature: number,
): Float64Array {
  if (feature < 0 || feature >= sae.features || !Number.isInteger(feature)) {
    throw new AnalysisInputError(`feature ${feature} is outside the SAE's 0..${sae.features - 1}`);
  }
  const d = sae.modelDim;
  const count = positions.where.length;
  const values = new Float64Array(count);
  for (let t = 0; t < count; t++) {
    values[t] = encodeSparse(sae, positions.outputs.subarray(t * d, (t + 1) * d))[feature] as number;
  }
  return values;
}

export interface Context {
  sequence: number;
  position: number;
  value: number;
  /** The tokens around the position (up to `window` before, `after` after) and their values. */
  tokens: number[];
  values: number[];
  /** Index of the position itself within `tokens`. */
  focus: number;
}

/** The `top` positions with the largest values, each with its context. */
export function topContexts(
  values: Float64Array,
  positions: MlpPositions,
  sequences: readonly ArrayLike<number>[],
  options: { top?: number; before?: number; after?: number } = {},
): Context[] {
  const top = options.top ?? 20;
  const before = options.before ?? 12;
  const after = options.after ?? 4;
  const order = largestPositions(values, top);
  // Values of a sequence's positions, to show them beside each token of a context.
  const start = new Map<number, number>();
  positions.where.forEach((entry, t) => {
    if (!start.has(entry.sequence)) start.set(entry.sequence, t);
  });
  return order.map((t) => {
    const { sequence, position } = positions.where[t] as MlpPositions['where'][number];
    const tokens = sequences[sequence] as ArrayLike<number>;
    const from = Math.max(0, position - before);
    const to = Math.min(tokens.length, position + after + 1);
    const first = start.get(sequence) as number;
    return {
      sequence,
      position,
      value: values[t] as number,
      tokens: Array.from({ length: to - from }, (_, i) => tokens[from + i] as number),
      values: Array.from({ length: to - from }, (_, i) => values[first + from + i] as number),
      focus: position - from,
    };
  });
}

/**
 * The `top` positions with the largest values, largest first, ties in position order: what sorting
 * every position (a stable sort) and keeping the first `top` gives, in O(T · top) without the sort —
 * an activations job ranks every position once per direction, thousands of times.
 */
function largestPositions(values: Float64Array, top: number): number[] {
  const kept: number[] = [];
  if (top <= 0) return kept;
  for (let t = 0; t < values.length; t++) {
    const value = values[t] as number;
    if (kept.length === top && !(value > (values[kept[top - 1] as number] as number))) continue;
    // After every kept position whose value is at least this one's (earlier positions win ties).
    let at = kept.length;
    while (at > 0 && (values[kept[at - 1] as number] as number) < value) at--;
    kept.splice(at, 0, t);
    if (kept.length > top) kept.pop();
  }
  return kept;
}

export interface LowRankCorrelation {
  k: number[];
  /** Mean over the features counted of the Pearson correlation at each k. */
  meanCorrelation: number[];
  /** Features with more than `minActive` active positions (the rest are left out). */
  features: number[];
  perFeature: number[][];
}

/**
 * Fig. 9 of the paper: for each output feature f (its eigenpairs of Q(w_enc[f]) in model space),
 * on the positions where f is active (> `minActive` of them), the Pearson correlation between
 * Σ_{i ≤ k, by |λ|} λ_i (v_iᵀ x)² and the feature's activation, for each k; averaged over features.
 */
export function lowRankCorrelation(
  positions: MlpPositions,
  features: readonly {
    feature: number;
    eigenvalues: ArrayLike<number>;
    vectors: ArrayLike<number>;
    activations: Float64Array;
  }[],
  ks: readonly number[],
  minActive = 10,
): LowRankCorrelation {
  const d = positions.inputs.length / Math.max(1, positions.where.length);
  const counted: number[] = [];
  const perFeature: number[][] = [];
  for (const { feature, eigenvalues, vectors, activations } of features) {
    const active: number[] = [];
    activations.forEach((value, t) => {
      if (value !== 0) active.push(t);
    });
    if (active.length <= minActive) continue;
    const order = Array.from({ length: eigenvalues.length }, (_, i) => i).sort(
      (a, b) => Math.abs(eigenvalues[b] as number) - Math.abs(eigenvalues[a] as number),
    );
    // Per active position, the contributions in |λ| order summed as k grows: sums[r · (n + 1) + k]
    // is the sum of its first k, added in order from 0.
    const n = order.length;
    const sums = new Float64Array(active.length * (n + 1));
    active.forEach((t, r) => {
      let sum = 0;
      order.forEach((i, rank) => {
        let projection = 0;
        for (let j = 0; j < d; j++)
          projection += (vectors[i * d + j] as number) * (positions.inputs[t * d + j] as number);
        sum += (eigenvalues[i] as number) * projection * projection;
        sums[r * (n + 1) + rank + 1] = sum;
      });
    });
    const truth = active.map((t) => activations[t] as number);
    perFeature.push(
      ks.map((k) => {
        const kept = Math.min(k, n);
        return pearson(
          active.map((_, r) => sums[r * (n + 1) + kept] as number),
          truth,
        );
      }),
    );
    counted.push(feature);
  }
  const meanCorrelation = ks.map((_, j) =>
    perFeature.length === 0
      ? Number.NaN
      : perFeature.reduce((sum, row) => sum + (row[j] as number), 0) / perFeature.length,
  );
  return { k: [...ks], meanCorrelation, features: counted, perFeature };
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const meanA = a.reduce((s, x) => s + x, 0) / n;
  const meanB = b.reduce((s, x) => s + x, 0) / n;
  let cov = 0;
  let varA = 0;
  let varB = 0;
  for (let i = 0; i < n; i++) {
    const x = (a[i] as number) - meanA;
    const y = (b[i] as number) - meanB;
    cov += x * y;
    varA += x * x;
    varB += y * y;
  }
  return varA === 0 || varB === 0 ? Number.NaN : cov / Math.sqrt(varA * varB);
}

/** What one piece of text does along one decomposed direction: per position, the whole and its parts. */
export interface TextContributions {
  /** uᵀ MLP(x_t) at each of the T positions. */
  outputs: Float64Array;
  /** λ_j (v_jᵀ x_t)² for each given eigenpair j, row-major T × k (a row per position). */
  contributions: Float64Array;
}

/**
 * A text's tokens through the model, read at layer `layer` along `direction`: the MLP's output along
 * it at every position, and what each given eigenpair of Q(direction) adds there. With every
 * eigenpair the contributions of a position sum to its output; with the top k, the rest is what the
 * others add.
 */
export function textContributions(
  model: LanguageModel,
  layer: number,
  tokens: ArrayLike<number>,
  direction: ArrayLike<number>,
  eigenpairs: readonly { vector: ArrayLike<number>; eigenvalue: number }[],
): TextContributions {
  if (direction.length !== model.modelDim) {
    throw new AnalysisInputError(
      `the direction has ${direction.length} values, the model's residual stream ${model.modelDim}`,
    );
  }
  const positions = mlpPositions(model, layer, [tokens]);
  const count = positions.where.length;
  const k = eigenpairs.length;
  const contributions = new Float64Array(count * k);
  eigenpairs.forEach(({ vector, eigenvalue }, j) => {
    if (vector.length !== model.modelDim) {
      throw new AnalysisInputError(
        `eigenvector ${j} has ${vector.length} values, the model's residual stream ${model.modelDim}`,
      );
    }
    const values = eigenvectorActivations(positions, vector, eigenvalue);
    for (let t = 0; t < count; t++) contributions[t * k + j] = values[t] as number;
  });
  return { outputs: directionActivations(positions, direction), contributions };
}
