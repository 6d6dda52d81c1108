import { describe, expect, it } from 'vitest';
import { randomOrthogonal } from '../testing/random.js';
import { effectiveSupport, eigenvectorSimilarity, spectrumEffectiveRank } from './similarity.js';

const N = 9;
const K = 5;

describe('eigenvectorSimilarity', () => {
  // K orthonormal rows of length N.
  const set = randomOrthogonal(N, 71).slice(0, K * N);

  it('identical sets match every rank to itself with cosine 1', () => {
    for (const oneToOne of [false, true]) {
      const { matchedCosine, matchedIndex, cosines } = eigenvectorSimilarity(set, set, N, { oneToOne });
      expect(cosines).toHaveLength(K * K);
      for (let i = 0; i < K; i++) {
        expect(Math.abs((matchedCosine[i] as number) - 1)).toBeLessThan(1e-14);
        expect(matchedIndex[i]).toBe(i);
      }
    }
  });

  it('ignores signs and scale', () => {
    const flipped = Float64Array.from(set, (x, i) => (Math.floor(i / N) % 2 === 0 ? -3 * x : 0.5 * x));
    const { matchedCosine, matchedIndex } = eigenvectorSimilarity(set, flipped, N);
    for (let i = 0; i < K; i++) {
      expect(Math.abs((matchedCosine[i] as number) - 1)).toBeLessThan(1e-14);
      expect(matchedIndex[i]).toBe(i);
    }
  });

  it('a rotation within the span of two vectors: those match at max(|cos θ|, |sin θ|), the rest at 1', () => {
    const theta = 0.6; // cos 0.825, sin 0.565
    const rotated = set.slice();
    for (let t = 0; t < N; t++) {
      const x = set[1 * N + t] as number;
      const y = set[3 * N + t] as number;
      rotated[1 * N + t] = Math.cos(theta) * x - Math.sin(theta) * y;
      rotated[3 * N + t] = Math.sin(theta) * x + Math.cos(theta) * y;
    }
    const { matchedCosine, matchedIndex, cosines } = eigenvectorSimilarity(set, rotated, N);
    for (let i = 0; i < K; i++) {
      const expected = i === 1 || i === 3 ? Math.cos(theta) : 1;
      expect(Math.abs((matchedCosine[i] as number) - expected)).toBeLessThan(1e-14);
      expect(matchedIndex[i]).toBe(i);
    }
    expect(Math.abs(Math.abs(cosines[1 * K + 3] as number) - Math.sin(theta))).toBeLessThan(1e-14);
    expect(Math.abs(cosines[0 * K + 3] as number)).toBeLessThan(1e-14);
  });

  it('greedy matching may reuse a row of b; one-to-one does not', () => {
    // Both rows of c are closest to d's row 0.
    const c = Float64Array.from([1, 0, 0, 0.8, 0.6, 0]);
    const d = Float64Array.from([0.6, 0.8, 0, 0, 0, 1]);
    const shared = eigenvectorSimilarity(c, d, 3);
    expect(Array.from(shared.matchedIndex)).toEqual([0, 0]);
    expect(Math.abs((shared.matchedCosine[0] as number) - 0.6)).toBeLessThan(1e-15);
    expect(Math.abs((shared.matchedCosine[1] as number) - 0.96)).toBeLessThan(1e-15);
    const unique = eigenvectorSimilarity(c, d, 3, { oneToOne: true });
    // The best pair (row 1 ↔ 0, 0.96) goes first; row 0 then gets b's row 1 (cos 0).
    expect(Array.from(unique.matchedIndex)).toEqual([1, 0]);
    expect(Math.abs(unique.matchedCosine[0] as number)).toBeLessThan(1e-15);
  });

  it('one-to-one leaves extra rows of a unmatched (index −1, cosine 0)', () => {
    const { matchedIndex, matchedCosine } = eigenvectorSimilarity(set, set.subarray(0, 2 * N), N, {
      oneToOne: true,
    });
    expect(Array.from(matchedIndex)).toEqual([0, 1, -1, -1, -1]);
    expect(Array.from(matchedCosine.subarray(2))).toEqual([0, 0, 0]);
  });

  it('rejects empty sets, ragged rows and zero vectors', () => {
    expect(() => eigenvectorSimilarity(new Float64Array(0), set, N)).toThrow(/set a is empty/);
    expect(() => eigenvectorSimilarity(set, set.subarray(1), N)).toThrow(
      /set b has 44 entries, not a whole number of rows of length 9/,
    );
    const withZero = set.slice();
    withZero.fill(0, 2 * N, 3 * N);
    expect(() => eigenvectorSimilarity(withZero, set, N)).toThrow(/row 2 of set a has norm 0/);
    expect(() => eigenvectorSimilarity(set, set, 0)).toThrow(/n must be a whole number ≥ 1, got 0/);
  });
});

describe('effective rank and support', () => {
  it('follows (Σ|x|)² / Σx²', () => {
    expect(spectrumEffectiveRank([1, 1, 1, 1])).toBe(4);
    expect(spectrumEffectiveRank([1, 0, 0])).toBe(1);
    expect(spectrumEffectiveRank([1, -1])).toBe(2);
    expect(spectrumEffectiveRank(Float64Array.from([3, -1]))).toBeCloseTo(16 / 10, 15);
    expect(effectiveSupport(Float64Array.from([0.5, -0.5, 0.5, -0.5, 0]))).toBe(4);
    // Scaled internally: no overflow or underflow at the ends of the float range.
    expect(spectrumEffectiveRank([1e300, 1e300])).toBe(2);
    expect(effectiveSupport([1e-300, 1e-300, 1e-300])).toBe(3);
  });

  it('gives 0 for a zero vector and rejects empty or non-finite input', () => {
    expect(spectrumEffectiveRank([0, 0, 0])).toBe(0);
    expect(effectiveSupport(new Float64Array(4))).toBe(0);
    expect(() => spectrumEffectiveRank([])).toThrow(/spectrum is empty/);
    expect(() => effectiveSupport([1, Number.POSITIVE_INFINITY])).toThrow(/vector entry 1 is Infinity/);
  });
});
