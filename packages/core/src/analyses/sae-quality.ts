// How good a sparse autoencoder is on text, the reference's two figures: the reconstruction's mean
// squared error at its hook point (an MLP's input or output, or the residual stream), and the loss
// recovered when the reconstruction is spliced into the forward pass in place of what the model
// computed there (1 = as good as the model, 0 = as bad as replacing it by zeros).
import {
  hookValues,
  type Intervention,
  languageModelLoss,
  traceLanguageModel,
} from '../model/language-model-forward.js';
import { encodeSparse, type HookPoint, type SparseAutoencoder } from '../model/sparse-autoencoder.js';
import type { LanguageModel } from '../model/types.js';
import { AnalysisInputError } from './common.js';

export interface SaeQuality {
  layer: number;
  point: HookPoint;
  positions: number;
  /** Mean over positions of ‖x − decode(encode(x))‖² / d. */
  mse: number;
  /** 1 − Σ‖x − x̂‖² / Σ‖x − mean(x)‖²: the share of the activations' variance the SAE keeps. */
  explainedVariance: number;
  /** Mean active features per position. */
  meanActive: number;
  lossClean: number;
  lossSpliced: number;
  lossZeroAblated: number;
  /** (lossZeroAblated − lossSpliced) / (lossZeroAblated − lossClean). */
  lossRecovered: number;
}

/** decode(encode(x)) = w_dec · TopK(w_enc (x − b_dec)) + b_dec for each of `count` rows. */
export function reconstructRows(sae: SparseAutoencoder, values: Float64Array, count: number): Float64Array {
  const d = sae.modelDim;
  const out = new Float64Array(count * d);
  for (let t = 0; t < count; t++) {
    const code = encodeSparse(sae, values.subarray(t * d, (t + 1) * d));
    for (let i = 0; i < d; i++) {
      let sum = sae.decoderBias[i] as number;
      for (let f = 0; f < sae.features; f++) {
        const h = code[f] as number;
        if (h !== 0) sum += (sae.decoder.data[i * sae.features + f] as number) * h;
      }
      out[t * d + i] = sum;
    }
  }
  return out;
}

export function saeQuality(
  model: LanguageModel,
  sae: SparseAutoencoder,
  sequences: readonly ArrayLike<number>[],
  hook: { layer: number; point: HookPoint },
): SaeQuality {
  if (sae.modelDim !== model.modelDim) {
    throw new AnalysisInputError(
      `the SAE reads ${sae.modelDim} values, the model's residual stream has ${model.modelDim}`,
    );
  }
  if (hook.layer < 0 || hook.layer >= model.layers.length) {
    throw new AnalysisInputError(
      `layer ${hook.layer} does not exist: the model has layers 0..${model.layers.length - 1}`,
    );
  }
  const d = model.modelDim;
  let squaredError = 0;
  let positions = 0;
  let active = 0;
  const sum = new Float64Array(d);
  let sumSquares = 0;
  for (const sequence of sequences) {
    if (sequence.length === 0) continue;
    const mlp = hook.point.startsWith('mlp');
    const trace = traceLanguageModel(model, sequence, { mlp, residuals: !mlp, logits: false });
    const values = hookValues(trace, hook.layer, hook.point);
    const rebuilt = reconstructRows(sae, values, sequence.length);
    for (let t = 0; t < sequence.length; t++) {
      const code = encodeSparse(sae, values.subarray(t * d, (t + 1) * d));
      for (const h of code) if (h !== 0) active++;
      for (let i = 0; i < d; i++) {
        const x = values[t * d + i] as number;
        squaredError += (x - (rebuilt[t * d + i] as number)) ** 2;
        sum[i] = (sum[i] as number) + x;
        sumSquares += x * x;
      }
    }
    positions += sequence.length;
  }
  if (positions === 0) throw new AnalysisInputError('no tokens to measure the SAE on');
  let meanSquares = 0;
  for (let i = 0; i < d; i++) meanSquares += ((sum[i] as number) / positions) ** 2;
  const totalVariance = sumSquares - positions * meanSquares;
  const splice = (replace: Intervention['replace']): number =>
    languageModelLoss(model, sequences, { layer: hook.layer, point: hook.point, replace }).loss;
  const lossClean = languageModelLoss(model, sequences).loss;
  const lossSpliced = splice((values, count) => reconstructRows(sae, values, count));
  const lossZeroAblated = splice((values) => new Float64Array(values.length));
  return {
    layer: hook.layer,
    point: hook.point,
    positions,
    mse: squaredError / (positions * d),
    explainedVariance: totalVariance > 0 ? 1 - squaredError / totalVariance : Number.NaN,
    meanActive: active / positions,
    lossClean,
    lossSpliced,
    lossZeroAblated,
    lossRecovered: (lossZeroAblated - lossSpliced) / (lossZeroAblated - lossClean),
  };
}
