import { describe, expect, it } from 'vitest';
import { matrix } from '../model/matrix.js';
import type { BilinearLayer, Matrix } from '../model/types.js';
import { seededGaussian } from '../random/seeded-random.js';
import { hiddenWeights, InteractionMatrixBuilder, symmetricInteractionTensor } from './interaction-matrix.js';

function gaussianMatrix(rows: number, cols: number, seed: number): Matrix {
  return matrix(rows, cols, Float64Array.from({ length: rows * cols }, seededGaussian(seed)));
}

/** uᵀ P ((W x) ⊙ (V x)), written out loop by loop, independent of the library's code. */
function naiveOutput(layer: BilinearLayer, p: Matrix, u: Float64Array, x: Float64Array): number {
  const h = layer.left.rows;
  const d = layer.left.cols;
  let total = 0;
  for (let a = 0; a < p.rows; a++) {
    let ya = 0;
    for (let k = 0; k < h; k++) {
      let wx = 0;
      let vx = 0;
      for (let i = 0; i < d; i++) {
        wx += (layer.left.data[k * d + i] as number) * (x[i] as number);
        vx += (layer.right.data[k * d + i] as number) * (x[i] as number);
      }
      ya += (p.data[a * h + k] as number) * wx * vx;
    }
    total += (u[a] as number) * ya;
  }
  return total;
}

function quadraticForm(q: Float64Array, x: Float64Array): number {
  const d = x.length;
  let sum = 0;
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) sum += (x[i] as number) * (q[i * d + j] as number) * (x[j] as number);
  return sum;
}

describe('interaction matrices', () => {
  // Odd sizes exercise the kernel's partial tiles and panels.
  for (const [h, d, m] of [
    [7, 5, 3],
    [33, 70, 10],
    [130, 67, 4],
  ] as const) {
    it(`xᵀ Q(u) x equals the forward pass along u (h=${h}, d=${d}, m=${m})`, () => {
      const layer = { left: gaussianMatrix(h, d, 1), right: gaussianMatrix(h, d, 2) };
      const p = gaussianMatrix(m, h, 3);
      const u = Float64Array.from({ length: m }, seededGaussian(4));
      const builder = new InteractionMatrixBuilder(layer);
      const q = builder.forDirection(p, u);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) expect(q[i * d + j]).toBe(q[j * d + i]);
      const gaussian = seededGaussian(5);
      for (let trial = 0; trial < 4; trial++) {
        const x = Float64Array.from({ length: d }, gaussian);
        const truth = naiveOutput(layer, p, u, x);
        expect(Math.abs(quadraticForm(q, x) - truth)).toBeLessThan(1e-11 * Math.max(1, Math.abs(truth)));
      }
    });
  }

  it('Q is linear in u and B_sym holds Q(e_a) for every output', () => {
    const layer = { left: gaussianMatrix(9, 6, 6), right: gaussianMatrix(9, 6, 7) };
    const p = gaussianMatrix(3, 9, 8);
    const tensor = symmetricInteractionTensor(layer, p);
    const u = Float64Array.of(0.5, -2, 3);
    const q = new InteractionMatrixBuilder(layer).forDirection(p, u);
    for (let e = 0; e < 36; e++) {
      const combined =
        0.5 * (tensor[e] as number) - 2 * (tensor[36 + e] as number) + 3 * (tensor[72 + e] as number);
      expect(Math.abs(combined - (q[e] as number))).toBeLessThan(1e-12);
    }
  });

  it('inArena gives the same Q as a view that the next build overwrites', () => {
    const layer = { left: gaussianMatrix(11, 6, 9), right: gaussianMatrix(11, 6, 10) };
    const builder = new InteractionMatrixBuilder(layer);
    const s1 = Float64Array.from({ length: 11 }, seededGaussian(11));
    const s2 = Float64Array.from({ length: 11 }, seededGaussian(12));
    const view = builder.inArena(s1);
    expect(view).toEqual(builder.forHiddenWeights(s1));
    const second = builder.forHiddenWeights(s2);
    expect(view).toEqual(second);
    expect(builder.inArena(s2)).toEqual(second);
    expect(() => builder.inArena([1])).toThrow(/length 1.*11 hidden units/);
  });

  it('rejects mismatched shapes with the sizes in the message', () => {
    const layer = { left: gaussianMatrix(4, 3, 1), right: gaussianMatrix(4, 2, 2) };
    expect(() => new InteractionMatrixBuilder(layer)).toThrow(/W is 4×3, V is 4×2/);
    expect(() => hiddenWeights(gaussianMatrix(3, 4, 1), [1, 2])).toThrow(/length 2.*3 outputs/);
    const ok = new InteractionMatrixBuilder({
      left: gaussianMatrix(4, 3, 1),
      right: gaussianMatrix(4, 3, 2),
    });
    expect(() => ok.forHiddenWeights([1])).toThrow(/length 1.*4 hidden units/);
  });
});
