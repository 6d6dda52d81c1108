// An SAE folder in the official layout (what core's importSparseAutoencoder, `bilinear sae eval` and
// `decompose --sae-in/--sae-out` read): model.safetensors with w_enc.weight [F, d], w_dec.weight
// [d, F], b_dec [d] in F32, and config.json with the reference's SAEConfig fields that say what the
// SAE is (d_model, expansion, n_features, k, layer, point) and how it was trained (lr, out_batch).
import { writeSafetensors } from '@bilinear-lab/core';
import type { TopKSaeWeights } from './topk-sae.js';

export interface SaeFolderSettings {
  k: number;
  layer: number;
  point: string;
  /** How it was trained, recorded in config.json. */
  learningRate: number;
  batchSize: number;
  steps: number;
  seed: number;
}

export interface SaeFolderFiles {
  safetensors: Uint8Array;
  /** Indented, ending with a newline. */
  configJson: string;
}

export function saeFolderFiles(sae: TopKSaeWeights, settings: SaeFolderSettings): SaeFolderFiles {
  const { features, modelDim } = sae;
  const config = {
    d_model: modelDim,
    expansion: features / modelDim,
    n_features: features,
    k: settings.k,
    layer: settings.layer,
    point: settings.point,
    encoder_bias: false,
    normalize_decoder: true,
    lr: settings.learningRate,
    out_batch: settings.batchSize,
    n_steps: settings.steps,
    seed: settings.seed,
  };
  return {
    safetensors: writeSafetensors(
      [
        { name: 'w_enc.weight', dtype: 'F32', shape: [features, modelDim], data: sae.encoder },
        { name: 'w_dec.weight', dtype: 'F32', shape: [modelDim, features], data: sae.decoder },
        { name: 'b_dec', dtype: 'F32', shape: [modelDim], data: sae.decoderBias },
      ],
      { format: 'pt' },
    ),
    configJson: `${JSON.stringify(config, null, 2)}\n`,
  };
}
