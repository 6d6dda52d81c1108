import { describe, expect, it } from 'vitest';
import { productTransposedA } from '../linalg/matrix-product.js';
import { matrix } from '../model/matrix.js';
import { compileKernelsInBackground } from './kernels.js';

describe('compileKernelsInBackground', () => {
  it('resolves once the module is in place, one compile however often it is asked, and the kernels then run', async () => {
    const first = compileKernelsInBackground();
    expect(compileKernelsInBackground()).toBe(first);
    await first;
    // Aᵀ B through the GEMM kernel against the sum written out: [[1, 3], [2, 4]] · [[5, 6], [7, 8]].
    const a = matrix(2, 2, Float64Array.of(1, 2, 3, 4));
    const b = matrix(2, 2, Float64Array.of(5, 6, 7, 8));
    expect([...productTransposedA(a, b).data]).toEqual([
      1 * 5 + 3 * 7,
      1 * 6 + 3 * 8,
      2 * 5 + 4 * 7,
      2 * 6 + 4 * 8,
    ]);
  });
});
