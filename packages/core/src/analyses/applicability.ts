// Which of the paper's weight-based analyses apply to a model and a decomposition request, and the
// constants they run with: decided here once for the worker that computes them and the pages that
// show them.
import { notBilinearReason } from '../model/gate.js';
import type { BilinearModel } from '../model/types.js';

export type AnalysisKind = 'truncation' | 'hosvd' | 'adversarial';

/** What a decomposition request says that decides whether an analysis applies. */
export interface AnalysisRequest {
  /** The outputs decomposed; every one when absent. */
  outputs?: readonly number[];
  /** The truncation curve's k values. */
  truncationK?: readonly number[];
}

/** Eigenvectors per sign kept for each HOSVD component (its result is stored as JSON). */
export const HOSVD_TOP_K = 3;

/**
 * Mask multipliers tried, doubling from 0.5. The masks' largest pixels are ≈ 0.1–0.25, so up to
 * scale 4–8 a mask changes no pixel by more than the [0, 1] range; beyond it the (unclipped)
 * perturbation is large, which is where the flip rate of the d = 64 example levels off (≈ 0.7:
 * the masks of classes 8 and 9 push predictions towards other classes) while the permuted-pixel
 * baseline starts to rise.
 */
export const ADVERSARIAL_SCALES: readonly number[] = [0, 0.5, 1, 2, 4, 8, 16, 32, 64];
/** Seed of the adversarial baseline's pixel permutations: fixed, so a rerun stores the same numbers. */
export const ADVERSARIAL_SEED = 0;

/** Why `analysis` does not apply to this model and request, or null when it does. */
export function analysisObstacle(
  model: BilinearModel,
  analysis: AnalysisKind,
  request: AnalysisRequest = {},
): string | null {
  const notBilinear = notBilinearReason(model.gate);
  if (notBilinear !== null) return notBilinear;
  if (analysis === 'truncation' && request.truncationK !== undefined && request.truncationK.length === 0) {
    return 'no truncationK was requested';
  }
  if (model.layout !== 'image-classifier') {
    return analysis === 'hosvd'
      ? "the HOSVD runs across a classifier's classes; a language model's outputs are its whole vocabulary"
      : `the ${analysis === 'truncation' ? 'truncation curve is' : 'adversarial masks are'} defined for image classifiers only`;
  }
  if (analysis === 'hosvd') return null;
  const what = analysis === 'truncation' ? 'the curve needs' : 'the masks need';
  if (model.blocks.length !== 1) return `the model has ${model.blocks.length} bilinear blocks; ${what} one`;
  if (model.residual) return 'the model is residual; its logits are not a sum of squared projections';
  if (analysis === 'adversarial' && model.imageShape === null) {
    return `the masks are images; this model's ${model.inputDim} inputs are not a square image`;
  }
  const classes = model.head.rows;
  if (request.outputs && new Set(request.outputs).size !== classes) {
    return `${what} every class decomposed; this decomposition has ${request.outputs.length} of ${classes}`;
  }
  return null;
}

/** Eigenvalue pairs per sign the truncation curve needs for these k (at most the model dimension). */
export function truncationPairsNeeded(model: BilinearModel, truncationK: readonly number[]): number {
  const d = model.layout === 'image-classifier' ? model.embed.rows : model.modelDim;
  return Math.min(d, Math.max(0, ...truncationK));
}
