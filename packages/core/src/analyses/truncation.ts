import { productTransposedA, transpose } from '../linalg/matrix-product.js';
import { matrix } from '../model/matrix.js';
import type { ImageClassifierModel } from '../model/types.js';
import { AnalysisInputError, argmax, checkInputs, checkLabels, singleLayerClassifier } from './common.js';

/** Eigenpairs of one interaction matrix: values (k) and unit eigenvectors as rows (k × n, row-major). */
export interface Eigenpairs {
  values: Float64Array;
  vectors: Float64Array;
}

/**
 * The k eigenpairs of largest |λ| (signs kept), ordered by descending |λ|; ties keep their input order.
 * The vector length n is vectors.length / values.length.
 */
export function topByMagnitude(values: Float64Array, vectors: Float64Array, k: number): Eigenpairs {
  const count = values.length;
  if (count === 0) throw new AnalysisInputError('topByMagnitude got no eigenpairs (values is empty)');
  if (vectors.length % count !== 0) {
    throw new AnalysisInputError(
      `eigenvectors have ${vectors.length} entries, not a whole number of rows for ${count} eigenvalues`,
    );
  }
  if (!Number.isInteger(k) || k < 0 || k > count) {
    throw new AnalysisInputError(`topByMagnitude: k must be a whole number in 0..${count}, got ${k}`);
  }
  const n = vectors.length / count;
  const order = Array.from({ length: count }, (_, i) => i).sort(
    (i, j) => Math.abs(values[j] as number) - Math.abs(values[i] as number) || i - j,
  );
  const outValues = new Float64Array(k);
  const outVectors = new Float64Array(k * n);
  for (let r = 0; r < k; r++) {
    const source = order[r] as number;
    outValues[r] = values[source] as number;
    outVectors.set(vectors.subarray(source * n, (source + 1) * n), r * n);
  }
  return { values: outValues, vectors: outVectors };
}

export interface TruncationOptions {
  /** A single-layer, non-residual classifier. */
  model: ImageClassifierModel;
  /**
   * One entry per class: eigenpairs of Q(e_c) in model space (vectors k × d), at least maxK of them,
   * normally the top-K by |λ| with signs. Any order: they are re-ranked by |λ| here.
   */
  eigenpairs: readonly Eigenpairs[];
  /** count × inputDim, row-major; or, instead, */
  inputs?: Float64Array;
  /**
   * the same inputs transposed (inputDim × count): what the curve works from, so a caller that
   * measures many decompositions on one test split transposes it once (2 000 digits are 12.5 MB).
   */
  inputsTransposed?: Float64Array;
  labels: ArrayLike<number>;
  count: number;
  /** Largest number of eigenpairs kept per class; the curve covers k = 0..maxK. */
  maxK: number;
}

export interface TruncationCurve {
  /** 0, 1, …, maxK. */
  k: number[];
  /** Accuracy with logits_c(x) ≈ Σ_{i<k} λ_i (v_iᵀ E x)² over each class's k largest-|λ| pairs. */
  accuracy: number[];
  /** Accuracy of the real model (forward pass) on the same inputs. */
  fullAccuracy: number;
}

/**
 * Accuracy versus the number k of eigenpairs kept per class (the paper's truncation figure). With
 * eigenvectors orthonormal, keeping all d pairs reproduces the model's logits up to rounding.
 * Predictions use argmax with ties to the lowest class, so k = 0 (all logits 0) predicts class 0
 * everywhere and its accuracy is the fraction of labels equal to 0.
 */
export function truncationCurve(options: TruncationOptions): TruncationCurve {
  const { model, eigenpairs, inputs, inputsTransposed, labels, count, maxK } = options;
  const layer = singleLayerClassifier(model, 'truncationCurve');
  const classes = model.head.rows;
  const d = model.embed.rows;
  const inputDim = model.inputDim;
  if (!Number.isInteger(maxK) || maxK < 0) {
    throw new AnalysisInputError(`maxK must be a whole number ≥ 0, got ${maxK}`);
  }
  if (eigenpairs.length !== classes) {
    throw new AnalysisInputError(`got eigenpairs for ${eigenpairs.length} classes, the model has ${classes}`);
  }
  eigenpairs.forEach((pairs, c) => {
    const k = pairs.values.length;
    if (pairs.vectors.length !== k * d) {
      throw new AnalysisInputError(
        `class ${c}: ${k} eigenvalues need ${k} × ${d} = ${k * d} eigenvector entries, got ${pairs.vectors.length}`,
      );
    }
    if (k < maxK)
      throw new AnalysisInputError(`class ${c} has ${k} eigenpairs, maxK = ${maxK} needs at least that many`);
  });
  if ((inputs === undefined) === (inputsTransposed === undefined)) {
    throw new AnalysisInputError(
      'truncationCurve takes the inputs either as they are or transposed, exactly one',
    );
  }
  checkInputs((inputs ?? inputsTransposed) as Float64Array, count, inputDim);
  checkLabels(labels, count, classes);

  const kept = eigenpairs.map((pairs) =>
    maxK === 0
      ? { values: new Float64Array(0), vectors: new Float64Array(0) }
      : topByMagnitude(pairs.values, pairs.vectors, maxK),
  );
  // Two products on the SIMD GEMM instead of a dot product per sample, class and pair: the embedded
  // inputs Hᵀ = E Xᵀ (d × count), then every projection vᵀ E x at once, P = H Vᵀ (count × classes·maxK).
  const byColumn = inputsTransposed
    ? matrix(inputDim, count, inputsTransposed)
    : transpose(matrix(count, inputDim, inputs as Float64Array));
  const embeddedT = productTransposedA(transpose(model.embed), byColumn);
  const pairsAll = matrix(classes * maxK, d);
  kept.forEach((pairs, c) => {
    pairsAll.data.set(pairs.vectors, c * maxK * d);
  });
  const projections = maxK === 0 ? null : productTransposedA(embeddedT, transpose(pairsAll)).data;
  // The real model's logits for every input at once: head · ((W E x) ⊙ (V E x)), as GEMMs.
  const left = productTransposedA(transpose(layer.left), embeddedT);
  const right = productTransposedA(transpose(layer.right), embeddedT);
  for (let i = 0; i < left.data.length; i++)
    left.data[i] = (left.data[i] as number) * (right.data[i] as number);
  const fullLogits = productTransposedA(transpose(model.head), left).data;
  const correct = new Float64Array(maxK + 1);
  // Row k holds every class's logit from its first k pairs: one running sum per class gives all k.
  const logits = new Float64Array((maxK + 1) * classes);
  const full = new Float64Array(classes);
  let fullCorrect = 0;
  for (let s = 0; s < count; s++) {
    const row = s * classes * maxK;
    for (let c = 0; c < classes; c++) {
      const values = (kept[c] as Eigenpairs).values;
      let running = 0;
      for (let i = 0; i < maxK; i++) {
        const projection = (projections as Float64Array)[row + c * maxK + i] as number;
        running += (values[i] as number) * projection * projection;
        logits[(i + 1) * classes + c] = running;
      }
    }
    const label = labels[s] as number;
    for (let c = 0; c < classes; c++) full[c] = fullLogits[c * count + s] as number;
    if (argmax(full, 0, classes) === label) fullCorrect++;
    for (let k = 0; k <= maxK; k++) {
      if (argmax(logits, k * classes, classes) === label) correct[k] = (correct[k] as number) + 1;
    }
  }

  return {
    k: Array.from({ length: maxK + 1 }, (_, k) => k),
    accuracy: Array.from(correct, (hits) => hits / count),
    fullAccuracy: fullCorrect / count,
  };
}
