import { symmetricEigen } from '../eigen/symmetric-eigen.js';
import { InteractionMatrixBuilder } from '../interaction/interaction-matrix.js';
import { multiplyTransposedVector } from '../model/matrix.js';
import type { BilinearLayer, Matrix } from '../model/types.js';
import { AnalysisInputError } from './common.js';

/** Singular values below this fraction of the largest are treated as zero (numerical rank). */
const RANK_TOLERANCE = 1e-6;

export interface HosvdOptions {
  /** How many singular components to decompose (default: all nonzero ones, at most 10). */
  components?: number;
  /** How many most-positive and most-negative eigenvectors to keep per component (default 3). */
  topK?: number;
  /** The embedding E [d, in]: when given, eigenvectors are also mapped to input space as Eᵀ v. */
  inputMap?: Matrix;
}

/** A few eigenpairs of one component's right singular matrix. */
export interface HosvdEigenvectors {
  values: Float64Array;
  /** Rows in model space (k × d), unit norm, largest-magnitude entry positive. */
  vectors: Float64Array;
  /** Eᵀ v as rows (k × in) when an inputMap was given, else null. */
  inputVectors: Float64Array | null;
}

export interface HosvdComponent {
  singularValue: number;
  /** The left singular vector u_i (length m): how strongly each output uses this component. */
  outputDirection: Float64Array;
  /** R_i = Σ_a u_i[a] B_sym[a] / σ_i = Q(u_i) / σ_i, d×d row-major, unit Frobenius norm. */
  rightMatrix: Float64Array;
  /** Every eigenvalue of R_i, most positive first. */
  eigenvalues: Float64Array;
  /** The topK most positive eigenpairs, most positive first. */
  topPositive: HosvdEigenvectors;
  /** The topK most negative eigenpairs, most negative first. */
  topNegative: HosvdEigenvectors;
}

export interface HosvdResult {
  /** All m singular values of B_sym reshaped to [m, d²], descending. */
  singularValues: Float64Array;
  /** Left singular vectors of the decomposed components as rows (components × m). */
  outputDirections: Float64Array;
  components: HosvdComponent[];
}

/**
 * G[a, b] = ⟨B_sym[a], B_sym[b]⟩_F for a layer and down-projection P [m, h], without forming B.
 * With Q(s) = ½ (Wᵀ diag(s) V + Vᵀ diag(s) W), tr(Q(s) Q(t)) = ½ Σ_kl s_k t_l K_kl where
 * K_kl = (v_k·w_l)(v_l·w_k) + (v_k·v_l)(w_k·w_l); so G = ½ P K Pᵀ in O(h²d + m h²) time, O(h²) memory
 * (instead of O(m h d²) time and m d² memory through the tensor).
 */
export function outputGramMatrix(layer: BilinearLayer, projection: Matrix): Float64Array {
  const h = checkLayer(layer, projection);
  const d = layer.left.cols;
  const w = layer.left.data;
  const v = layer.right.data;
  const dot = (x: Float64Array, i: number, y: Float64Array, j: number) => {
    let sum = 0;
    for (let t = 0; t < d; t++) sum += (x[i * d + t] as number) * (y[j * d + t] as number);
    return sum;
  };
  const kernel = new Float64Array(h * h);
  for (let k = 0; k < h; k++) {
    for (let l = k; l < h; l++) {
      const value = dot(v, k, w, l) * dot(v, l, w, k) + dot(v, k, v, l) * dot(w, k, w, l);
      kernel[k * h + l] = value;
      kernel[l * h + k] = value;
    }
  }
  const m = projection.rows;
  const p = projection.data;
  const pk = new Float64Array(m * h);
  for (let a = 0; a < m; a++) {
    for (let k = 0; k < h; k++) {
      const pak = p[a * h + k] as number;
      if (pak === 0) continue;
      for (let l = 0; l < h; l++)
        pk[a * h + l] = (pk[a * h + l] as number) + pak * (kernel[k * h + l] as number);
    }
  }
  const gram = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    for (let b = a; b < m; b++) {
      let sum = 0;
      for (let l = 0; l < h; l++) sum += (pk[a * h + l] as number) * (p[b * h + l] as number);
      gram[a * m + b] = sum / 2;
      gram[b * m + a] = sum / 2; // exactly symmetric, as symmetricEigen requires
    }
  }
  return gram;
}

/**
 * Higher-order SVD across outputs (the paper's §5.4): B_sym reshaped to [m, d²] = Σ σ_i u_i vec(R_i)ᵀ.
 * Computed from the m×m Gram matrix G = U Σ² Uᵀ, so σ_i = √max(λ_i, 0) and R_i = Q(u_i) / σ_i; B is
 * never formed. Squaring the singular values costs relative accuracy in small ones: about
 * ε·(σ_0/σ_i)², fine for the leading components users look at. Each R_i (symmetric) is then
 * eigendecomposed and its top eigenvectors are optionally mapped to input space.
 * Sign convention: u_i has its largest-magnitude entry positive; R_i follows u_i so σ u_i ⊗ R_i is exact.
 */
