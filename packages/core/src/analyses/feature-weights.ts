// What a feature page reads straight from the weights, without a corpus: the logits a residual-stream
// direction writes (an SAE feature's decoder column through the unembedding, w_dec[:, f] · W_Uᵀ), and
// which input-SAE features one output's interaction matrix Q couples most strongly (rows of DᵀQD).

import { type Entry, extremeEntries } from '../decomposition/readings.js';
import { productTransposedA, transpose } from '../linalg/matrix-product.js';
import type { Matrix } from '../model/types.js';
import { AnalysisInputError, checkCount } from './common.js';

/** The tokens a direction raises most (`top`, descending) and lowers most (`bottom`, ascending). */
export interface LogitEffect {
  top: Entry[];
  bottom: Entry[];
}

/**
 * The logit effect of a residual-stream direction v: the `n` largest and smallest entries of W_U v
 * (unembedding [V, d]). For an SAE feature, v is its decoder column — what the feature writes.
 */
export function logitEffect(unembedding: Matrix, direction: ArrayLike<number>, n: number): LogitEffect {
  const { rows, cols, data } = unembedding;
  if (direction.length !== cols) {
    throw new AnalysisInputError(
      `the direction has ${direction.length} values, the unembedding reads ${cols} (its rows are [V = ${rows}, d = ${cols}])`,
    );
  }
  checkCount(n, 'the tokens per side');
  const logits = new Float64Array(rows);
  for (let t = 0; t < rows; t++) {
    let sum = 0;
    const offset = t * cols;
    for (let i = 0; i < cols; i++) sum += (data[offset + i] as number) * (direction[i] as number);
    logits[t] = sum;
  }
  return extremeEntries(logits, n);
}

/** Column `feature` of an SAE decoder w_dec [d, F]: the direction the feature writes. */
export function decoderColumn(decoder: Matrix, feature: number): Float64Array {
  if (!Number.isInteger(feature) || feature < 0 || feature >= decoder.cols) {
    throw new AnalysisInputError(`feature ${feature} is outside the SAE's ${decoder.cols} features`);
  }
  const column = new Float64Array(decoder.rows);
  for (let i = 0; i < decoder.rows; i++) column[i] = decoder.data[i * decoder.cols + feature] as number;
  return column;
}

/** The strongest couplings of an output's Q between input-SAE features. */
export interface StrongestInteractions {
  /** The chosen input features, by descending row norm of DᵀQD. */
  features: number[];
  /** ‖row f of DᵀQD‖ of each chosen feature. */
  rowNorms: number[];
  /** (DᵀQD)[features[a], features[b]], n × n row-major; exactly symmetric. */
  values: Float64Array;
  /** ‖DᵀQD‖_F over every input feature, so a page can say how much the chosen rows carry. */
  frobenius: number;
}

/**
 * Q over an input SAE's features, DᵀQD [F, F], read without forming it (F² entries for F = 2048
 * would be 32 MB per output): ‖row i‖² = D_iᵀ (Q G Q) D_i with G = D Dᵀ [d, d], computed once per
 * SAE, so each output costs two d × d products and one d × d × F — the top-n rows then need only
 * n Q-times-column products for their n × n block.
 */
export class FeatureInteractions {
  readonly features: number;
  readonly modelDim: number;
  private readonly gram: Matrix;

  /** `decoder`: the input SAE's w_dec [d, F]. */
  constructor(private readonly decoder: Matrix) {
    this.modelDim = decoder.rows;
    this.features = decoder.cols;
    const columns = transpose(decoder);
    this.gram = productTransposedA(columns, columns);
  }

  /** The `n` input features with the largest rows of DᵀQD for a symmetric d × d `q`, and their block. */
  strongest(q: ArrayLike<number>, n: number): StrongestInteractions {
    const d = this.modelDim;
    if (q.length !== d * d) {
      throw new AnalysisInputError(
        `Q has ${q.length} entries; over an SAE reading d = ${d} it must be ${d} × ${d} = ${d * d}`,
      );
    }
    checkCount(n, 'the number of input features');
    const qMatrix: Matrix = { rows: d, cols: d, data: Float64Array.from(q) };
    // (G Q)ᵀ Q = Q G Q for symmetric G and Q; B D = Bᵀ D for symmetric B.
    const around = productTransposedA(productTransposedA(this.gram, qMatrix), qMatrix);
    const aroundD = productTransposedA(around, this.decoder);
    const F = this.features;
    const squares = new Float64Array(F);
    for (let k = 0; k < d; k++) {
      const offset = k * F;
      for (let i = 0; i < F; i++) {
        squares[i] =
          (squares[i] as number) +
          (this.decoder.data[offset + i] as number) * (aroundD.data[offset + i] as number);
      }
    }
    let total = 0;
    // Rounding can leave a zero row a hair below 0.
    for (let i = 0; i < F; i++) total += Math.max(0, squares[i] as number);
    const features = extremeEntries(squares, n).top.map((entry) => entry.index);
    const m = features.length;
    const columns = features.map((f) => decoderColumn(this.decoder, f));
    const qTimes = columns.map((column) => {
      const out = new Float64Array(d);
      for (let i = 0; i < d; i++) {
        let sum = 0;
        for (let j = 0; j < d; j++) sum += (qMatrix.data[i * d + j] as number) * (column[j] as number);
        out[i] = sum;
      }
      return out;
    });
    const values = new Float64Array(m * m);
    for (let a = 0; a < m; a++) {
      for (let b = a; b < m; b++) {
        // D_aᵀ (Q D_b) and D_bᵀ (Q D_a) agree to rounding; their mean is symmetric by construction.
        const value =
          (dot(columns[a] as Float64Array, qTimes[b] as Float64Array) +
            dot(columns[b] as Float64Array, qTimes[a] as Float64Array)) /
          2;
        values[a * m + b] = value;
        values[b * m + a] = value;
      }
    }
    return {
      features,
      rowNorms: features.map((f) => Math.sqrt(Math.max(0, squares[f] as number))),
      values,
      frobenius: Math.sqrt(total),
    };
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}
