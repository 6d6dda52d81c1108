import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../eigen/symmetric-eigen.js';
import { InteractionMatrixBuilder } from '../interaction/interaction-matrix.js';
import { classifierLogits } from '../model/forward.js';
import { multiplyTransposedVector } from '../model/matrix.js';
import type { ImageClassifierModel } from '../model/types.js';
import { seededRandom } from '../random/seeded-random.js';
import { randomClassifier, randomInputs } from '../testing/models.js';
import { adversarialMasks, evaluateMasks, permuteMasks } from './adversarial.js';

const IN = 30;
const D = 10;
const CLASSES = 4;
const COUNT = 120;

/** Each class's top positive eigenvector of Q(e_c), mapped to input space as Eᵀ v (classes × in). */
function topVectorsInput(model: ImageClassifierModel): Float64Array {
  const builder = new InteractionMatrixBuilder(model.blocks[0] as NonNullable<(typeof model.blocks)[0]>);
  const classes = model.head.rows;
  const out = new Float64Array(classes * model.inputDim);
  for (let c = 0; c < classes; c++) {
    const unit = new Float64Array(classes);
    unit[c] = 1;
    const { vectors } = symmetricEigen(builder.forDirection(model.head, unit), model.embed.rows, {
      vectors: { indices: [0] },
    });
    out.set(multiplyTransposedVector(model.embed, vectors), c * model.inputDim);
  }
  return out;
}

function predict(model: ImageClassifierModel, x: Float64Array): number {
  const logits = classifierLogits(model, x);
  let best = 0;
  for (let c = 1; c < logits.length; c++) if ((logits[c] as number) > (logits[best] as number)) best = c;
  return best;
}

describe('adversarialMasks', () => {
  const model = randomClassifier(IN, D, CLASSES, 51);
  const s = topVectorsInput(model);

  it('S · mask_t = e_t to 1e-10, and the masks are numpy pinv(S) columns', () => {
    const masks = adversarialMasks({ model, topVectorsInput: s });
    expect(masks).toHaveLength(CLASSES * IN);
    for (let c = 0; c < CLASSES; c++) {
      for (let t = 0; t < CLASSES; t++) {
        let dot = 0;
        for (let i = 0; i < IN; i++) dot += (s[c * IN + i] as number) * (masks[t * IN + i] as number);
        expect(Math.abs(dot - (c === t ? 1 : 0))).toBeLessThan(1e-10);
      }
    }
    const script = [
      'import sys, json, numpy as np',
      `S = np.array(json.load(sys.stdin)).reshape(${CLASSES}, ${IN})`,
      'print(json.dumps(np.linalg.pinv(S).T.ravel().tolist()))',
    ].join('\n');
    const pinv = JSON.parse(
      execFileSync('python3', ['-c', script], { input: JSON.stringify(Array.from(s)), encoding: 'utf8' }),
    ) as number[];
    let largest = 0;
    for (const x of pinv) largest = Math.max(largest, Math.abs(x));
    pinv.forEach((x, i) => {
      expect(Math.abs((masks[i] as number) - x)).toBeLessThan(1e-10 * largest);
    });
  });

  it('refuses rank-deficient or mis-shaped eigenvector stacks', () => {
    const repeated = s.slice();
    repeated.copyWithin(IN, 0, IN); // class 1's vector = class 0's
    expect(() => adversarialMasks({ model, topVectorsInput: repeated })).toThrow(/rank-deficient/);
    expect(() => adversarialMasks({ model, topVectorsInput: new Float64Array(CLASSES * IN) })).toThrow(
      /rank-deficient/,
    );
    expect(() => adversarialMasks({ model, topVectorsInput: s.subarray(IN) })).toThrow(
      /topVectorsInput has 90 entries, expected classes × inputDim = 4 × 30 = 120/,
    );
    expect(() => adversarialMasks({ model: { ...model, residual: true }, topVectorsInput: s })).toThrow(
      /non-residual/,
    );
  });
});

