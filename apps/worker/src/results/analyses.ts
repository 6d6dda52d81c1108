// The analyses stored beside a decomposition (Analysis rows, JSON): the truncation curve on the
// model's test set and, when asked, the HOSVD of the interaction tensor and the adversarial masks.
// Each either has a result or says why it does not apply to this model.

import {
  ADVERSARIAL_SCALES,
  ADVERSARIAL_SEED,
  AnalysisInputError,
  adversarialMasks,
  type BilinearModel,
  type Decomposition,
  decompositionTarget,
  type Eigenpairs,
  evaluateMasks,
  type HosvdEigenvectors,
  hosvd,
  type ImageClassifierModel,
  truncationCurve,
} from '@bilinear-lab/core';
import type { Dataset } from '@bilinear-lab/datasets';
import type { Prisma } from '@bilinear-lab/db';

export type AnalysisResult = Prisma.InputJsonObject;

/**
 * Accuracy on the test split when every class keeps only its k largest-|λ| eigenpairs, for each
 * requested k, and the full model's accuracy. Needs the top-(max k) pairs of each sign per class.
 */
/**
 * A test split's inputs in float64, transposed (inputDim × count), kept while the split is: the
 * bundled digits stay loaded in a worker's child, and converting and transposing their 2 000 test
 * images took ≈ 70 ms of every decompose job's truncation curve (2.6 ms per fresh MB on a VM).
 */
const transposed = new WeakMap<Float32Array, Float64Array>();

function transposedInputs(inputs: Float32Array, count: number): Float64Array {
  const held = transposed.get(inputs);
  if (held) return held;
  const dim = inputs.length / count;
  const byColumn = new Float64Array(inputs.length);
  for (let s = 0; s < count; s++)
    for (let i = 0; i < dim; i++) byColumn[i * count + s] = inputs[s * dim + i] as number;
  transposed.set(inputs, byColumn);
  return byColumn;
}

export function truncationAnalysis(
  model: BilinearModel,
  decomposition: Decomposition,
  dataset: Dataset,
  truncationK: readonly number[],
  datasetSpec: string,
): AnalysisResult {
  if (model.layout !== 'image-classifier') throw new Error('truncationAnalysis needs an image classifier');
  const eigenpairs: Eigenpairs[] = decomposition.outputs.map((output) => {
    const pairs = [...output.topPositive, ...output.topNegative];
    const d = output.eigenvalues.length;
    const vectors = new Float64Array(pairs.length * d);
    pairs.forEach((pair, row) => {
      vectors.set(pair.vectorModel, row * d);
    });
    return { values: Float64Array.from(pairs, (pair) => pair.eigenvalue), vectors };
  });
  const available = Math.min(...eigenpairs.map((pairs) => pairs.values.length));
  const wanted = [...new Set(truncationK)].sort((a, b) => a - b);
  const maxK = Math.min(available, wanted.at(-1) ?? 0);
  const { test } = dataset;
  if (!test.labels) throw new Error(`dataset ${datasetSpec} has no class labels`);
  const curve = truncationCurve({
    model,
    eigenpairs,
    inputsTransposed: transposedInputs(test.inputs, test.count),
    labels: test.labels,
    count: test.count,
    maxK,
  });
  return {
    dataset: datasetSpec,
    split: 'test',
    samples: test.count,
    k: wanted,
    // A k beyond the pairs a class has keeps all of them (every nonzero eigenvalue is among them).
    accuracy: wanted.map((k) => curve.accuracy[Math.min(k, maxK)] as number),
    fullAccuracy: curve.fullAccuracy,
  };
}

