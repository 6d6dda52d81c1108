import { seededRandom } from '@bilinear-lab/core';
import { describe, expect, it } from 'vitest';
import { loadTrainingKernels, SCRATCH_FLOATS } from './training-kernels.js';

/** op(A)·op(B) in float64 from the stored (possibly transposed) float32 operands. */
function reference(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let q = 0; q < k; q++) {
        const x = (transA ? a[q * m + i] : a[i * k + q]) as number;
        const y = (transB ? b[j * k + q] : b[q * n + j]) as number;
        sum += x * y;
      }
      c[i * n + j] = sum;
    }
  return c;
}

describe('training kernels: matmul', () => {
  // Sizes off every blocking boundary: rows not a multiple of 4, columns not of 8, depth past the
  // 256-deep panel, and the 784 × 1024 × 256 shape of the MNIST step's embedding gradient.
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [7, 300, 19],
    [13, 10, 8],
    [4, 513, 10],
    [64, 1024, 256],
  ];
  for (const [m, k, n] of sizes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`C (+)= op(A)·op(B) for [${m}, ${k}] · [${k}, ${n}], transA ${transA}, transB ${transB}`, () => {
          const kernels = loadTrainingKernels();
          const random = seededRandom(m * 1_000 + k * 10 + n + (transA ? 7 : 0) + (transB ? 13 : 0));
          const a = Float32Array.from({ length: m * k }, () => random() * 2 - 1);
          const b = Float32Array.from({ length: k * n }, () => random() * 2 - 1);
          let end = Math.ceil(kernels.heapBase() / 64) * 64;
          const take = (floats: number) => {
            const offset = end;
            end = Math.ceil((end + floats * 4) / 64) * 64;
            return offset;
          };
          const [scratch, aAt, bAt, cAt] = [SCRATCH_FLOATS, a.length, b.length, m * n].map(take) as [
            number,
            number,
            number,
            number,
          ];
          const bytes = end;
          const memory = kernels.memory;
          if (bytes > memory.buffer.byteLength)
            memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65_536));
          new Float32Array(memory.buffer, aAt, a.length).set(a);
          new Float32Array(memory.buffer, bAt, b.length).set(b);
          const c = new Float32Array(memory.buffer, cAt, m * n);
          const expected = reference(a, b, m, k, n, transA, transB);
          // Tolerance for float32 sums of k products of values in [-1, 1].
          const tolerance = 4e-7 * Math.sqrt(k) * 4;

          kernels.matmul(aAt, bAt, cAt, m, k, n, transA, transB, false, scratch);
          let worst = 0;
          for (let i = 0; i < m * n; i++)
            worst = Math.max(worst, Math.abs((c[i] as number) - (expected[i] as number)));
          expect(worst).toBeLessThan(tolerance);

          // Accumulating adds the same product again.
          kernels.matmul(aAt, bAt, cAt, m, k, n, transA, transB, true, scratch);
          worst = 0;
          for (let i = 0; i < m * n; i++) {
            worst = Math.max(worst, Math.abs((c[i] as number) - 2 * (expected[i] as number)));
          }
          expect(worst).toBeLessThan(2 * tolerance);
        });
      }
    }
  }
});
