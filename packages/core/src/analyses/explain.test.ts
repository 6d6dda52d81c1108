// explainInput against a forward pass written here: with every eigenpair stored, the contributions
// and the linear term add up to each logit; with the top k, the remainder is exactly the rest.
import { describe, expect, it } from 'vitest';
import { decomposeModel } from '../decomposition/decompose.js';
import { seededRandom } from '../random/seeded-random.js';
import { gaussianMatrix, randomClassifier } from '../testing/models.js';
import { activationSummary } from './activations.js';
import { analysisObstacle } from './applicability.js';
import { AnalysisInputError } from './common.js';
import { explainInput, type StoredEigenpairs } from './explain.js';

const INPUT = 20;
const D = 7;
const CLASSES = 4;

function stored(model: ReturnType<typeof randomClassifier>, topK: number): StoredEigenpairs[] {
  return decomposeModel(model, { topK, exactnessSamples: 0 }).outputs.map((output) => {
    const pairs = [...output.topPositive, ...output.topNegative];
    return {
      index: output.index,
      eigenvalues: pairs.map((pair) => pair.eigenvalue),
      vectors: Float64Array.from(pairs.flatMap((pair) => Array.from(pair.vectorModel))),
      linearModel: output.linearModel,
    };
  });
}

/** head · (x + (W x) ⊙ (V x)) (residual) or head · ((W x) ⊙ (V x)), x = E p, from the raw matrices. */
function logits(model: ReturnType<typeof randomClassifier>, pixels: Float64Array): number[] {
  const { embed, head } = model;
  const block = model.blocks[0];
  if (!block) throw new Error('no block');
  const x = Array.from({ length: D }, (_, i) =>
    Array.from(pixels).reduce((sum, p, j) => sum + (embed.data[i * INPUT + j] as number) * p, 0),
  );
  const row = (m: typeof block.left, k: number) =>
    x.reduce((sum, xi, i) => sum + (m.data[k * D + i] as number) * xi, 0);
  const g = x.map((xk, k) => row(block.left, k) * row(block.right, k) + (model.residual ? xk : 0));
  return Array.from({ length: CLASSES }, (_, c) =>
    g.reduce((sum, gk, k) => sum + (head.data[c * D + k] as number) * gk, 0),
  );
}

describe('explainInput', () => {
  const pixels = Float64Array.from({ length: INPUT }, seededRandom(3));

  it.each([false, true])('residual %s: all eigenpairs (+ aᵀx) add up to each logit', (residual) => {
    const model = { ...randomClassifier(INPUT, D, CLASSES, 5), residual };
    const result = explainInput(model, pixels, stored(model, D));
    const expected = logits(model, pixels);
    expect(result.predicted).toBe(expected.indexOf(Math.max(...expected)));
    for (const output of result.outputs) {
      const wanted = expected[output.index] as number;
      expect(Math.abs(output.logit - wanted)).toBeLessThan(1e-12);
      expect(output.linear === null).toBe(!residual);
      expect(Math.abs(output.explained + (output.linear ?? 0) - wanted)).toBeLessThan(1e-10);
      expect(Math.abs(output.remainder)).toBeLessThan(1e-10);
      const sizes = output.contributions.map((entry) => Math.abs(entry.contribution));
      expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    }
  });

  it('with the top k, the remainder is what the other eigenpairs add', () => {
    const model = { ...randomClassifier(INPUT, D, CLASSES, 6), residual: true };
    const all = explainInput(model, pixels, stored(model, D));
    const top = explainInput(model, pixels, stored(model, 1));
    top.outputs.forEach((output, c) => {
      const full = all.outputs[c];
      if (!full) throw new Error('missing class');
      const rest = full.contributions
        .filter((entry) => !output.contributions.some((kept) => kept.eigenvalue === entry.eigenvalue))
        .reduce((sum, entry) => sum + entry.contribution, 0);
      expect(Math.abs(output.remainder - rest)).toBeLessThan(1e-10);
    });
  });

  it('refuses a gated model and inputs of the wrong size', () => {
    const model = randomClassifier(INPUT, D, CLASSES, 7);
    expect(() => explainInput({ ...model, gate: 'relu' }, pixels, [])).toThrow(
      /gate relu: the block is not bilinear/,
    );
    expect(() => explainInput(model, pixels.subarray(1), [])).toThrow(AnalysisInputError);
  });
});

describe('activationSummary', () => {
  it('ranks inputs by |λ (vᵀx)²| and bins every vᵀx once', () => {
    const inputs = Float64Array.from({ length: 50 * 3 }, seededRandom(8));
    const vector = [1, -2, 0.5];
    const summary = activationSummary(inputs, 50, null, vector, -0.5, { topCount: 5, bins: 7 });
    const projections = Array.from({ length: 50 }, (_, s) =>
      vector.reduce((sum, v, i) => sum + v * (inputs[s * 3 + i] as number), 0),
    );
    const order = projections.map((p, s) => [Math.abs(p), s] as const).sort((a, b) => b[0] - a[0]);
    expect(summary.top.map((entry) => entry.index)).toEqual(order.slice(0, 5).map(([, s]) => s));
    expect(summary.top[0]?.contribution).toBeCloseTo(
      -0.5 * (projections[order[0]?.[1] ?? 0] as number) ** 2,
      12,
    );
    expect(summary.top[0]?.label).toBe(-1);
    expect(summary.histogram.counts.reduce((a, b) => a + b, 0)).toBe(50);
    expect(summary.mean).toBeCloseTo(projections.reduce((a, b) => a + b, 0) / 50, 12);
  });
});

describe('analysisObstacle', () => {
  const model = randomClassifier(16, 4, 3, 9);

  it('applies to a one-block bilinear image classifier with every class', () => {
    expect(analysisObstacle({ ...model, imageShape: [4, 4] }, 'adversarial', {})).toBeNull();
    expect(analysisObstacle(model, 'truncation', { truncationK: [1] })).toBeNull();
    expect(analysisObstacle(model, 'hosvd')).toBeNull();
  });

  it('says why not: gate, residual, depth, missing classes, no k, not an image', () => {
    expect(analysisObstacle({ ...model, gate: 'gelu' }, 'hosvd')).toMatch(
      /^gate gelu: the block is not bilinear/,
    );
    expect(analysisObstacle({ ...model, residual: true }, 'truncation')).toMatch(/residual/);
    const deep = {
      ...model,
      blocks: [...model.blocks, { left: gaussianMatrix(4, 4, 1), right: gaussianMatrix(4, 4, 2) }],
    };
    expect(analysisObstacle(deep, 'adversarial')).toBe('the model has 2 bilinear blocks; the masks need one');
    expect(analysisObstacle(model, 'truncation', { outputs: [0, 1] })).toBe(
      'the curve needs every class decomposed; this decomposition has 2 of 3',
    );
    expect(analysisObstacle(model, 'truncation', { truncationK: [] })).toBe('no truncationK was requested');
    expect(analysisObstacle(model, 'adversarial')).toMatch(/not a square image/);
  });
});
