import { seededRandom } from '@bilinear-lab/core';
import { describe, expect, it } from 'vitest';
import { addGaussianNoise, addSeededGaussianNoise, inverseNormalCdf } from './gaussian-noise.js';

describe('table Gaussian noise', () => {
  it('inverse CDF matches known quantiles', () => {
    expect(inverseNormalCdf(0.5)).toBeCloseTo(0, 12);
    expect(inverseNormalCdf(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(inverseNormalCdf(0.001)).toBeCloseTo(-3.090232306167813, 7);
  });

  it('has the moments and tail mass of N(0, std²), reproducibly per seed', () => {
    const n = 400_000;
    const x = new Float32Array(n);
    addGaussianNoise(x, 0, n, 0.4, seededRandom(1));
    let sum = 0;
    let sumSq = 0;
    let sumFourth = 0;
    let beyond2 = 0;
    for (const v of x) {
      const z = v / 0.4;
      sum += z;
      sumSq += z * z;
      sumFourth += z ** 4;
      if (Math.abs(z) > 2) beyond2++;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.01);
    expect(Math.abs(sumFourth / n - 3)).toBeLessThan(0.05); // kurtosis of a normal
    expect(Math.abs(beyond2 / n - 0.0455)).toBeLessThan(0.002);
    const again = new Float32Array(n);
    addGaussianNoise(again, 0, n, 0.4, seededRandom(1));
    expect(again).toEqual(x);
  });

  it('adds only inside [start, end)', () => {
    const x = new Float32Array(10).fill(1);
    addGaussianNoise(x, 3, 6, 1, seededRandom(2));
    expect(Array.from(x.subarray(0, 3))).toEqual([1, 1, 1]);
    expect(Array.from(x.subarray(6))).toEqual([1, 1, 1, 1]);
    expect(x[4]).not.toBe(1);
  });

  it('with the generator inlined, draws the same numbers as through seededRandom, after skipped draws too', () => {
    for (const [seed, skip] of [
      [1, 0],
      [-123_456_789, 0],
      [0xfffffff0, 1],
      [42, 3],
    ] as const) {
      const expected = Float32Array.from({ length: 1000 }, (_, i) => i / 100);
      const random = seededRandom(seed);
      for (let i = 0; i < skip; i++) random();
      addGaussianNoise(expected, 5, 995, 0.7, random);
      const actual = Float32Array.from({ length: 1000 }, (_, i) => i / 100);
      addSeededGaussianNoise(actual, 5, 995, 0.7, seed, skip);
      expect(actual).toEqual(expected);
      expect(actual[5]).not.toBe(Math.fround(0.05));
    }
  });
});
