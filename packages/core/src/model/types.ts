import type { Gate } from './config.js';
import type { LanguageModelConfig } from './language-model-config.js';

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
 * Where a model's gate and residual settings came from: the configuration in the file's metadata,
 * the config file that came with it, the caller (for a file that records nothing), or the defaults
 * (nothing recorded, nothing declared: a plain bilinear model).
 */
export type ConfigSource = 'metadata' | 'config-file' | 'declared' | 'default';

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
  /** x ← x + g(x) instead of x ← g(x); not visible in the weights, so it comes from the file's config. */
  residual: boolean;
  /** g(x) = act(W x) ⊙ (V x); only 'none' is bilinear (and decomposable). */
  gate: Gate;
  configSource: ConfigSource;
}

/** A layer's causal self-attention with rotary positions (the reference code's, no biases). */
export interface AttentionWeights {
  /** qkv [3d, d]: its rows split as (3: q, k, v; heads; d_head). */
  qkv: Matrix;
  /** o [d, d]: from the heads' concatenated outputs back to the residual stream. */
  out: Matrix;
  /** rotary.inv_freq [d_head / 2] as the file stores it, or null (then 1 / 10000^(2i / d_head)). */
  inverseFrequencies: Float64Array | null;
}

/** One transformer layer: attention (absent in MLP-only files) and the bilinear MLP, out = P g. */
export interface LanguageModelLayer {
  attention: AttentionWeights | null;
  mlp: BilinearLayer;
  down: Matrix;
}

/** The reference language-model layout (HF-style keys). */
export interface LanguageModel {
  layout: 'language-model';
  vocabSize: number;
  modelDim: number;
  hiddenDim: number;
  embedding: Matrix;
  unembedding: Matrix;
  layers: LanguageModelLayer[];
  /** The MLPs' gate; only 'none' is bilinear (and decomposable). */
  gate: Gate;
  /** The HF config.json that came with the weights, when one did. */
  config: LanguageModelConfig | null;
  configSource: ConfigSource;
}

export type BilinearModel = ImageClassifierModel | LanguageModel;