export function hosvd(layer: BilinearLayer, projection: Matrix, options: HosvdOptions = {}): HosvdResult {
  checkLayer(layer, projection);
  const m = projection.rows;
  const d = layer.left.cols;
  const topK = options.topK ?? 3;
  if (!Number.isInteger(topK) || topK < 0 || topK > d) {
    throw new AnalysisInputError(`topK must be a whole number in 0..${d} (the model dimension), got ${topK}`);
  }
  const inputMap = options.inputMap;
  if (inputMap && (inputMap.rows !== d || inputMap.data.length !== inputMap.rows * inputMap.cols)) {
    throw new AnalysisInputError(
      `inputMap is ${inputMap.rows}×${inputMap.cols} (${inputMap.data.length} entries), expected [${d}, in]`,
    );
  }
  if (options.components !== undefined) {
    const c = options.components;
    if (!Number.isInteger(c) || c < 0 || c > m) {
      throw new AnalysisInputError(`components must be a whole number in 0..${m} (the outputs), got ${c}`);
    }
  }

  const gram = outputGramMatrix(layer, projection);
  const wanted = options.components ?? Math.min(m, 10);
  const spectrum = symmetricEigen(gram, m, {
    vectors: { indices: Array.from({ length: wanted }, (_, i) => i) },
  });
  const singularValues = spectrum.values.map((lambda) => Math.sqrt(Math.max(lambda, 0)));
  const largest = singularValues[0] as number;
  let rank = 0;
  while (rank < m && (singularValues[rank] as number) > RANK_TOLERANCE * largest) rank++;
  let count = wanted;
  if (options.components === undefined) count = Math.min(wanted, rank);
  else if (count > rank) {
    throw new AnalysisInputError(
      `asked for ${count} components, but B_sym has numerical rank ${rank} (singular values below ` +
        `${RANK_TOLERANCE} × σ_0 = ${(RANK_TOLERANCE * largest).toExponential(3)} count as zero)`,
    );
  }

  const builder = new InteractionMatrixBuilder(layer);
  const outputDirections = spectrum.vectors.slice(0, count * m);
  const components: HosvdComponent[] = [];
  for (let i = 0; i < count; i++) {
    const sigma = singularValues[i] as number;
    const u = outputDirections.slice(i * m, (i + 1) * m);
    const rightMatrix = builder.forDirection(projection, u);
    for (let t = 0; t < rightMatrix.length; t++) rightMatrix[t] = (rightMatrix[t] as number) / sigma;
    const k = topK;
    const positive = Array.from({ length: k }, (_, r) => r);
    const negative = Array.from({ length: k }, (_, r) => d - 1 - r);
    const eigen = symmetricEigen(rightMatrix, d, { vectors: { indices: [...positive, ...negative] } });
    const rowOf = new Map<number, number>();
    eigen.vectorIndices.forEach((rank, row) => {
      rowOf.set(rank, row);
    });
    const pick = (ranks: number[]): HosvdEigenvectors => {
      const values = Float64Array.from(ranks, (r) => eigen.values[r] as number);
      const vectors = new Float64Array(ranks.length * d);
      ranks.forEach((r, j) => {
        const row = rowOf.get(r) as number;
        vectors.set(eigen.vectors.subarray(row * d, (row + 1) * d), j * d);
      });
      let inputVectors: Float64Array | null = null;
      if (inputMap) {
        const inputDim = inputMap.cols;
        inputVectors = new Float64Array(ranks.length * inputDim);
        for (let j = 0; j < ranks.length; j++) {
          inputVectors.set(
            multiplyTransposedVector(inputMap, vectors.subarray(j * d, (j + 1) * d)),
            j * inputDim,
          );
        }
      }
      return { values, vectors, inputVectors };
    };
    components.push({
      singularValue: sigma,
      outputDirection: u,
      rightMatrix,
      eigenvalues: eigen.values,
      topPositive: pick(positive),
      topNegative: pick(negative),
    });
  }
  return { singularValues, outputDirections, components };
}

/** Checks W, V [h, d] and P [m, h]; returns h. */
function checkLayer(layer: BilinearLayer, projection: Matrix): number {
  const { left, right } = layer;
  if (left.rows !== right.rows || left.cols !== right.cols) {
    throw new AnalysisInputError(
      `bilinear layer halves differ in shape: W is ${left.rows}×${left.cols}, V is ${right.rows}×${right.cols}`,
    );
  }
  if (left.rows < 1 || left.cols < 1)
    throw new AnalysisInputError(`bilinear layer is empty (${left.rows}×${left.cols})`);
  if (projection.cols !== left.rows) {
    throw new AnalysisInputError(
      `projection is ${projection.rows}×${projection.cols}, but the layer has ${left.rows} hidden units`,
    );
  }
  if (projection.rows < 1) throw new AnalysisInputError('projection has no output rows');
  return left.rows;
}
