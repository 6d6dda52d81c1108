import { describe, expect, it } from 'vitest';
import { matrix } from '../model/matrix.js';
import { seededGaussian } from '../random/seeded-random.js';
import { thinQr } from './thin-qr.js';

describe('thinQr', () => {
  it('A = QR with orthonormal Q and upper-triangular R, on a seeded 300 × 40 matrix', () => {
    const g = seededGaussian(5);
    const n = 300;
    const r = 40;
    const a = matrix(
      n,
      r,
      Float64Array.from({ length: n * r }, () => g()),
    );
    const { q, r: upper } = thinQr(a);
    let reconstruction = 0;
    let orthogonality = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < r; j++) {
        let sum = 0;
        for (let k = 0; k <= j; k++) sum += (q.data[i * r + k] as number) * (upper.data[k * r + j] as number);
        reconstruction = Math.max(reconstruction, Math.abs(sum - (a.data[i * r + j] as number)));
      }
    }
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < r; j++) {
        let dot = 0;
        for (let k = 0; k < n; k++) dot += (q.data[k * r + i] as number) * (q.data[k * r + j] as number);
        orthogonality = Math.max(orthogonality, Math.abs(dot - (i === j ? 1 : 0)));
      }
      for (let j = 0; j < i; j++) expect(upper.data[i * r + j]).toBe(0);
    }
    expect(reconstruction).toBeLessThan(1e-12);
    expect(orthogonality).toBeLessThan(1e-13);
  });

  it('refuses dependent columns', () => {
    const a = matrix(3, 2, Float64Array.from([1, 2, 2, 4, 3, 6]));
    expect(() => thinQr(a)).toThrow(/span of the columns before it/);
  });
});
