import { seededRandom } from '@bilinear-lab/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { runOnWasmBackend } from '../testing/wasm-backend.js';
import { batchedMatMul, kernelMatMul } from './kernel-products.js';

runOnWasmBackend();

function randomValues(length: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length }, () => random() * 2 - 1);
}

/** op(A)·op(B) of every batch item in float64, from the stored float32 values. */
function reference(
  a: Float32Array,
  b: Float32Array,
  [batch, aRows, aCols]: [number, number, number],
  [, bRows, bCols]: [number, number, number],
  transA: boolean,
  transB: boolean,
): Float64Array {
  const [m, k] = transA ? [aCols, aRows] : [aRows, aCols];
  const n = transB ? bRows : bCols;
  const out = new Float64Array(batch * m * n);
  for (let s = 0; s < batch; s++) {
    const aAt = s * aRows * aCols;
    const bAt = s * bRows * bCols;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let q = 0; q < k; q++) {
          sum +=
            (a[aAt + (transA ? q * aCols + i : i * aCols + q)] as number) *
            (b[bAt + (transB ? j * bCols + q : q * bCols + j)] as number);
        }
        out[(s * m + i) * n + j] = sum;
      }
  }
  return out;
}

function worstError(actual: ArrayLike<number>, expected: Float64Array): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  }
  return worst;
}

describe('batchedMatMul and kernelMatMul on the wasm kernels', () => {
  // The language model's per-head products (48 × 12 heads of a 4-head d = 48 model), and sizes off
  // every tile boundary.
  const cases: {
    a: [number, number, number];
    b: [number, number, number];
    transA: boolean;
    transB: boolean;
  }[] = [
    { a: [8, 48, 12], b: [8, 48, 12], transA: false, transB: true },
    { a: [8, 48, 48], b: [8, 48, 12], transA: false, transB: false },
    { a: [8, 48, 48], b: [8, 48, 12], transA: true, transB: false },
    { a: [3, 5, 7], b: [3, 9, 5], transA: true, transB: true },
    { a: [2, 301, 3], b: [2, 3, 11], transA: false, transB: false },
  ];
  for (const { a: aShape, b: bShape, transA, transB } of cases) {
    it(`[${aShape}]${transA ? 'ᵀ' : ''} · [${bShape}]${transB ? 'ᵀ' : ''} as float64 products`, () => {
      expect(tf.getBackend()).toBe('wasm');
      const aValues = randomValues(aShape[0] * aShape[1] * aShape[2], 1);
      const bValues = randomValues(bShape[0] * bShape[1] * bShape[2], 2);
      const expected = reference(aValues, bValues, aShape, bShape, transA, transB);
      // One operand arrives as a reshape (a view of another tensor's data), as toHeads makes them.
      const flat = tf.tensor2d(aValues, [aShape[0] * aShape[1], aShape[2]]);
      const a = tf.reshape(flat, aShape) as tf.Tensor3D;
      const b = tf.tensor3d(bValues, bShape);
      const product = batchedMatMul(a, b, transA, transB);
      const depth = transA ? aShape[1] : aShape[2];
      expect(worstError(product.dataSync(), expected)).toBeLessThan(4e-7 * Math.sqrt(depth) * 4);
      tf.dispose([flat, a, b, product]);
    });
  }

  it('a matrix product with the left operand transposed: a weight gradient dyᵀ·x', () => {
    const dy = randomValues(300 * 40, 3);
    const x = randomValues(300 * 24, 4);
    const expected = reference(dy, x, [1, 300, 40], [1, 300, 24], true, false);
    const product = kernelMatMul(tf.tensor2d(dy, [300, 40]), tf.tensor2d(x, [300, 24]), true);
    expect(product.shape).toEqual([40, 24]);
    expect(worstError(product.dataSync(), expected)).toBeLessThan(4e-7 * Math.sqrt(300) * 4);
  });

  it('says which shapes do not multiply', () => {
    const a = tf.zeros([2, 3, 4]) as tf.Tensor3D;
    expect(() => batchedMatMul(a, tf.zeros([2, 5, 6]) as tf.Tensor3D)).toThrow(
      /op\(a\) \[2, 3, 4\] and op\(b\) \[2, 5, 6\] do not multiply/,
    );
    expect(() => batchedMatMul(a, tf.zeros([3, 4, 6]) as tf.Tensor3D)).toThrow(/\[3, 4, 6\] do not multiply/);
  });

  it('on another backend, runs tfjs matMul to the same values', async () => {
    const aValues = randomValues(4 * 6 * 5, 5);
    const bValues = randomValues(4 * 6 * 7, 6);
    const expected = reference(aValues, bValues, [4, 6, 5], [4, 6, 7], true, false);
    await tf.setBackend('cpu');
    try {
      const product = batchedMatMul(tf.tensor3d(aValues, [4, 6, 5]), tf.tensor3d(bValues, [4, 6, 7]), true);
      expect(worstError(product.dataSync(), expected)).toBeLessThan(1e-5);
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
