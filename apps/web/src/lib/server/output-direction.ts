import { AnalysisInputError, directionRows, type LanguageModel } from '@bilinear-lab/core';
import type { Decomposition } from '../types';
import { saeFor } from './checkpoints';

/**
 * An output's direction u in the residual stream, as the worker decomposed it: a token's unembedding
 * row (minus the mean of the comparison tokens' rows), or an output SAE's encoder row.
 */
export async function outputDirection(
  key: string,
  decomposition: Decomposition,
  model: LanguageModel,
  output: number,
): Promise<Float64Array> {
  const { saeOut, comparison } = decomposition.parameters;
  // The core's own rows (what the worker decomposed along), not a second formula for them.
  if (saeOut !== undefined) {
    const sae = await saeFor(key, saeOut);
    if (output >= sae.features)
      throw new AnalysisInputError(`feature ${output} is outside the SAE's ${sae.features}`);
    return directionRows(model, { kind: 'sae-features', sae, features: [output] }).data;
  }
  if (output >= model.vocabSize) throw new AnalysisInputError(`token ${output} is outside the vocabulary`);
  return directionRows(model, { kind: 'tokens', tokens: [output], ...(comparison ? { comparison } : {}) })
    .data;
}
