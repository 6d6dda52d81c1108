import { matrix } from '../model/matrix.js';
import type { Matrix } from '../model/types.js';
import { productTransposedA } from './matrix-product.js';

/**
 * A = Q R for A [n, r] with n ≥ r and full column rank: Q [n, r] with orthonormal columns, R [r, r]
 * upper triangular. CholeskyQR2 (Fukaya et al. 2014): R₁ from the Cholesky factor of AᵀA, Q₁ = A R₁⁻¹,
 * then the same once more on Q₁ — orthogonal to working precision for condition numbers up to
 * ~1/√ε, and all of its O(n r²) work in the SIMD GEMM. Throws RangeError when AᵀA is not (numerically)
 * positive definite: a column in the span of the others.
 */
export function thinQr(a: Matrix): { q: Matrix; r: Matrix } {
  const { rows: n, cols: r } = a;
  if (n < r) throw new RangeError(`thin QR needs at least as many rows as columns, got ${n}×${r}`);
  const first = choleskyQr(a);
  const second = choleskyQr(first.q);
  return { q: second.q, r: multiplyUpper(second.r, first.r) };
}

function choleskyQr(a: Matrix): { q: Matrix; r: Matrix } {
  const r = choleskyUpper(productTransposedA(a, a));
  return { q: productTransposedA(transposeOf(a), upperInverse(r)), r };
}

/** aᵀ as a matrix (row-major copy). */
function transposeOf(a: Matrix): Matrix {
  const t = matrix(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < a.cols; j++) t.data[j * a.rows + i] = a.data[i * a.cols + j] as number;
  return t;
}

/** G = RᵀR for symmetric positive definite G [r, r]: the upper-triangular R. */
function choleskyUpper(g: Matrix): Matrix {
  const r = g.rows;
  const u = matrix(r, r);
  for (let j = 0; j < r; j++) {
    let diagonal = g.data[j * r + j] as number;
    for (let k = 0; k < j; k++) diagonal -= (u.data[k * r + j] as number) ** 2;
    if (!(diagonal > 1e-14 * Math.abs(g.data[j * r + j] as number) && diagonal > 0)) {
      throw new RangeError(
        `column ${j} of the matrix lies (numerically) in the span of the columns before it`,
      );
    }
    const pivot = Math.sqrt(diagonal);
    u.data[j * r + j] = pivot;
    for (let i = j + 1; i < r; i++) {
      let sum = g.data[j * r + i] as number;
      for (let k = 0; k < j; k++) sum -= (u.data[k * r + j] as number) * (u.data[k * r + i] as number);
      u.data[j * r + i] = sum / pivot;
    }
  }
  return u;
}

/** R⁻¹ of an upper-triangular R (also upper triangular), by back substitution column by column. */
function upperInverse(u: Matrix): Matrix {
  const r = u.rows;
  const inverse = matrix(r, r);
  for (let j = 0; j < r; j++) {
    inverse.data[j * r + j] = 1 / (u.data[j * r + j] as number);
    for (let i = j - 1; i >= 0; i--) {
      let sum = 0;
      for (let k = i + 1; k <= j; k++)
        sum += (u.data[i * r + k] as number) * (inverse.data[k * r + j] as number);
      inverse.data[i * r + j] = -sum / (u.data[i * r + i] as number);
    }
  }
  return inverse;
}

/** The product of two upper-triangular matrices (upper triangular). */
function multiplyUpper(a: Matrix, b: Matrix): Matrix {
  const r = a.rows;
  const out = matrix(r, r);
  for (let i = 0; i < r; i++) {
    for (let j = i; j < r; j++) {
      let sum = 0;
      for (let k = i; k <= j; k++) sum += (a.data[i * r + k] as number) * (b.data[k * r + j] as number);
      out.data[i * r + j] = sum;
    }
  }
  return out;
}
