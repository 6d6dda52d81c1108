import { describe, expect, it } from 'vitest';
import { matrix } from '../model/matrix.js';
import type { BilinearLayer, Matrix } from '../model/types.js';
import { seededGaussian } from '../random/seeded-random.js';
import { OutputTensorSlice, symmetricFromUpper, upperTriangleSize } from './output-tensor.js';

function gaussianMatrix(rows: number, cols: number, seed: number): Matrix {
  return matrix(rows, cols, Float64Array.from({ length: rows * cols }, seededGaussian(seed)));
}

/** Q(u)_ij = ½ Σ_k s_k (W_ki V_kj + V_ki W_kj) with s = Pᵀu, loop by loop (independent of the kernels). */
function naiveQ(layer: BilinearLayer, p: Matrix, u: ArrayLike<number>): Float64Array {
  const h = layer.left.rows;
  const d = layer.left.cols;
  const s = new Float64Array(h);
  for (let a = 0; a < p.rows; a++)
    for (let k = 0; k < h; k++) s[k] = (s[k] as number) + (u[a] as number) * (p.data[a * h + k] as number);
  const q = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let total = 0;
      for (let k = 0; k < h; k++) {
        const w = layer.left.data;
        const v = layer.right.data;
        total +=
          (s[k] as number) *
          ((w[k * d + i] as number) * (v[k * d + j] as number) +
            (v[k * d + i] as number) * (w[k * d + j] as number));
      }
      q[i * d + j] = 0.5 * total;
    }
  return q;
}

function upperOf(q: Float64Array, d: number): Float64Array {
  const out = new Float64Array(upperTriangleSize(d));
  let p = 0;
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) out[p++] = q[i * d + j] as number;
  return out;
}

function maxRelative(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  let error = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i] as number));
    error = Math.max(error, Math.abs((actual[i] as number) - (expected[i] as number)));
  }
  return error / scale;
}

describe('OutputTensorSlice', () => {
  // d = 40 gives 820 upper-triangle entries: two tiles of columns, the second one partial.
  const d = 40;
  const h = 70;
  const m = 9;
  const layer = { left: gaussianMatrix(h, d, 1), right: gaussianMatrix(h, d, 2) };
  const p = gaussianMatrix(m, h, 3);
  const count = 6;
  const directions = Float64Array.from({ length: count * m }, seededGaussian(4));

  it('gives Q(u) = Σ_a u_a Q(e_a) for many directions, equal to the direct sum over hidden units', () => {
    const tensor = new OutputTensorSlice(layer, p);
    const upper = tensor.contract(directions, count);
    expect(upper).toHaveLength(count * upperTriangleSize(d));
    for (let r = 0; r < count; r++) {
      const expected = naiveQ(layer, p, directions.subarray(r * m, (r + 1) * m));
      const row = upper.subarray(r * upperTriangleSize(d), (r + 1) * upperTriangleSize(d));
      expect(maxRelative(row, upperOf(expected, d))).toBeLessThan(1e-13);
      expect(maxRelative(symmetricFromUpper(row, d), expected)).toBeLessThan(1e-13);
    }
  });

  it('splits into slices of entries that join to the whole (as threads hold them)', () => {
    const size = upperTriangleSize(d);
    const whole = new OutputTensorSlice(layer, p).contract(directions, count);
    // Cut points inside rows and tiles, so no slice starts at a row's or a tile's beginning.
    const cuts = [0, 37, 530, size];
    const slices = cuts.slice(0, -1).map((start, c) => {
      const end = cuts[c + 1] as number;
      return {
        start,
        end,
        values: new OutputTensorSlice(layer, p, { start, end }).contract(directions, count),
      };
    });
    for (let r = 0; r < count; r++) {
      for (const { start, end, values } of slices) {
        const width = end - start;
        expect(Array.from(values.subarray(r * width, (r + 1) * width))).toEqual(
          Array.from(whole.subarray(r * size + start, r * size + end)),
        );
      }
    }
  });

  it('reports each tile it builds, and refuses ranges and shapes that do not fit', () => {
    const seen: number[] = [];
    new OutputTensorSlice(layer, p, undefined, (done, total) => seen.push(done / total));
    expect(seen).toEqual([0.5, 1]);
    expect(() => new OutputTensorSlice(layer, p, { start: 10, end: 10 })).toThrow(/not inside/);
    expect(() => new OutputTensorSlice(layer, p, { start: 0, end: upperTriangleSize(d) + 1 })).toThrow(
      /not inside/,
    );
    expect(() => new OutputTensorSlice(layer, gaussianMatrix(m, h + 1, 5))).toThrow(/disagree/);
    expect(() => new OutputTensorSlice(layer, p).contract(directions, count + 1)).toThrow(/expected 7 × 9/);
  });
});
