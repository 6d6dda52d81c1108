// A decomposition as the rows the API serves: one Spectrum per output, one Eigenvectors row per
// output and space. Pure: typed arrays in, Prisma create inputs out.
import type { Eigenpair, EigenvectorReading, OutputDecomposition } from '@bilinear-lab/core';
import { float32Column, float64Column, type Prisma, readingsColumn } from '@bilinear-lab/db';

export type SpectrumRow = Prisma.SpectrumCreateManyInput;
export type EigenvectorsRow = Prisma.EigenvectorsCreateManyInput;

/** The outputs of a decomposition, or of the part of one a long job stores as it goes. */
type Outputs = { outputs: readonly OutputDecomposition[] };

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
      ...readingsOf(pairs),
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

/** A language model's rows as read (tokens or input features), in binary; nothing for a classifier's. */
function readingsOf(
  pairs: readonly Eigenpair[],
): Pick<EigenvectorsRow, 'readingSpace' | 'readingEntries' | 'readings'> {
  const first = pairs[0]?.reading;
  if (!first || pairs.some((pair) => pair.reading === null)) return {};
  const readings = pairs.map((pair) => pair.reading as EigenvectorReading);
  return {
    readingSpace: first.space,
    readingEntries: first.top.length,
    readings: readingsColumn(readings, first.top.length),
  };
}
