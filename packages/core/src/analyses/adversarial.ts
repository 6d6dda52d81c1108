import { symmetricEigen } from '../eigen/symmetric-eigen.js';
import { multiplyVector } from '../model/matrix.js';
import type { ImageClassifierModel } from '../model/types.js';
import { seededRandom } from '../random/seeded-random.js';
import { AnalysisInputError, argmax, checkInputs, checkLabels, singleLayerClassifier } from './common.js';

/** SSᵀ with an eigenvalue below this fraction of its largest counts as singular (cond(S) > 10⁶). */
const SINGULAR_TOLERANCE = 1e-12;

export interface AdversarialMaskOptions {
  /** A single-layer, non-residual classifier (its shapes are checked against the vectors). */
  model: ImageClassifierModel;
  /** classes × inputDim: row c is class c's top positive eigenvector mapped to input space (Eᵀ v). */
  topVectorsInput: Float64Array;
}

/**
 * Masks built from the weights alone (the paper's §5.6): with S [classes, in] the stacked top
 * eigenvectors, mask_t is column t of the pseudo-inverse S⁺ = Sᵀ (S Sᵀ)⁻¹, so S·mask_t = e_t: the
 * mask overlaps class t's top eigenvector and is orthogonal to every other class's. Returned as rows
 * (classes × inputDim). SSᵀ is classes × classes, inverted through its eigendecomposition; an error
 * is thrown when S is (numerically) rank-deficient, since the masks would then not exist.
 */
export function adversarialMasks(options: AdversarialMaskOptions): Float64Array {
  const { model, topVectorsInput: s } = options;
  singleLayerClassifier(model, 'adversarialMasks');
  const classes = model.head.rows;
  const n = model.inputDim;
  if (s.length !== classes * n) {
    throw new AnalysisInputError(
      `topVectorsInput has ${s.length} entries, expected classes × inputDim = ${classes} × ${n} = ${classes * n}`,
    );
  }
  const gram = new Float64Array(classes * classes);
  for (let a = 0; a < classes; a++) {
    for (let b = a; b < classes; b++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += (s[a * n + i] as number) * (s[b * n + i] as number);
      gram[a * classes + b] = sum;
      gram[b * classes + a] = sum;
    }
  }
  const { values, vectors } = symmetricEigen(gram, classes);
  const largest = values[0] as number;
  const smallest = values[classes - 1] as number;
  if (!(largest > 0) || smallest <= SINGULAR_TOLERANCE * largest) {
    throw new AnalysisInputError(
      `the stacked eigenvectors S (${classes} × ${n}) are rank-deficient: S Sᵀ has eigenvalues from ` +
        `${largest.toExponential(3)} down to ${smallest.toExponential(3)}, so no mask can single out each class`,
    );
  }
  // (S Sᵀ)⁻¹ = Σ_r z_r z_rᵀ / λ_r.
  const inverse = new Float64Array(classes * classes);
  for (let r = 0; r < classes; r++) {
    const inv = 1 / (values[r] as number);
    for (let a = 0; a < classes; a++) {
      const za = (vectors[r * classes + a] as number) * inv;
      for (let b = 0; b < classes; b++) {
        inverse[a * classes + b] =
          (inverse[a * classes + b] as number) + za * (vectors[r * classes + b] as number);
      }
    }
  }
  // Row t of (SSᵀ)⁻¹ S is column t of Sᵀ (SSᵀ)⁻¹ (the inverse is symmetric).
  const masks = new Float64Array(classes * n);
  for (let t = 0; t < classes; t++) {
    for (let c = 0; c < classes; c++) {
      const weight = inverse[t * classes + c] as number;
      for (let i = 0; i < n; i++)
        masks[t * n + i] = (masks[t * n + i] as number) + weight * (s[c * n + i] as number);
    }
  }
  return masks;
}

export interface MaskEvaluationOptions {
  model: ImageClassifierModel;
  /** classes × inputDim: row t is the mask that should push predictions to class t. */
  masks: Float64Array;
  /** count × inputDim, row-major. Perturbed inputs are x + scale · mask, not clipped. */
  inputs: Float64Array;
  /** When given, only inputs the model classifies correctly are attacked. */
  labels?: ArrayLike<number>;
  count: number;
  /** Mask multipliers to try. */
  scales: readonly number[];
  /** Seed of the pixel permutations of the baseline masks (one permutation per target class). */
  seed: number;
}

