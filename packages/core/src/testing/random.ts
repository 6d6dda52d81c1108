// Seeded random inputs for tests and benchmarks (never used by the library's results).
import { seededGaussian, seededRandom } from '../random/seeded-random.js';

/** A random symmetric n×n matrix with entries uniform in [-1, 1), row-major. */
export function randomSymmetric(n: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const x = 2 * random() - 1;
      a[i * n + j] = x;
      a[j * n + i] = x;
    }
  }
  return a;
}

/** A random orthogonal n×n matrix (rows orthonormal) by Gram–Schmidt on Gaussian rows, twice. */
export function randomOrthogonal(n: number, seed: number): Float64Array {
  const gaussian = seededGaussian(seed);
  const q = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) q[i] = gaussian();
  for (let i = 0; i < n; i++) {
    const row = q.subarray(i * n, (i + 1) * n);
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        const other = q.subarray(j * n, (j + 1) * n);
        let dot = 0;
        for (let t = 0; t < n; t++) dot += (row[t] as number) * (other[t] as number);
        for (let t = 0; t < n; t++) row[t] = (row[t] as number) - dot * (other[t] as number);
      }
    }
    let norm = 0;
    for (let t = 0; t < n; t++) norm += (row[t] as number) ** 2;
    norm = Math.sqrt(norm);
    for (let t = 0; t < n; t++) row[t] = (row[t] as number) / norm;
  }
  return q;
}

/** Qᵀ diag(values) Q for an orthogonal Q given by rows: a symmetric matrix with a chosen spectrum. */
export function symmetricWithSpectrum(values: readonly number[], seed: number): Float64Array {
  const n = values.length;
  const q = randomOrthogonal(n, seed);
  const a = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    const lambda = values[r] as number;
    const row = q.subarray(r * n, (r + 1) * n);
    for (let i = 0; i < n; i++) {
      const li = lambda * (row[i] as number);
      for (let j = 0; j < n; j++) a[i * n + j] = (a[i * n + j] as number) + li * (row[j] as number);
    }
  }
  // Exact symmetry, as the solver expects of its input.
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i] as number;
  return a;
}
