// SparseAutoencoder.metrics as the train-sae and evaluate jobs store them: what `bilinear sae eval
// --json` reports, under the platform's names, with the corpus and the positions measured.
import type { SaeQuality } from '@bilinear-lab/core';

export function saeMetrics(quality: SaeQuality, dataset: string) {
  return {
    mse: quality.mse,
    // NaN when the activations do not vary: JSON has no NaN.
    explainedVariance: Number.isFinite(quality.explainedVariance) ? quality.explainedVariance : null,
    lossRecovered: quality.lossRecovered,
    lossClean: quality.lossClean,
    lossSpliced: quality.lossSpliced,
    lossZeroAblated: quality.lossZeroAblated,
    meanActive: quality.meanActive,
    layer: quality.layer,
    point: quality.point,
    dataset,
    tokens: quality.positions,
    measuredAt: new Date().toISOString(),
  };
}