export interface MaskScaleResult {
  scale: number;
  /** Mean over targets of the fraction of attacked inputs (original prediction ≠ target) now predicted as the target. */
  flipRate: number;
  /** The same with each mask's pixels randomly permuted: the baseline a mask should beat. */
  baselineFlipRate: number;
  /** Per target class; NaN for a target no attacked input was eligible for (every one already predicted it). */
  perTargetFlipRate: Float64Array;
  perTargetBaselineFlipRate: Float64Array;
}

export interface MaskEvaluation {
  /** Inputs attacked: all of them, or the correctly classified ones when labels were given. */
  evaluated: number;
  /** Clean accuracy when labels were given, else null. */
  cleanAccuracy: number | null;
  results: MaskScaleResult[];
}

/**
 * How often adding scale · mask_t turns a prediction into class t, against the same mask with its
 * pixels permuted. Uses linearity of the embedding and hidden pre-activations: with a = W E x,
 * b = V E x, p = W E m, q = V E m, the perturbed logits are
 *   head·(a⊙b) + σ head·(a⊙q + p⊙b) + σ² head·(p⊙q),
 * so each (input, target) pair costs two head products however many scales are tried.
 */
export function evaluateMasks(options: MaskEvaluationOptions): MaskEvaluation {
  const { model, masks, inputs, labels, count, scales, seed } = options;
  const layer = singleLayerClassifier(model, 'evaluateMasks');
  const classes = model.head.rows;
  const n = model.inputDim;
  const h = layer.left.rows;
  if (classes < 2)
    throw new AnalysisInputError(`evaluateMasks needs at least 2 classes, the model has ${classes}`);
  if (masks.length !== classes * n) {
    throw new AnalysisInputError(
      `masks have ${masks.length} entries, expected classes × inputDim = ${classes} × ${n} = ${classes * n}`,
    );
  }
  checkInputs(inputs, count, n);
  if (labels !== undefined) checkLabels(labels, count, classes);
  if (scales.length === 0) throw new AnalysisInputError('scales is empty: give at least one mask multiplier');
  scales.forEach((scale, i) => {
    if (!Number.isFinite(scale)) throw new AnalysisInputError(`scale ${i} is ${scale}: not finite`);
  });
  if (!Number.isFinite(seed)) throw new AnalysisInputError(`seed must be a finite number, got ${seed}`);

  // Hidden pre-activations (W E ·, V E ·) of a row-major batch: rows × h each.
  const preActivations = (batch: Float64Array, rows: number) => {
    const left = new Float64Array(rows * h);
    const right = new Float64Array(rows * h);
    for (let r = 0; r < rows; r++) {
      const embedded = multiplyVector(model.embed, batch.subarray(r * n, (r + 1) * n));
      multiplyVector(layer.left, embedded, left.subarray(r * h, (r + 1) * h));
      multiplyVector(layer.right, embedded, right.subarray(r * h, (r + 1) * h));
    }
    return { left, right };
  };
  const x = preActivations(inputs, count);
  const real = preActivations(masks, classes);
  const shuffled = preActivations(permuteMasks(masks, classes, n, seed), classes);

  const head = model.head;
  const headOf = (g: Float64Array) => multiplyVector(head, g);
  const product = new Float64Array(h);
  // head·(p⊙q) per mask: the σ² term.
  const quadratic = (pre: { left: Float64Array; right: Float64Array }) =>
    Array.from({ length: classes }, (_, t) => {
      for (let k = 0; k < h; k++)
        product[k] = (pre.left[t * h + k] as number) * (pre.right[t * h + k] as number);
      return headOf(product);
    });
  const realQuadratic = quadratic(real);
  const shuffledQuadratic = quadratic(shuffled);

  const attacked: number[] = [];
  const base: Float64Array[] = [];
  const predicted: number[] = [];
  let correct = 0;
  for (let s = 0; s < count; s++) {
    for (let k = 0; k < h; k++) product[k] = (x.left[s * h + k] as number) * (x.right[s * h + k] as number);
    const logits = headOf(product);
    const prediction = argmax(logits, 0, classes);
    if (labels !== undefined) {
      if (prediction !== (labels[s] as number)) continue;
      correct++;
    }
    attacked.push(s);
    base.push(logits);
    predicted.push(prediction);
  }
  if (attacked.length === 0) {
    throw new AnalysisInputError(
      `none of the ${count} inputs is classified correctly, so there is nothing to attack`,
    );
  }

  const flips = new Float64Array(scales.length * classes);
  const baselineFlips = new Float64Array(scales.length * classes);
  const eligible = new Float64Array(classes);
  const logits = new Float64Array(classes);
  // Counts, over scales, the perturbed predictions that land on target t.
  const tally = (
    into: Float64Array,
    t: number,
    baseLogits: Float64Array,
    linear: Float64Array,
    quad: Float64Array,
  ) => {
    scales.forEach((scale, j) => {
      for (let c = 0; c < classes; c++) {
        logits[c] =
          (baseLogits[c] as number) + scale * (linear[c] as number) + scale * scale * (quad[c] as number);
      }
      if (argmax(logits, 0, classes) === t) into[j * classes + t] = (into[j * classes + t] as number) + 1;
    });
  };
  const linearTerm = (pre: { left: Float64Array; right: Float64Array }, s: number, t: number) => {
    for (let k = 0; k < h; k++) {
      product[k] =
        (x.left[s * h + k] as number) * (pre.right[t * h + k] as number) +
        (pre.left[t * h + k] as number) * (x.right[s * h + k] as number);
    }
    return headOf(product);
  };
  attacked.forEach((s, index) => {
    const baseLogits = base[index] as Float64Array;
    for (let t = 0; t < classes; t++) {
      if (t === predicted[index]) continue;
      eligible[t] = (eligible[t] as number) + 1;
      tally(flips, t, baseLogits, linearTerm(real, s, t), realQuadratic[t] as Float64Array);
      tally(baselineFlips, t, baseLogits, linearTerm(shuffled, s, t), shuffledQuadratic[t] as Float64Array);
    }
  });

  const results = scales.map((scale, j): MaskScaleResult => {
    const perTargetFlipRate = new Float64Array(classes);
    const perTargetBaselineFlipRate = new Float64Array(classes);
    let sum = 0;
    let baselineSum = 0;
    let targets = 0;
    for (let t = 0; t < classes; t++) {
      const total = eligible[t] as number;
      if (total === 0) {
        perTargetFlipRate[t] = Number.NaN;
        perTargetBaselineFlipRate[t] = Number.NaN;
        continue;
      }
      perTargetFlipRate[t] = (flips[j * classes + t] as number) / total;
      perTargetBaselineFlipRate[t] = (baselineFlips[j * classes + t] as number) / total;
      sum += perTargetFlipRate[t] as number;
      baselineSum += perTargetBaselineFlipRate[t] as number;
      targets++;
    }
    return {
      scale,
      flipRate: sum / targets,
      baselineFlipRate: baselineSum / targets,
      perTargetFlipRate,
      perTargetBaselineFlipRate,
    };
  });
  return {
    evaluated: attacked.length,
    cleanAccuracy: labels === undefined ? null : correct / count,
    results,
  };
}

/** Each mask with its entries shuffled by a seeded Fisher–Yates permutation (one per mask, in order). */
export function permuteMasks(masks: Float64Array, rows: number, n: number, seed: number): Float64Array {
  if (masks.length !== rows * n) {
    throw new AnalysisInputError(`masks have ${masks.length} entries, expected ${rows} × ${n} = ${rows * n}`);
  }
  const random = seededRandom(seed);
  const out = new Float64Array(masks.length);
  const order = new Int32Array(n);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const swap = order[i] as number;
      order[i] = order[j] as number;
      order[j] = swap;
    }
    for (let i = 0; i < n; i++) out[r * n + i] = masks[r * n + (order[i] as number)] as number;
  }
  return out;
}
