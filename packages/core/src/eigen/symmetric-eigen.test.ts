import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { seededGaussian } from '../random/seeded-random.js';
import { randomSymmetric, symmetricWithSpectrum } from '../testing/random.js';
import {
  EigenInputError,
  packedTridiagonalReduction,
  type SymmetricEigenResult,
  symmetricEigen,
  tridiagonalReduction,
  tridiagonalReductionLength,
} from './symmetric-eigen.js';

const EPS = 2 ** -52;

function frobenius(a: Float64Array): number {
  let sum = 0;
  for (const x of a) sum += x * x;
  return Math.sqrt(sum);
}

/** ‖A V − V Λ‖_F / ‖A‖_F and max |VᵀV − I| over the returned vectors. */
function quality(a: Float64Array, n: number, result: SymmetricEigenResult) {
  const k = result.vectorIndices.length;
  let residual = 0;
  let orthogonality = 0;
  for (let c = 0; c < k; c++) {
    const v = result.vectors.subarray(c * n, (c + 1) * n);
    const lambda = result.values[result.vectorIndices[c] as number] as number;
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let j = 0; j < n; j++) av += (a[i * n + j] as number) * (v[j] as number);
      residual += (av - lambda * (v[i] as number)) ** 2;
    }
    for (let c2 = 0; c2 <= c; c2++) {
      const w = result.vectors.subarray(c2 * n, (c2 + 1) * n);
      let dot = 0;
      for (let i = 0; i < n; i++) dot += (v[i] as number) * (w[i] as number);
      orthogonality = Math.max(orthogonality, Math.abs(dot - (c === c2 ? 1 : 0)));
    }
  }
  const norm = frobenius(a);
  return { residual: norm === 0 ? Math.sqrt(residual) : Math.sqrt(residual) / norm, orthogonality };
}

function expectDescending(values: Float64Array) {
  for (let i = 1; i < values.length; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1] as number);
}

/** numpy's eigvalsh on the same matrix, descending: an independent LAPACK reference. */
function numpyEigenvalues(a: Float64Array, n: number): number[] {
  const script =
    'import sys,json,numpy as np\nA=np.array(json.load(sys.stdin)).reshape(N,N)\n' +
    'print(json.dumps(np.linalg.eigvalsh(A)[::-1].tolist()))';
  const out = execFileSync('python3', ['-c', script.replace(/N/g, String(n))], {
    input: JSON.stringify(Array.from(a)),
    encoding: 'utf8',
  });
  return JSON.parse(out) as number[];
}

describe('symmetricEigen on seeded random matrices', () => {
  for (const n of [3, 10, 64, 200, 301]) {
    it(`n = ${n}: all pairs, residual and orthogonality at machine precision, trace kept`, () => {
      const a = randomSymmetric(n, 1000 + n);
      const result = symmetricEigen(a, n);
      expectDescending(result.values);
      const { residual, orthogonality } = quality(a, n, result);
      expect(residual).toBeLessThan(50 * n * EPS);
      expect(orthogonality).toBeLessThan(50 * n * EPS);
      let trace = 0;
      for (let i = 0; i < n; i++) trace += a[i * n + i] as number;
      const sum = result.values.reduce((s, x) => s + x, 0);
      expect(Math.abs(sum - trace)).toBeLessThan(1e-12 * n);
    });
  }

  it('agrees with numpy.linalg.eigvalsh to 1e-13 of the norm', () => {
    const n = 120;
    const a = randomSymmetric(n, 7);
    const ours = symmetricEigen(a, n, { vectors: 'none' }).values;
    const reference = numpyEigenvalues(a, n);
    const scale = Math.max(...reference.map(Math.abs));
    reference.forEach((value, i) => {
      expect(Math.abs((ours[i] as number) - value)).toBeLessThan(1e-13 * scale);
    });
  });
});

