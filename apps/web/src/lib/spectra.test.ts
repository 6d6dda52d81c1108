import { describe, expect, it } from 'vitest';
import { overlaidSpectra } from './spectra';

// A d = 8 and a d = 2 model, most positive first: each has a negative tail.
const wide = [8, 4, 2, 1, 0, -1, -3, -9];
const narrow = [5, -6];

describe('overlaidSpectra', () => {
  it('by rank / d, spans each model over (0, 1]: heads at the left, negative tails at the right', () => {
    const { x, values } = overlaidSpectra([wide, narrow], 'fraction');
    expect(x).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((rank) => rank / 8));
    expect(values[0]).toEqual(wide);
    // The narrow model's rank 1 covers (0, 1/2], its rank 2 (its negative eigenvalue) (1/2, 1].
    expect(values[1]).toEqual([5, 5, 5, 5, -6, -6, -6, -6]);
    for (const series of values) expect(series.at(-1)).toBeLessThan(0);
  });

  it('by rank, keeps every eigenvalue of the widest model (no cut at a fixed rank)', () => {
    const long = Array.from({ length: 256 }, (_, i) => 128 - i);
    const { x, values } = overlaidSpectra([narrow, long], 'rank');
    expect(x).toHaveLength(256);
    expect(values[1]?.at(-1)).toBe(-127);
    expect(values[0]).toEqual([5, -6, ...Array.from({ length: 254 }, () => null)]);
  });
});
