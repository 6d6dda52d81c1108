// The analyses stored beside a decomposition (Analysis rows, JSON): the truncation curve on the
// model's test set and, when asked, the HOSVD of the interaction tensor. Each either has a result
// or says why it does not apply to this model.

import type { DecompositionRequest } from '@bilinear-lab/contracts';
import {
  type BilinearModel,
  type Decomposition,
  decompositionTarget,
  type Eigenpairs,
  type HosvdEigenvectors,
  hosvd,
  type ImageClassifierModel,
  truncationCurve,
} from '@bilinear-lab/core';
import type { Dataset } from '@bilinear-lab/datasets';
import type { Prisma } from '@bilinear-lab/db';

export type AnalysisResult = Prisma.InputJsonObject;

/** Why the weight-based truncation curve does not apply to this request, or null when it does. */
export function truncationObstacle(model: BilinearModel, request: DecompositionRequest): string | null {
  if (request.truncationK.length === 0) return 'no truncationK was requested';
  if (model.layout !== 'image-classifier')
    return 'the truncation curve is defined for image classifiers only';
  if (model.blocks.length !== 1) {
    return `the model has ${model.blocks.length} bilinear blocks; the curve needs one`;
  }
  if (model.residual) return 'the model is residual; its logits are not a sum of squared projections';
  const classes = model.head.rows;
  if (request.outputs && new Set(request.outputs).size !== classes) {
    return `the curve needs every class decomposed; this decomposition has ${request.outputs.length} of ${classes}`;
  }
  return null;
}

/**
 * Accuracy on the test split when every class keeps only its k largest-|λ| eigenpairs, for each
 * requested k, and the full model's accuracy. Needs the top-(max k) pairs of each sign per class.
 */
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
    inputs: Float64Array.from(test.inputs),
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

/** Eigenvalue pairs per sign the truncation curve needs for these k (at most the model dimension). */
export function truncationPairsNeeded(model: BilinearModel, truncationK: readonly number[]): number {
  const d = model.layout === 'image-classifier' ? model.embed.rows : model.modelDim;
  return Math.min(d, Math.max(0, ...truncationK));
}

/** Why the HOSVD is not computed for this model, or null when it is. */
export function hosvdObstacle(model: BilinearModel): string | null {
  return model.layout === 'image-classifier'
    ? null
    : "the HOSVD runs across a classifier's classes; a language model's outputs are its whole vocabulary";
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

function rowsOf(values: Float64Array, width: number): number[][] {
  return Array.from({ length: values.length / width }, (_, r) =>
    Array.from(values.subarray(r * width, (r + 1) * width)),
  );
}
