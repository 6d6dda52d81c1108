import { matrix } from '../model/matrix.js';
import type { Matrix } from '../model/types.js';

/**
 * A = Q R for A [n, r] with n ≥ r and full column rank: Q [n, r] with orthonormal columns, R [r, r]
 * upper triangular. Modified Gram–Schmidt, each column orthogonalised twice ("twice is enough":
 * orthogonality to working precision). Throws RangeError when a column is (numerically) in the span
 * of the ones before it.
 */
export function thinQr(a: Matrix): { q: Matrix; r: Matrix } {
  const { rows: n, cols: r } = a;
  if (n < r) throw new RangeError(`thin QR needs at least as many rows as columns, got ${n}×${r}`);
  // Work on columns stored contiguously.
  const columns = Array.from({ length: r }, (_, j) => {
    const column = new Float64Array(n);
    for (let i = 0; i < n; i++) column[i] = a.data[i * r + j] as number;
    return column;
  });
  const rMatrix = matrix(r, r);
  for (let j = 0; j < r; j++) {
    const v = columns[j] as Float64Array;
    let original = 0;
    for (let i = 0; i < n; i++) original += (v[i] as number) ** 2;
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const q = columns[k] as Float64Array;
        let dot = 0;
        for (let i = 0; i < n; i++) dot += (q[i] as number) * (v[i] as number);
        rMatrix.data[k * r + j] = (rMatrix.data[k * r + j] as number) + dot;
        for (let i = 0; i < n; i++) v[i] = (v[i] as number) - dot * (q[i] as number);
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += (v[i] as number) ** 2;
    norm = Math.sqrt(norm);
    if (!(norm > 1e-12 * Math.sqrt(original))) {
      throw new RangeError(`column ${j} of the ${n}×${r} matrix lies in the span of the columns before it`);
    }
    rMatrix.data[j * r + j] = norm;
    for (let i = 0; i < n; i++) v[i] = (v[i] as number) / norm;
  }
  const q = matrix(n, r);
  for (let j = 0; j < r; j++) {
    const column = columns[j] as Float64Array;
    for (let i = 0; i < n; i++) q.data[i * r + j] = column[i] as number;
  }
  return { q, r: rMatrix };
}
