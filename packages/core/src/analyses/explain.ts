// "Explain an input": one image's logits taken apart into what each stored eigenpair adds,
// λ (vᵀx)², the residual block's linear term aᵀx, and what the eigenpairs beyond the stored top k add.

import { classifierHidden, classifierLogits } from '../model/forward.js';
import { notBilinearReason } from '../model/gate.js';
import type { ImageClassifierModel } from '../model/types.js';
import { AnalysisInputError, argmax } from './common.js';

/** One output's stored eigenpairs in the decomposed layer's input space (model space). */
export interface StoredEigenpairs {
  index: number;
  /** λ of each row, in row order. */
  eigenvalues: ArrayLike<number>;
  /** rows × d unit eigenvectors, row-major. */
  vectors: ArrayLike<number>;
  /** The residual block's linear term a (length d), or null for a pure quadratic form. */
  linearModel: ArrayLike<number> | null;
}

export interface EigenpairContribution {
  /** The row in the stored block (and so its name p1…/n1…). */
  row: number;
  eigenvalue: number;
  /** vᵀx, x the decomposed layer's input. */
  projection: number;
  /** λ (vᵀx)². */
  contribution: number;
}

export interface OutputExplanation {
  index: number;
  logit: number;
  /** Σ λ (vᵀx)² over the stored eigenpairs. */
  explained: number;
  /** aᵀx: the linear term of a residual block; null when there is none. */
  linear: number | null;
  /** logit − explained − linear: exactly what the eigenpairs beyond the stored ones add. */
  remainder: number;
  /** Largest |contribution| first. */
  contributions: EigenpairContribution[];
}

export interface InputExplanation {
  logits: Float64Array;
  /** argmax of the logits (ties to the lowest class). */
  predicted: number;
  outputs: OutputExplanation[];
}

/**
 * Explains one input (pixels, length inputDim) of a classifier from the stored eigenpairs of some of
 * its classes. Every logit is exactly Σ over all eigenpairs of λ (vᵀx)² + aᵀx with x the last block's
 * input, so the remainder is what the unstored eigenpairs add, not an approximation error.
 */
export function explainInput(
  model: ImageClassifierModel,
  pixels: ArrayLike<number>,
  outputs: readonly StoredEigenpairs[],
): InputExplanation {
  const notBilinear = notBilinearReason(model.gate);
  if (notBilinear !== null) throw new AnalysisInputError(`cannot explain with eigenvectors: ${notBilinear}`);
  if (pixels.length !== model.inputDim) {
    throw new AnalysisInputError(`the input has ${pixels.length} values, the model reads ${model.inputDim}`);
  }
  const d = model.embed.rows;
  const x = classifierHidden(model, pixels, model.blocks.length - 1);
  const logits = classifierLogits(model, pixels);
  const explained = outputs.map((output): OutputExplanation => {
    const rows = output.eigenvalues.length;
    if (output.vectors.length !== rows * d) {
      throw new AnalysisInputError(
        `class ${output.index}: ${output.vectors.length} vector values for ${rows} eigenvalues of dimension ${d}`,
      );
    }
    if (output.linearModel !== null && output.linearModel.length !== d) {
      throw new AnalysisInputError(
        `class ${output.index}: the linear term has ${output.linearModel.length} values, not ${d}`,
      );
    }
    const contributions: EigenpairContribution[] = [];
    for (let row = 0; row < rows; row++) {
      let projection = 0;
      for (let i = 0; i < d; i++) projection += (output.vectors[row * d + i] as number) * (x[i] as number);
      const eigenvalue = output.eigenvalues[row] as number;
      contributions.push({ row, eigenvalue, projection, contribution: eigenvalue * projection * projection });
    }
    contributions.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
    let linear: number | null = null;
    if (output.linearModel !== null) {
      linear = 0;
      for (let i = 0; i < d; i++) linear += (output.linearModel[i] as number) * (x[i] as number);
    }
    const sum = contributions.reduce((total, item) => total + item.contribution, 0);
    const logit = logits[output.index] as number;
    return {
      index: output.index,
      logit,
      explained: sum,
      linear,
      remainder: logit - sum - (linear ?? 0),
      contributions,
    };
  });
  return { logits, predicted: argmax(logits, 0, logits.length), outputs: explained };
}
