// A decomposition as the rows the API serves: one Spectrum per output, one Eigenvectors row per
// output and space. Pure: typed arrays in, Prisma create inputs out.
import type { Eigenpair, EigenvectorReading, OutputDecomposition } from '@bilinear-lab/core';
import { float32Column, float64Column, type Prisma } from '@bilinear-lab/db';

export type SpectrumRow = Prisma.SpectrumCreateManyInput;
export type EigenvectorsRow = Prisma.EigenvectorsCreateManyInput;

/** The outputs of a decomposition, or of the part of one a long job stores as it goes. */
type Outputs = { outputs: readonly OutputDecomposition[] };

/** A token's text for readings and labels, when the model came with a tokenizer. */
export type TokenText = (token: number) => string | null;

export function spectrumRows(decompositionId: string, decomposition: Outputs): SpectrumRow[] {
  return decomposition.outputs.map((output) => ({
    decompositionId,
    outputIndex: output.index,
    label: output.label,
    dimension: output.eigenvalues.length,
    // Most positive first, as the core lists them and every reader takes them.
    eigenvalues: float64Column(output.eigenvalues),
    effectiveRank: output.effectiveRank,
    exactness: output.exactness,
  }));
}

/**
 * The top-k eigenvectors of every output in model space and, when the model has one, input space:
 * positive eigenvalues descending, then negative ones ascending (most negative first); with a
 * residual block's linear term in the same space.
 */
export function eigenvectorRows(
  decompositionId: string,
  decomposition: Outputs,
  topK: number,
  tokenText: TokenText | null = null,
): EigenvectorsRow[] {
  const rows: EigenvectorsRow[] = [];
  for (const output of decomposition.outputs) {
    const positive = output.topPositive.slice(0, topK);
    const negative = output.topNegative.slice(0, topK);
    const pairs = [...positive, ...negative];
    const base = {
      decompositionId,
      outputIndex: output.index,
      positiveCount: positive.length,
      negativeCount: negative.length,
      eigenvalues: float64Column(pairs.map((pair) => pair.eigenvalue)),
    };
    const d = output.eigenvalues.length;
    rows.push({
      ...base,
      space: 'model',
      dimension: d,
      vectors: stackRows(pairs, (pair) => pair.vectorModel, d),
      linearTerm: output.linearModel === null ? null : float64Column(output.linearModel),
      ...readingsOf(pairs, tokenText),
    });
    const inputDim = pairs[0]?.vectorInput?.length;
    if (inputDim !== undefined) {
      rows.push({
        ...base,
        space: 'input',
        dimension: inputDim,
        vectors: stackRows(pairs, (pair) => pair.vectorInput as Float64Array, inputDim),
        linearTerm: output.linearInput === null ? null : float64Column(output.linearInput),
      });
    }
  }
  return rows;
}

function stackRows(pairs: Eigenpair[], vector: (pair: Eigenpair) => Float64Array, dimension: number) {
  const stacked = new Float32Array(pairs.length * dimension);
  pairs.forEach((pair, row) => {
    stacked.set(vector(pair), row * dimension);
  });
  return float32Column(stacked);
}

/** A language model's rows as read (tokens with their text, or input features); nothing for a classifier's. */
function readingsOf(
  pairs: readonly Eigenpair[],
  tokenText: TokenText | null,
): { readings?: Prisma.InputJsonValue } {
  if (pairs.length === 0 || pairs.some((pair) => pair.reading === null)) return {};
  const entries = (reading: EigenvectorReading, list: EigenvectorReading['top']) =>
    list.map(({ index, value }) => {
      const token = reading.space === 'tokens' ? tokenText?.(index) : null;
      return token === null || token === undefined ? { index, value } : { index, value, token };
    });
  return {
    readings: pairs.map((pair) => {
      const reading = pair.reading as EigenvectorReading;
      return {
        space: reading.space,
        top: entries(reading, reading.top),
        bottom: entries(reading, reading.bottom),
      };
    }),
  };
}