describe('symmetricEigen on hard cases', () => {
  it('n = 1', () => {
    const result = symmetricEigen(Float64Array.of(-3.5), 1);
    expect(Array.from(result.values)).toEqual([-3.5]);
    expect(Array.from(result.vectors)).toEqual([1]);
  });

  it('n = 2 in closed form', () => {
    // [[2, 1], [1, 2]] has eigenvalues 3 and 1 with vectors (1, 1)/√2 and (1, -1)/√2.
    const result = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
    expect(result.values[0]).toBeCloseTo(3, 14);
    expect(result.values[1]).toBeCloseTo(1, 14);
    expect(Math.abs(result.vectors[0] as number)).toBeCloseTo(Math.SQRT1_2, 14);
    expect(Math.abs((result.vectors[2] as number) + (result.vectors[3] as number))).toBeLessThan(1e-15);
  });

  it('the zero matrix: zero spectrum, an orthonormal basis', () => {
    const n = 17;
    const a = new Float64Array(n * n);
    const result = symmetricEigen(a, n);
    expect(result.values.every((x) => x === 0)).toBe(true);
    expect(quality(a, n, result).orthogonality).toBeLessThan(1e-15);
  });

  it('a diagonal matrix with repeated entries', () => {
    const diagonal = [5, -1, 5, 0, 2, 5, -1, 2];
    const n = diagonal.length;
    const a = new Float64Array(n * n);
    diagonal.forEach((x, i) => {
      a[i * n + i] = x;
    });
    const result = symmetricEigen(a, n);
    expect(Array.from(result.values)).toEqual([...diagonal].sort((x, y) => y - x));
    const { residual, orthogonality } = quality(a, n, result);
    expect(residual).toBe(0);
    expect(orthogonality).toBeLessThan(1e-15);
  });

  it('repeated eigenvalues in a rotated basis (multiplicity 20)', () => {
    const spectrum = [...Array(20).fill(3), ...Array(20).fill(-2), 7, 0.5, 0.5, 1];
    const n = spectrum.length;
    const a = symmetricWithSpectrum(spectrum, 11);
    const result = symmetricEigen(a, n);
    const sorted = [...spectrum].sort((x, y) => y - x);
    sorted.forEach((value, i) => {
      expect(Math.abs((result.values[i] as number) - value)).toBeLessThan(1e-13);
    });
    const { residual, orthogonality } = quality(a, n, result);
    expect(residual).toBeLessThan(1e-13);
    expect(orthogonality).toBeLessThan(1e-12);
  });

  it('tightly clustered eigenvalues (gaps of 1e-10)', () => {
    const spectrum = Array.from({ length: 60 }, (_, i) => (i < 30 ? 1 + i * 1e-10 : -1 - (i - 30) * 1e-10));
    const n = spectrum.length;
    const a = symmetricWithSpectrum(spectrum, 12);
    const result = symmetricEigen(a, n);
    const { residual, orthogonality } = quality(a, n, result);
    expect(residual).toBeLessThan(1e-13);
    expect(orthogonality).toBeLessThan(1e-11);
  });

  it('a rank-one matrix', () => {
    const n = 40;
    const gaussian = seededGaussian(5);
    const x = Array.from({ length: n }, gaussian);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) a[i * n + j] = (x[i] as number) * (x[j] as number);
    const result = symmetricEigen(a, n);
    const normSq = x.reduce((s, v) => s + v * v, 0);
    expect(result.values[0]).toBeCloseTo(normSq, 10);
    for (let i = 1; i < n; i++) expect(Math.abs(result.values[i] as number)).toBeLessThan(1e-13 * normSq);
    const { residual, orthogonality } = quality(a, n, result);
    expect(residual).toBeLessThan(1e-13);
    expect(orthogonality).toBeLessThan(1e-12);
  });

  for (const magnitude of [1e-290, 1e-150, 1e150, 1e290]) {
    it(`scale ${magnitude}: relative accuracy is independent of scale`, () => {
      const n = 50;
      const base = randomSymmetric(n, 99);
      const a = base.map((x) => x * magnitude);
      const scaled = symmetricEigen(a, n);
      const reference = symmetricEigen(base, n, { vectors: 'none' });
      scaled.values.forEach((value, i) => {
        expect(Math.abs(value / magnitude - (reference.values[i] as number))).toBeLessThan(1e-13);
      });
      const { residual, orthogonality } = quality(base, n, { ...scaled, values: reference.values });
      expect(residual).toBeLessThan(1e-13);
      expect(orthogonality).toBeLessThan(1e-13);
    });
  }
});

