import { AnalysisInputError, type LanguageModel } from '@bilinear-lab/core';
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
  const d = model.modelDim;
  const { saeOut, comparison } = decomposition.parameters;
  if (saeOut !== undefined) {
    const sae = await saeFor(key, saeOut);
    if (output >= sae.features)
      throw new AnalysisInputError(`feature ${output} is outside the SAE's ${sae.features}`);
    return sae.encoder.data.slice(output * d, (output + 1) * d);
  }
  if (output >= model.vocabSize) throw new AnalysisInputError(`token ${output} is outside the vocabulary`);
  const row = (token: number) => model.unembedding.data.subarray(token * d, (token + 1) * d);
  const direction = Float64Array.from(row(output));
  for (const other of comparison ?? []) {
    const values = row(other);
    for (let i = 0; i < d; i++)
      direction[i] = (direction[i] as number) - (values[i] as number) / (comparison?.length ?? 1);
  }
  return direction;
}
