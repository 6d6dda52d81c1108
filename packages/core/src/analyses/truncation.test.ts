import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../eigen/symmetric-eigen.js';
import { InteractionMatrixBuilder } from '../interaction/interaction-matrix.js';
import { classifierLogitsBatch } from '../model/forward.js';
import { multiplyVector } from '../model/matrix.js';
import type { ImageClassifierModel } from '../model/types.js';
import { seededRandom } from '../random/seeded-random.js';
import { randomClassifier, randomInputs } from '../testing/models.js';
import { AnalysisInputError } from './common.js';
import { type Eigenpairs, topByMagnitude, truncationCurve } from './truncation.js';

const IN = 20;
const D = 8;
const CLASSES = 4;
const COUNT = 300;

/** Every eigenpair of each class's Q(e_c), in the solver's (descending-value) order. */
function allEigenpairs(model: ImageClassifierModel): Eigenpairs[] {
  const builder = new InteractionMatrixBuilder(model.blocks[0] as NonNullable<(typeof model.blocks)[0]>);
  return Array.from({ length: model.head.rows }, (_, c) => {
    const unit = new Float64Array(model.head.rows);
    unit[c] = 1;
    const { values, vectors } = symmetricEigen(builder.forDirection(model.head, unit), model.embed.rows);
    return { values, vectors };
  });
}

function predictions(model: ImageClassifierModel, inputs: Float64Array, count: number): number[] {
  const logits = classifierLogitsBatch(model, inputs, count);
  const classes = model.head.rows;
  return Array.from({ length: count }, (_, s) => {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if ((logits[s * classes + c] as number) > (logits[s * classes + best] as number)) best = c;
    return best;
  });
}

function randomLabels(count: number, classes: number, seed: number): Int32Array {
  const uniform = seededRandom(seed);
  return Int32Array.from({ length: count }, () => Math.floor(uniform() * classes));
}

