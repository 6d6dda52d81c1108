import type { BilinearLayer, ImageClassifierModel } from '../model/types.js';

/** Thrown for every malformed argument to an analysis; the message names the sizes involved. */
export class AnalysisInputError extends Error {
  override readonly name = 'AnalysisInputError';
}

/**
 * The one bilinear layer of a single-layer, non-residual image classifier, after checking that the
 * shapes chain (embed [d, in] → layer [d, d] → head [classes, d]). Only for such a model is a class
 * logit exactly the quadratic form (E x)ᵀ Q(e_c) (E x) the weight-based analyses rely on.
 */
export function singleLayerClassifier(model: ImageClassifierModel, analysis: string): BilinearLayer {
  if (model.blocks.length !== 1) {
    throw new AnalysisInputError(
      `${analysis} needs a single-layer image classifier, this model has ${model.blocks.length} bilinear blocks`,
    );
  }
  if (model.residual) {
    throw new AnalysisInputError(
      `${analysis} needs a non-residual model: with x + g(x) the logits gain a linear term and are no longer ` +
        'a sum of squared eigenvector projections',
    );
  }
  const layer = model.blocks[0] as BilinearLayer;
  const { embed, head } = model;
  const d = embed.rows;
  if (embed.cols !== model.inputDim) {
    throw new AnalysisInputError(
      `embed is ${embed.rows}×${embed.cols}, but the model's inputDim is ${model.inputDim}`,
    );
  }
  if (layer.left.cols !== d || layer.right.cols !== d || layer.left.rows !== layer.right.rows) {
    throw new AnalysisInputError(
      `bilinear block is W ${layer.left.rows}×${layer.left.cols}, V ${layer.right.rows}×${layer.right.cols}; ` +
        `expected two [h, ${d}] halves after an embed of ${d} rows`,
    );
  }
  if (head.cols !== layer.left.rows) {
    throw new AnalysisInputError(
      `head is ${head.rows}×${head.cols}, but the bilinear block has ${layer.left.rows} hidden units`,
    );
  }
  return layer;
}

export function checkCount(count: number, what: string): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new AnalysisInputError(`${what} must be a whole number ≥ 1, got ${count}`);
  }
}

export function checkInputs(inputs: ArrayLike<number>, count: number, inputDim: number): void {
  checkCount(count, 'count');
  if (inputs.length !== count * inputDim) {
    throw new AnalysisInputError(
      `inputs have ${inputs.length} values, expected count × inputDim = ${count} × ${inputDim} = ${count * inputDim}`,
    );
  }
}

export function checkLabels(labels: ArrayLike<number>, count: number, classes: number): void {
  if (labels.length !== count) {
    throw new AnalysisInputError(
      `labels have length ${labels.length}, expected one per input (count = ${count})`,
    );
  }
  for (let s = 0; s < count; s++) {
    const label = labels[s] as number;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new AnalysisInputError(`label ${s} is ${label}, outside the classes 0..${classes - 1}`);
    }
  }
}

/**
 * Index of the largest of `length` values starting at `offset`. Ties go to the lowest index (as
 * numpy's and torch's argmax), so all-equal logits predict class 0.
 */
export function argmax(values: ArrayLike<number>, offset: number, length: number): number {
  let best = 0;
  let bestValue = values[offset] as number;
  for (let i = 1; i < length; i++) {
    const value = values[offset + i] as number;
    if (value > bestValue) {
      best = i;
      bestValue = value;
    }
  }
  return best;
}
