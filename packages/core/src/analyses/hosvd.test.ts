import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { symmetricInteractionTensor } from '../interaction/interaction-matrix.js';
import { gaussianMatrix, randomLayer } from '../testing/models.js';
import { AnalysisInputError } from './common.js';
import { hosvd, outputGramMatrix } from './hosvd.js';

const D = 12;
const H = 10;
const M = 5;

/** numpy's SVD of B_sym reshaped to [m, d²]: singular values and the first rows of Vᵀ. */
function numpySvd(tensor: Float64Array, m: number, d: number): { s: number[]; vt: number[][] } {
  const script = [
    'import sys, json, numpy as np',
    `B = np.array(json.load(sys.stdin), dtype=np.float64).reshape(${m}, ${d} * ${d})`,
    'u, s, vt = np.linalg.svd(B, full_matrices=False)',
    'print(json.dumps({"s": s.tolist(), "vt": vt.tolist()}))',
  ].join('\n');
  const out = execFileSync('python3', ['-c', script], {
    input: JSON.stringify(Array.from(tensor)),
    encoding: 'utf8',
  });
  return JSON.parse(out) as { s: number[]; vt: number[][] };
}

function frobeniusDot(
  a: ArrayLike<number>,
  aOffset: number,
  b: ArrayLike<number>,
  bOffset: number,
  size: number,
) {
  let sum = 0;
  for (let i = 0; i < size; i++) sum += (a[aOffset + i] as number) * (b[bOffset + i] as number);
  return sum;
}