describe('truncationCurve', () => {
  const model = randomClassifier(IN, D, CLASSES, 7);
  const inputs = randomInputs(COUNT, IN, 8);
  const pairs = allEigenpairs(model);

  it('keeping all d eigenpairs gives exactly the full model accuracy', () => {
    const labels = randomLabels(COUNT, CLASSES, 9);
    const curve = truncationCurve({ model, eigenpairs: pairs, inputs, labels, count: COUNT, maxK: D });
    const byColumn = new Float64Array(inputs.length);
    for (let s = 0; s < COUNT; s++)
      for (let i = 0; i < model.inputDim; i++)
        byColumn[i * COUNT + s] = inputs[s * model.inputDim + i] as number;
    expect(
      truncationCurve({
        model,
        eigenpairs: pairs,
        inputsTransposed: byColumn,
        labels,
        count: COUNT,
        maxK: D,
      }),
    ).toEqual(curve);
    expect(() =>
      truncationCurve({
        model,
        eigenpairs: pairs,
        inputs,
        inputsTransposed: byColumn,
        labels,
        count: COUNT,
        maxK: D,
      }),
    ).toThrow(/either as they are or transposed, exactly one/);
    expect(curve.k).toEqual(Array.from({ length: D + 1 }, (_, k) => k));
    expect(curve.accuracy).toHaveLength(D + 1);
    expect(curve.accuracy[D]).toBe(curve.fullAccuracy);
    // Labels = the model's own predictions: every truncated prediction at k = d must agree.
    const own = predictions(model, inputs, COUNT);
    const self = truncationCurve({ model, eigenpairs: pairs, inputs, labels: own, count: COUNT, maxK: D });
    expect(self.fullAccuracy).toBe(1);
    expect(self.accuracy[D]).toBe(1);
    for (const a of curve.accuracy) {
      expect(a).toBeGreaterThanOrEqual(0);
      expect(a).toBeLessThanOrEqual(1);
    }
  });

  it('k = 0 predicts class 0 everywhere (ties go to the lowest class)', () => {
    const labels = randomLabels(COUNT, CLASSES, 10);
    const zeros = Array.from(labels).filter((label) => label === 0).length;
    const curve = truncationCurve({ model, eigenpairs: pairs, inputs, labels, count: COUNT, maxK: 0 });
    expect(curve.k).toEqual([0]);
    expect(curve.accuracy[0]).toBe(zeros / COUNT);
  });

  it('ranks the given pairs by |λ| whatever their order, and matches a direct computation', () => {
    const labels = randomLabels(COUNT, CLASSES, 11);
    // Reverse each class's pairs: truncation must not depend on the order it receives them in.
    const reversed = pairs.map(({ values, vectors }) => {
      const v = new Float64Array(vectors.length);
      for (let r = 0; r < D; r++) v.set(vectors.subarray((D - 1 - r) * D, (D - r) * D), r * D);
      return { values: values.slice().reverse(), vectors: v };
    });
    const curve = truncationCurve({ model, eigenpairs: reversed, inputs, labels, count: COUNT, maxK: 5 });
    for (const k of [1, 3, 5]) {
      let hits = 0;
      for (let s = 0; s < COUNT; s++) {
        const xe = multiplyVector(model.embed, inputs.subarray(s * IN, (s + 1) * IN));
        const logits = pairs.map(({ values, vectors }) => {
          const order = Array.from(values.keys()).sort(
            (i, j) => Math.abs(values[j] as number) - Math.abs(values[i] as number),
          );
          let sum = 0;
          for (const i of order.slice(0, k)) {
            let p = 0;
            for (let t = 0; t < D; t++) p += (vectors[i * D + t] as number) * (xe[t] as number);
            sum += (values[i] as number) * p * p;
          }
          return sum;
        });
        if (logits.indexOf(Math.max(...logits)) === labels[s]) hits++;
      }
      expect(curve.accuracy[k]).toBe(hits / COUNT);
    }
  });

  it('rejects bad inputs with the sizes involved', () => {
    const labels = randomLabels(COUNT, CLASSES, 12);
    const base = { model, eigenpairs: pairs, inputs, labels, count: COUNT, maxK: 3 };
    expect(() => truncationCurve({ ...base, maxK: -1 })).toThrow(/maxK must be a whole number ≥ 0, got -1/);
    expect(() => truncationCurve({ ...base, maxK: D + 1 })).toThrow(/has 8 eigenpairs, maxK = 9/);
    expect(() => truncationCurve({ ...base, eigenpairs: pairs.slice(1) })).toThrow(
      /eigenpairs for 3 classes, the model has 4/,
    );
    const short = [...pairs];
    short[2] = { values: (pairs[2] as Eigenpairs).values, vectors: new Float64Array(5) };
    expect(() => truncationCurve({ ...base, eigenpairs: short })).toThrow(
      /class 2: 8 eigenvalues need 8 × 8 = 64/,
    );
    expect(() => truncationCurve({ ...base, count: COUNT - 1 })).toThrow(
      /inputs have 6000 values, expected count × inputDim/,
    );
    const badLabels = Int32Array.from(labels);
    badLabels[17] = CLASSES;
    expect(() => truncationCurve({ ...base, labels: badLabels })).toThrow(
      /label 17 is 4, outside the classes 0..3/,
    );
    expect(() => truncationCurve({ ...base, labels: labels.subarray(1) })).toThrow(/labels have length 299/);
    expect(() => truncationCurve({ ...base, model: { ...model, residual: true } })).toThrow(
      AnalysisInputError,
    );
    const twoLayers = { ...model, blocks: [...model.blocks, ...model.blocks] };
    expect(() => truncationCurve({ ...base, model: twoLayers })).toThrow(/2 bilinear blocks/);
  });
});

describe('topByMagnitude', () => {
  it('orders by descending |λ|, keeps signs, and breaks ties by input order', () => {
    const values = Float64Array.from([3, -5, 1, -3]);
    const vectors = Float64Array.from([1, 0, 0, 1, 2, 2, 3, 3]); // rows of length 2
    const top = topByMagnitude(values, vectors, 3);
    expect(Array.from(top.values)).toEqual([-5, 3, -3]);
    expect(Array.from(top.vectors)).toEqual([0, 1, 1, 0, 3, 3]);
    expect(topByMagnitude(values, vectors, 0).values).toHaveLength(0);
  });

  it('rejects bad k and shapes', () => {
    const values = Float64Array.from([1, 2]);
    expect(() => topByMagnitude(values, new Float64Array(4), 3)).toThrow(
      /k must be a whole number in 0..2, got 3/,
    );
    expect(() => topByMagnitude(values, new Float64Array(5), 1)).toThrow(
      /5 entries, not a whole number of rows for 2/,
    );
    expect(() => topByMagnitude(new Float64Array(0), new Float64Array(0), 0)).toThrow(/no eigenpairs/);
  });
});
