import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { interactionMatrix } from '../interaction/interaction-matrix.js';
import { gaussianMatrix, randomLayer } from '../testing/models.js';
import { randomSymmetric } from '../testing/random.js';
import { AnalysisInputError } from './common.js';
import { decoderColumn, FeatureInteractions, logitEffect } from './feature-weights.js';

/** numpy's W_U @ v, and the indices of its n largest (descending) and n smallest (ascending). */
function numpyLogitEffect(
  unembedding: Float64Array,
  v: number,
  d: number,
  direction: Float64Array,
  n: number,
) {
  const script = [
    'import sys, json, numpy as np',
    'x = json.load(sys.stdin)',
    `W = np.array(x["w"], dtype=np.float64).reshape(${v}, ${d})`,
    'logits = W @ np.array(x["u"], dtype=np.float64)',
    'order = np.argsort(-logits, kind="stable")',
    `print(json.dumps({"logits": logits.tolist(), "top": order[:${n}].tolist(), "bottom": np.argsort(logits, kind="stable")[:${n}].tolist()}))`,
  ].join('\n');
  const out = execFileSync('python3', ['-c', script], {
    input: JSON.stringify({ w: Array.from(unembedding), u: Array.from(direction) }),
    encoding: 'utf8',
  });
  return JSON.parse(out) as { logits: number[]; top: number[]; bottom: number[] };
}

/** numpy's full Dᵀ Q D [F, F]. */
function numpyFeatureQ(decoder: Float64Array, d: number, features: number, q: Float64Array): number[][] {
  const script = [
    'import sys, json, numpy as np',
    'x = json.load(sys.stdin)',
    `D = np.array(x["d"], dtype=np.float64).reshape(${d}, ${features})`,
    `Q = np.array(x["q"], dtype=np.float64).reshape(${d}, ${d})`,
    'print(json.dumps((D.T @ Q @ D).tolist()))',
  ].join('\n');
  const out = execFileSync('python3', ['-c', script], {
    input: JSON.stringify({ d: Array.from(decoder), q: Array.from(q) }),
    encoding: 'utf8',
  });
  return JSON.parse(out) as number[][];
}