describe('evaluateMasks', () => {
  const model = randomClassifier(IN, D, CLASSES, 61);
  const masks = adversarialMasks({ model, topVectorsInput: topVectorsInput(model) });
  const inputs = randomInputs(COUNT, IN, 62);
  const scales = [0, 0.5, 2, 8];

  it('returns rates in [0, 1], zero at scale 0, deterministic for a seed', () => {
    const result = evaluateMasks({ model, masks, inputs, count: COUNT, scales, seed: 5 });
    expect(result.evaluated).toBe(COUNT);
    expect(result.cleanAccuracy).toBeNull();
    expect(result.results.map((r) => r.scale)).toEqual(scales);
    for (const r of result.results) {
      for (const rate of [r.flipRate, r.baselineFlipRate]) {
        expect(rate).toBeGreaterThanOrEqual(0);
        expect(rate).toBeLessThanOrEqual(1);
      }
      expect(r.perTargetFlipRate).toHaveLength(CLASSES);
    }
    // Unperturbed inputs keep their prediction, which is never the target.
    expect(result.results[0]?.flipRate).toBe(0);
    expect(result.results[0]?.baselineFlipRate).toBe(0);
    expect(evaluateMasks({ model, masks, inputs, count: COUNT, scales, seed: 5 })).toEqual(result);
  });

  it('agrees with perturbing the inputs and running the forward pass', () => {
    const seed = 9;
    const result = evaluateMasks({ model, masks, inputs, count: COUNT, scales, seed });
    const shuffled = permuteMasks(masks, CLASSES, IN, seed);
    scales.forEach((scale, j) => {
      for (const [set, rates] of [
        [masks, result.results[j]?.perTargetFlipRate],
        [shuffled, result.results[j]?.perTargetBaselineFlipRate],
      ] as const) {
        const hits = new Float64Array(CLASSES);
        const eligible = new Float64Array(CLASSES);
        for (let s = 0; s < COUNT; s++) {
          const x = inputs.subarray(s * IN, (s + 1) * IN);
          const original = predict(model, x);
          for (let t = 0; t < CLASSES; t++) {
            if (t === original) continue;
            eligible[t] = (eligible[t] as number) + 1;
            const perturbed = Float64Array.from(x, (v, i) => v + scale * (set[t * IN + i] as number));
            if (predict(model, perturbed) === t) hits[t] = (hits[t] as number) + 1;
          }
        }
        for (let t = 0; t < CLASSES; t++) {
          const expected = eligible[t] === 0 ? Number.NaN : (hits[t] as number) / (eligible[t] as number);
          expect(rates?.[t]).toBe(expected);
        }
      }
    });
  });

  it('with labels, attacks only correctly classified inputs and reports clean accuracy', () => {
    const uniform = seededRandom(3);
    const labels = Int32Array.from({ length: COUNT }, (_, s) =>
      uniform() < 0.7
        ? predict(model, inputs.subarray(s * IN, (s + 1) * IN))
        : Math.floor(uniform() * CLASSES),
    );
    let correct = 0;
    for (let s = 0; s < COUNT; s++)
      if (predict(model, inputs.subarray(s * IN, (s + 1) * IN)) === labels[s]) correct++;
    const result = evaluateMasks({ model, masks, inputs, labels, count: COUNT, scales, seed: 1 });
    expect(result.evaluated).toBe(correct);
    expect(result.cleanAccuracy).toBe(correct / COUNT);
  });

  it('permuteMasks permutes each row', () => {
    const shuffled = permuteMasks(masks, CLASSES, IN, 4);
    for (let t = 0; t < CLASSES; t++) {
      const a = Array.from(masks.subarray(t * IN, (t + 1) * IN)).sort((x, y) => x - y);
      const b = Array.from(shuffled.subarray(t * IN, (t + 1) * IN)).sort((x, y) => x - y);
      expect(b).toEqual(a);
    }
    expect(Array.from(shuffled)).not.toEqual(Array.from(masks));
  });

  it('rejects bad inputs with the sizes involved', () => {
    const base = { model, masks, inputs, count: COUNT, scales, seed: 1 };
    expect(() => evaluateMasks({ ...base, masks: masks.subarray(1) })).toThrow(
      /masks have 119 entries, expected/,
    );
    expect(() => evaluateMasks({ ...base, scales: [] })).toThrow(/scales is empty/);
    expect(() => evaluateMasks({ ...base, scales: [1, Number.NaN] })).toThrow(/scale 1 is NaN/);
    expect(() => evaluateMasks({ ...base, count: 0 })).toThrow(/count must be a whole number ≥ 1, got 0/);
    expect(() => evaluateMasks({ ...base, labels: new Int32Array(COUNT).fill(CLASSES) })).toThrow(
      /label 0 is 4, outside the classes 0..3/,
    );
    const wrongLabels = Int32Array.from(
      { length: COUNT },
      (_, s) => (predict(model, inputs.subarray(s * IN, (s + 1) * IN)) + 1) % CLASSES,
    );
    expect(() => evaluateMasks({ ...base, labels: wrongLabels })).toThrow(
      /none of the 120 inputs is classified correctly/,
    );
  });
});