describe('eigenvector selection', () => {
  const n = 90;
  const a = randomSymmetric(n, 3);
  const full = symmetricEigen(a, n);

  it('ends: the k most positive and k most negative, matching the full solve', () => {
    const result = symmetricEigen(a, n, { vectors: { ends: 4 } });
    expect(Array.from(result.vectorIndices)).toEqual([0, 1, 2, 3, 86, 87, 88, 89]);
    result.vectorIndices.forEach((rank, c) => {
      const ours = result.vectors.subarray(c * n, (c + 1) * n);
      const reference = full.vectors.subarray(rank * n, (rank + 1) * n);
      let dot = 0;
      for (let i = 0; i < n; i++) dot += (ours[i] as number) * (reference[i] as number);
      expect(Math.abs(dot)).toBeGreaterThan(1 - 1e-12);
    });
    expect(quality(a, n, result).residual).toBeLessThan(1e-13);
  });

  it('magnitude: the k largest |λ|, signs kept', () => {
    const result = symmetricEigen(a, n, { vectors: { magnitude: 6 } });
    const byMagnitude = Array.from(full.values.keys())
      .sort((i, j) => Math.abs(full.values[j] as number) - Math.abs(full.values[i] as number))
      .slice(0, 6)
      .sort((i, j) => i - j);
    expect(Array.from(result.vectorIndices)).toEqual(byMagnitude);
  });

  it('indices, and none', () => {
    expect(Array.from(symmetricEigen(a, n, { vectors: { indices: [5, 1] } }).vectorIndices)).toEqual([1, 5]);
    const none = symmetricEigen(a, n, { vectors: 'none' });
    expect(none.vectors.length).toBe(0);
    expect(Array.from(none.values)).toEqual(Array.from(full.values));
  });

  it('coordinates in the complete eigenbasis reconstruct xᵀAx = Σ λ (vᵀx)²', () => {
    const gaussian = seededGaussian(8);
    const count = 5;
    const x = Float64Array.from({ length: count * n }, gaussian);
    const result = symmetricEigen(a, n, { vectors: { ends: 2 }, coordinatesOf: { vectors: x, count } });
    for (let s = 0; s < count; s++) {
      let quadratic = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++)
          quadratic += (x[s * n + i] as number) * (a[i * n + j] as number) * (x[s * n + j] as number);
      }
      let reconstructed = 0;
      for (let r = 0; r < n; r++)
        reconstructed += (result.values[r] as number) * (result.coordinates?.[s * n + r] as number) ** 2;
      expect(Math.abs(reconstructed - quadratic)).toBeLessThan(1e-12 * Math.max(1, Math.abs(quadratic)));
      // The coordinates of returned vectors match their explicit dot products.
      result.vectorIndices.forEach((rank, c) => {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += (result.vectors[c * n + i] as number) * (x[s * n + i] as number);
        expect(result.coordinates?.[s * n + rank]).toBeCloseTo(dot, 12);
      });
    }
  });
});

describe('bad input', () => {
  it('says what is wrong and where', () => {
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow(/5 entries, expected n² = 4/);
    expect(() => symmetricEigen(Float64Array.of(1, 2, 3, 4), 2)).toThrow(/entries \(0, 1\) and \(1, 0\)/);
    expect(() => symmetricEigen(Float64Array.of(1, Number.NaN, Number.NaN, 4), 2)).toThrow(/\(0, 1\) is NaN/);
    expect(() => symmetricEigen(new Float64Array(4), 2, { vectors: { ends: -1 } })).toThrow(EigenInputError);
    expect(() => symmetricEigen(new Float64Array(4), 2, { vectors: { indices: [2] } })).toThrow(
      /outside the spectrum 0..1/,
    );
    expect(() => symmetricEigen(new Float64Array(0), 0)).toThrow(/positive integer/);
  });
});

describe('tridiagonalReduction', () => {
  it('lets symmetricEigen finish from the reduction with the same result, bit for bit', () => {
    for (const n of [1, 2, 37, 120]) {
      // Entries far from 1: the reduction's scaling by a power of two travels with it.
      const a = randomSymmetric(n, 300 + n).map((x) => x * 1e7);
      const gaussian = seededGaussian(n);
      const samples = Float64Array.from({ length: 3 * n }, () => gaussian());
      const options = { vectors: { ends: 5 }, coordinatesOf: { vectors: samples, count: 3 } } as const;
      const direct = symmetricEigen(a, n, options);
      const shared = new Float64Array(tridiagonalReductionLength(n) + 7);
      const reduction = tridiagonalReduction(a, n, shared);
      expect(reduction.reflectors.buffer).toBe(shared.buffer);
      expect(symmetricEigen(reduction, n, options)).toEqual(direct);
      // As another thread reads it from the shared buffer.
      expect(symmetricEigen(packedTridiagonalReduction(shared, n), n, options)).toEqual(direct);
      expect(symmetricEigen(tridiagonalReduction(a, n), n)).toEqual(symmetricEigen(a, n));
    }
  });

  it('checks the matrix as symmetricEigen does, and its order against the reduction', () => {
    const a = randomSymmetric(6, 1);
    a[1] = Number.NaN;
    expect(() => tridiagonalReduction(a, 6)).toThrow(EigenInputError);
    expect(() => tridiagonalReduction(randomSymmetric(6, 1), 6, new Float64Array(10))).toThrow(
      /needs 55 doubles/,
    );
    expect(() => symmetricEigen(tridiagonalReduction(randomSymmetric(6, 1), 6), 5)).toThrow(
      /the reduction is of a matrix of order 6, not 5/,
    );
  });
});