describe('logitEffect', () => {
  const V = 60;
  const D = 9;
  const unembedding = gaussianMatrix(V, D, 71);
  const decoder = gaussianMatrix(D, 13, 72);

  it("an SAE feature's decoder column through W_U: the same tokens and logits as numpy's W_U @ w_dec[:, f]", () => {
    const column = decoderColumn(decoder, 5);
    for (let i = 0; i < D; i++) expect(column[i]).toBe(decoder.data[i * 13 + 5]);
    const effect = logitEffect(unembedding, column, 7);
    const reference = numpyLogitEffect(unembedding.data, V, D, column, 7);
    expect(effect.top.map((entry) => entry.index)).toEqual(reference.top);
    expect(effect.bottom.map((entry) => entry.index)).toEqual(reference.bottom);
    for (const entry of [...effect.top, ...effect.bottom]) {
      const expected = reference.logits[entry.index] as number;
      expect(Math.abs(entry.value - expected)).toBeLessThan(1e-12 * Math.max(1, Math.abs(expected)));
    }
    // Descending on top, ascending on the bottom, and the two ends of the same vector.
    for (let i = 1; i < 7; i++) {
      expect((effect.top[i] as { value: number }).value).toBeLessThanOrEqual(
        (effect.top[i - 1] as { value: number }).value,
      );
      expect((effect.bottom[i] as { value: number }).value).toBeGreaterThanOrEqual(
        (effect.bottom[i - 1] as { value: number }).value,
      );
    }
    expect(Math.max(...reference.logits)).toBe(effect.top[0]?.value);
  });

  it('asks for every token when n exceeds the vocabulary, and names bad shapes', () => {
    const effect = logitEffect(unembedding, new Float64Array(D).fill(1), 100);
    expect(effect.top).toHaveLength(V);
    expect(() => logitEffect(unembedding, new Float64Array(D + 1), 3)).toThrow(AnalysisInputError);
    expect(() => logitEffect(unembedding, new Float64Array(D + 1), 3)).toThrow(/10 values.*reads 9/);
    expect(() => logitEffect(unembedding, new Float64Array(D), 0)).toThrow(/≥ 1/);
    expect(() => decoderColumn(decoder, 13)).toThrow(/feature 13 is outside the SAE's 13 features/);
  });
});

describe('FeatureInteractions', () => {
  const d = 7;
  const F = 23;
  const decoder = gaussianMatrix(d, F, 81);
  const interactions = new FeatureInteractions(decoder);

  it("picks the rows of DᵀQD with the largest norms and returns their block: numpy's DᵀQD entries, symmetric", () => {
    const q = randomSymmetric(d, 82);
    const full = numpyFeatureQ(decoder.data, d, F, q);
    const norms = full.map((row) => Math.hypot(...row));
    const expectedOrder = norms
      .map((norm, index) => ({ norm, index }))
      .sort((a, b) => b.norm - a.norm || a.index - b.index)
      .map((entry) => entry.index);
    const result = interactions.strongest(q, 6);
    expect(result.features).toEqual(expectedOrder.slice(0, 6));
    result.rowNorms.forEach((norm, a) => {
      const expected = norms[result.features[a] as number] as number;
      expect(Math.abs(norm - expected)).toBeLessThan(1e-10 * expected);
    });
    const scale = Math.max(...full.flat().map(Math.abs));
    for (let a = 0; a < 6; a++) {
      for (let b = 0; b < 6; b++) {
        const value = result.values[a * 6 + b] as number;
        expect(value).toBe(result.values[b * 6 + a]);
        const expected = (full[result.features[a] as number] as number[])[
          result.features[b] as number
        ] as number;
        expect(Math.abs(value - expected)).toBeLessThan(1e-12 * scale);
      }
    }
    const frobenius = Math.hypot(...full.flat());
    expect(Math.abs(result.frobenius - frobenius)).toBeLessThan(1e-10 * frobenius);
    // The chosen rows never carry more than the whole matrix.
    expect(Math.hypot(...result.rowNorms)).toBeLessThanOrEqual(result.frobenius * (1 + 1e-12));
  });

  it("a bilinear layer's own Q(u): the block's diagonal is D_fᵀ Q D_f, computed directly", () => {
    const layer = randomLayer(11, d, 83);
    const projection = gaussianMatrix(5, 11, 84);
    const u = Float64Array.from([0.3, -1.2, 0.5, 2, -0.1]);
    const q = interactionMatrix(layer, projection, u);
    const result = interactions.strongest(q, F + 5);
    expect(result.features).toHaveLength(F);
    expect([...result.features].sort((a, b) => a - b)).toEqual(Array.from({ length: F }, (_, i) => i));
    result.features.forEach((f, a) => {
      // D_fᵀ Q D_f = Σ_h s_h (W D_f)_h (V D_f)_h with s = Pᵀu: the bilinear form itself.
      const column = decoderColumn(decoder, f);
      const left = Array.from({ length: 11 }, (_, h) =>
        column.reduce((sum, x, i) => sum + (layer.left.data[h * d + i] as number) * x, 0),
      );
      const right = Array.from({ length: 11 }, (_, h) =>
        column.reduce((sum, x, i) => sum + (layer.right.data[h * d + i] as number) * x, 0),
      );
      const s = Array.from({ length: 11 }, (_, h) =>
        u.reduce((sum, x, o) => sum + x * (projection.data[o * 11 + h] as number), 0),
      );
      const direct = s.reduce((sum, sh, h) => sum + sh * (left[h] as number) * (right[h] as number), 0);
      expect(Math.abs((result.values[a * F + a] as number) - direct)).toBeLessThan(
        1e-10 * Math.max(1, Math.abs(direct)),
      );
    });
  });

  it('names a Q of the wrong size and a bad count', () => {
    expect(() => interactions.strongest(new Float64Array(d * d + 1), 3)).toThrow(/50 entries.*7 × 7 = 49/);
    expect(() => interactions.strongest(new Float64Array(d * d), 0)).toThrow(AnalysisInputError);
  });
});