/** The HOSVD across all classes (singular values, output directions, top eigenvectors per component). */
export function hosvdAnalysis(model: ImageClassifierModel, topK: number): AnalysisResult {
  const target = decompositionTarget(model);
  const d = target.layer.left.cols;
  // Pixels are a linear map of the decomposed layer's input only when there is one block.
  const inputMap = target.inputMap?.basis;
  const result = hosvd(target.layer, target.projection, {
    topK: Math.min(topK, d),
    ...(inputMap ? { inputMap } : {}),
  });
  const inputDim = inputMap?.cols ?? 0;
  const eigenvectors = (pairs: HosvdEigenvectors) => ({
    values: Array.from(pairs.values),
    vectors: rowsOf(pairs.vectors, d),
    inputVectors: pairs.inputVectors === null ? null : rowsOf(pairs.inputVectors, inputDim),
  });
  return {
    singularValues: Array.from(result.singularValues),
    components: result.components.map((component) => ({
      singularValue: component.singularValue,
      outputDirection: Array.from(component.outputDirection),
      eigenvalues: Array.from(component.eigenvalues),
      topPositive: eigenvectors(component.topPositive),
      topNegative: eigenvectors(component.topNegative),
    })),
  };
}

/**
 * The paper's adversarial masks (pseudo-inverse of the classes' stacked top positive eigenvectors in
 * pixels) and how often adding scale · mask_t turns a correctly classified test image into class t,
 * against the same masks with their pixels permuted.
 */
export function adversarialAnalysis(
  model: ImageClassifierModel,
  decomposition: Decomposition,
  dataset: Dataset,
  datasetSpec: string,
): AnalysisResult {
  const classes = model.head.rows;
  const n = model.inputDim;
  const topVectorsInput = new Float64Array(classes * n);
  for (const output of decomposition.outputs) {
    const top = output.topPositive[0];
    if (!top) return { skipped: `class ${output.label} has no positive eigenvalue to build its mask from` };
    if (!top.vectorInput) return { skipped: `class ${output.label} has no eigenvector in input space` };
    topVectorsInput.set(top.vectorInput, output.index * n);
  }
  const { test } = dataset;
  if (!test.labels) throw new Error(`dataset ${datasetSpec} has no class labels`);
  try {
    const masks = adversarialMasks({ model, topVectorsInput });
    const evaluation = evaluateMasks({
      model,
      masks,
      inputs: Float64Array.from(test.inputs),
      labels: test.labels,
      count: test.count,
      scales: ADVERSARIAL_SCALES,
      seed: ADVERSARIAL_SEED,
    });
    const rates = (values: Float64Array) =>
      Array.from(values, (value) => (Number.isNaN(value) ? null : value));
    return {
      masks: rowsOf(masks, n).map((row) => row.map(float32Digits)),
      scales: [...ADVERSARIAL_SCALES],
      flipRate: evaluation.results.map((result) => result.flipRate),
      baselineFlipRate: evaluation.results.map((result) => result.baselineFlipRate),
      perTargetFlipRate: evaluation.results.map((result) => rates(result.perTargetFlipRate)),
      perTargetBaselineFlipRate: evaluation.results.map((result) => rates(result.perTargetBaselineFlipRate)),
      evaluated: evaluation.evaluated,
      cleanAccuracy: evaluation.cleanAccuracy,
      seed: ADVERSARIAL_SEED,
      datasetSpec,
      split: 'test',
      samples: test.count,
    };
  } catch (error) {
    // Rank-deficient eigenvectors, or no correctly classified image: the decomposition stands without masks.
    if (error instanceof AnalysisInputError) return { skipped: error.message };
    throw error;
  }
}

/**
 * A value at float32 precision, written with the 9 significant digits that identify a float32: half
 * the JSON of a double's 17, and exact through Postgres' jsonb (which keeps the digits it is given).
 */
function float32Digits(value: number): number {
  return Number(Math.fround(value).toPrecision(9));
}

function rowsOf(values: Float64Array, width: number): number[][] {
  return Array.from({ length: values.length / width }, (_, r) =>
    Array.from(values.subarray(r * width, (r + 1) * width)),
  );
}
