import { seededGaussian, symmetricEigen } from '@bilinear-lab/core';
import { afterAll, describe, expect, it } from 'vitest';
import { EigenvectorThread } from './eigenvector-thread.js';

function randomSymmetric(n: number, seed: number): Float64Array {
  const gaussian = seededGaussian(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      const x = gaussian();
      a[i * n + j] = x;
      a[j * n + i] = x;
    }
  return a;
}

describe('symmetricEigen with an EigenvectorThread', () => {
  // Patient: the helper takes its part however busy the machine keeps it (asserted below).
  const helper = EigenvectorThread.start({ patient: true });
  afterAll(() => helper.close());

  it('computes the lower half of the vectors on the helper, bit for bit what one thread computes', async () => {
    await helper.ready();
    for (const [n, seed] of [
      [300, 1],
      [301, 2],
      [200, 3],
    ] as const) {
      const a = randomSymmetric(n, seed);
      const alone = symmetricEigen(a, n);
      const shared = symmetricEigen(a, n, { helper });
      expect(shared.values).toEqual(alone.values);
      expect(shared.vectorIndices).toEqual(alone.vectorIndices);
      expect(shared.vectors).toEqual(alone.vectors);
    }
    // The 200 case reuses the 301 case's (larger) buffers.
    expect(helper.partsDone).toBe(3);
  });

  it('shares a selection of vectors too, and leaves small selections to the caller', async () => {
    await helper.ready();
    const n = 260;
    const a = randomSymmetric(n, 4);
    const before = helper.partsDone;
    const ends = symmetricEigen(a, n, { vectors: { ends: 100 }, helper });
    expect(ends.vectors).toEqual(symmetricEigen(a, n, { vectors: { ends: 100 } }).vectors);
    const few = symmetricEigen(a, n, { vectors: { ends: 10 }, helper });
    expect(few.vectors).toEqual(symmetricEigen(a, n, { vectors: { ends: 10 } }).vectors);
    expect(helper.partsDone).toBe(before + 1);
  });

  it('gives the same vectors when the helper has not started or is gone: the caller computes the part', async () => {
    const n = 256;
    const a = randomSymmetric(n, 5);
    const alone = symmetricEigen(a, n);
    const starting = EigenvectorThread.start();
    // Called at once: the thread is still loading, so the part is taken back rather than waited for.
    expect(symmetricEigen(a, n, { helper: starting }).vectors).toEqual(alone.vectors);
    await starting.ready();
    await starting.close();
    expect(symmetricEigen(a, n, { helper: starting }).vectors).toEqual(alone.vectors);
    expect(starting.partsDone).toBe(0);
  });
});