describe('hosvd', () => {
  const layer = randomLayer(H, D, 31);
  const projection = gaussianMatrix(M, H, 32);
  const tensor = symmetricInteractionTensor(layer, projection);

  it('Gram matrix without the tensor equals ⟨B_sym[a], B_sym[b]⟩_F', () => {
    const gram = outputGramMatrix(layer, projection);
    let largest = 0;
    for (const g of gram) largest = Math.max(largest, Math.abs(g));
    for (let a = 0; a < M; a++) {
      for (let b = 0; b < M; b++) {
        const direct = frobeniusDot(tensor, a * D * D, tensor, b * D * D, D * D);
        expect(Math.abs((gram[a * M + b] as number) - direct)).toBeLessThan(1e-13 * largest);
      }
    }
  });

  it('singular values match numpy to 1e-10 relative; right singular matrices are orthonormal', () => {
    const result = hosvd(layer, projection, { components: M });
    const reference = numpySvd(tensor, M, D);
    expect(result.singularValues).toHaveLength(M);
    reference.s.forEach((sigma, i) => {
      expect(Math.abs((result.singularValues[i] as number) - sigma)).toBeLessThan(1e-10 * sigma);
    });
    expect(result.components).toHaveLength(M);
    expect(result.outputDirections).toHaveLength(M * M);
    const size = D * D;
    result.components.forEach((ci, i) => {
      expect(ci.singularValue).toBe(result.singularValues[i]);
      result.components.forEach((cj, j) => {
        const dot = frobeniusDot(ci.rightMatrix, 0, cj.rightMatrix, 0, size);
        expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-10);
      });
      // Same subspace as numpy's right singular vector (up to sign).
      const agreement = Math.abs(frobeniusDot(ci.rightMatrix, 0, reference.vt[i] as number[], 0, size));
      expect(Math.abs(agreement - 1)).toBeLessThan(1e-9);
      // Output directions are orthonormal too.
      result.components.forEach((cj, j) => {
        const dot = frobeniusDot(ci.outputDirection, 0, cj.outputDirection, 0, M);
        expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-12);
      });
    });
  });

  it('reconstructs B_sym from all components: B_sym[a] = Σ σ_i u_i[a] R_i', () => {
    const result = hosvd(layer, projection, { components: M });
    let largest = 0;
    for (const b of tensor) largest = Math.max(largest, Math.abs(b));
    for (let a = 0; a < M; a++) {
      for (let e = 0; e < D * D; e++) {
        let sum = 0;
        for (const c of result.components) {
          sum += c.singularValue * (c.outputDirection[a] as number) * (c.rightMatrix[e] as number);
        }
        expect(Math.abs(sum - (tensor[a * D * D + e] as number))).toBeLessThan(1e-12 * largest);
      }
    }
  });

  it('eigendecomposes each R_i and maps its top eigenvectors through the input map', () => {
    const inputDim = 7;
    const inputMap = gaussianMatrix(D, inputDim, 33);
    const topK = 2;
    const result = hosvd(layer, projection, { components: 2, topK, inputMap });
    expect(result.components).toHaveLength(2);
    for (const c of result.components) {
      expect(c.eigenvalues).toHaveLength(D);
      // ‖R_i‖_F = 1 means Σ λ² = 1.
      expect(Math.abs(c.eigenvalues.reduce((sum, x) => sum + x * x, 0) - 1)).toBeLessThan(1e-12);
      expect(Array.from(c.topPositive.values)).toEqual([c.eigenvalues[0], c.eigenvalues[1]]);
      expect(Array.from(c.topNegative.values)).toEqual([c.eigenvalues[D - 1], c.eigenvalues[D - 2]]);
      for (const set of [c.topPositive, c.topNegative]) {
        expect(set.vectors).toHaveLength(topK * D);
        const mapped = set.inputVectors as Float64Array;
        expect(mapped).toHaveLength(topK * inputDim);
        for (let j = 0; j < topK; j++) {
          const v = set.vectors.subarray(j * D, (j + 1) * D);
          const lambda = set.values[j] as number;
          for (let r = 0; r < D; r++) {
            const rv = frobeniusDot(c.rightMatrix, r * D, v, 0, D);
            expect(Math.abs(rv - lambda * (v[r] as number))).toBeLessThan(1e-12);
          }
          for (let p = 0; p < inputDim; p++) {
            let expected = 0;
            for (let r = 0; r < D; r++)
              expected += (inputMap.data[r * inputDim + p] as number) * (v[r] as number);
            expect(Math.abs((mapped[j * inputDim + p] as number) - expected)).toBeLessThan(1e-12);
          }
        }
      }
    }
    expect(hosvd(layer, projection, { components: 1 }).components[0]?.topPositive.inputVectors).toBeNull();
  });

  it('defaults to the nonzero components, and refuses more than the numerical rank', () => {
    // With 3 hidden units every B_sym[a] lies in a 3-dimensional span: rank 3 < m = 5.
    const thin = randomLayer(3, D, 41);
    const thinProjection = gaussianMatrix(M, 3, 42);
    const result = hosvd(thin, thinProjection);
    expect(result.components).toHaveLength(3);
    expect(result.singularValues[3] as number).toBeLessThan(1e-6 * (result.singularValues[0] as number));
    expect(() => hosvd(thin, thinProjection, { components: 4 })).toThrow(
      /asked for 4 components, but B_sym has numerical rank 3/,
    );
    expect(hosvd(layer, projection).components).toHaveLength(M);
  });

  it('rejects bad shapes and options', () => {
    expect(() => hosvd(layer, gaussianMatrix(M, H + 1, 1))).toThrow(
      /projection is 5×11, but the layer has 10 hidden units/,
    );
    expect(() => hosvd({ left: layer.left, right: gaussianMatrix(H, D + 1, 2) }, projection)).toThrow(
      /W is 10×12, V is 10×13/,
    );
    expect(() => hosvd(layer, projection, { components: M + 1 })).toThrow(
      /components must be a whole number in 0..5 \(the outputs\), got 6/,
    );
    expect(() => hosvd(layer, projection, { topK: D + 1 })).toThrow(/topK must be a whole number in 0..12/);
    expect(() => hosvd(layer, projection, { inputMap: gaussianMatrix(D - 1, 4, 3) })).toThrow(
      AnalysisInputError,
    );
  });
});
