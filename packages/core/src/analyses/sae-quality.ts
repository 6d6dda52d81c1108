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
  /** The sums behind the figures, so that measures of parts of a text combine (combineSaeQuality). */
  totals: SaeQualityTotals;
}

export interface SaeQualityTotals {
  squaredError: number;
  /** Σ x over positions, per coordinate, and Σ ‖x‖². */
  activationSum: Float64Array;
  activationSquares: number;
  /** Active features summed over positions. */
  active: number;
  /** Positions with a next token (what the losses average over). */
  predicted: number;
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
  const splice = (replace: Intervention['replace']): number =>
    languageModelLoss(model, sequences, { layer: hook.layer, point: hook.point, replace }).loss;
  const clean = languageModelLoss(model, sequences);
  return qualityOf(
    hook,
    positions,
    d,
    {
      squaredError,
      activationSum: sum,
      activationSquares: sumSquares,
      active,
      predicted: clean.tokens,
    },
    {
      clean: clean.loss,
      spliced: splice((values, count) => reconstructRows(sae, values, count)),
      zeroAblated: splice((values) => new Float64Array(values.length)),
    },
  );
}

function qualityOf(
  hook: { layer: number; point: HookPoint },
  positions: number,
  d: number,
  totals: SaeQualityTotals,
  loss: { clean: number; spliced: number; zeroAblated: number },
): SaeQuality {
  let meanSquares = 0;
  for (let i = 0; i < d; i++) meanSquares += ((totals.activationSum[i] as number) / positions) ** 2;
  const totalVariance = totals.activationSquares - positions * meanSquares;
  return {
    layer: hook.layer,
    point: hook.point,
    positions,
    mse: totals.squaredError / (positions * d),
    explainedVariance: totalVariance > 0 ? 1 - totals.squaredError / totalVariance : Number.NaN,
    meanActive: totals.active / positions,
    lossClean: loss.clean,
    lossSpliced: loss.spliced,
    lossZeroAblated: loss.zeroAblated,
    lossRecovered: (loss.zeroAblated - loss.spliced) / (loss.zeroAblated - loss.clean),
    totals,
  };
}

/**
 * The measures of a whole text from those of its parts (each a saeQuality of some of its sequences,
 * at the same hook): what saeQuality of all the sequences gives, up to the order of the sums. A long
 * measurement goes part by part (a job reports progress and sees a cancel between them).
 */
export function combineSaeQuality(parts: readonly SaeQuality[]): SaeQuality {
  const first = parts[0];
  if (first === undefined) throw new AnalysisInputError('no parts to combine');
  const d = first.totals.activationSum.length;
  const totals: SaeQualityTotals = {
    squaredError: 0,
    activationSum: new Float64Array(d),
    activationSquares: 0,
    active: 0,
    predicted: 0,
  };
  const loss = { clean: 0, spliced: 0, zeroAblated: 0 };
  let positions = 0;
  for (const part of parts) {
    if (part.layer !== first.layer || part.point !== first.point || part.totals.activationSum.length !== d) {
      throw new AnalysisInputError('the parts were measured at different hook points');
    }
    positions += part.positions;
    totals.squaredError += part.totals.squaredError;
    totals.activationSquares += part.totals.activationSquares;
    totals.active += part.totals.active;
    totals.predicted += part.totals.predicted;
    for (let i = 0; i < d; i++) {
      totals.activationSum[i] =
        (totals.activationSum[i] as number) + (part.totals.activationSum[i] as number);
    }
    loss.clean += part.lossClean * part.totals.predicted;
    loss.spliced += part.lossSpliced * part.totals.predicted;
    loss.zeroAblated += part.lossZeroAblated * part.totals.predicted;
  }
  return qualityOf({ layer: first.layer, point: first.point }, positions, d, totals, {
    clean: loss.clean / totals.predicted,
    spliced: loss.spliced / totals.predicted,
    zeroAblated: loss.zeroAblated / totals.predicted,
  });
}
