/** A dense row-major float64 matrix. Weights are widened to float64 on import (exactly). */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** One bilinear layer g(x) = (W x) ⊙ (V x): W ("left") and V ("right") are [hidden, input]. */
export interface BilinearLayer {
  left: Matrix;
  right: Matrix;
}

/**
 * The reference MNIST/Fashion-MNIST classifier: embed E [d, in] → bilinear blocks (d → d, optional
 * residual) → head [classes, d]. No biases, no normalisation.
 */
export interface ImageClassifierModel {
  layout: 'image-classifier';
  inputDim: number;
  /** [height, width] when the input is a square image (784 → [28, 28]); null otherwise. */
  imageShape: [number, number] | null;
  embed: Matrix;
  blocks: BilinearLayer[];
  head: Matrix;
  /** x ← x + g(x) instead of x ← g(x); not visible in the weights, so it comes from the caller. */
  residual: boolean;
}

/** One transformer layer's bilinear MLP: g = (W x) ⊙ (V x), out = P g with P [d, hidden]. */
export interface LanguageModelLayer {
  mlp: BilinearLayer;
  down: Matrix;
}

/** The reference language-model layout (HF-style keys); attention weights are not needed here. */
export interface LanguageModel {
  layout: 'language-model';
  vocabSize: number;
  modelDim: number;
  hiddenDim: number;
  embedding: Matrix;
  unembedding: Matrix;
  layers: LanguageModelLayer[];
}

export type BilinearModel = ImageClassifierModel | LanguageModel;
