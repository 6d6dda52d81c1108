// A decomposition as the rows the API serves: one Spectrum per output, one Eigenvectors row per
// output and space. Pure: typed arrays in, Prisma create inputs out.
import type { Decomposition, Eigenpair, OutputDecomposition } from '@bilinear-lab/core';
import { float32Column, float64Column, type Prisma } from '@bilinear-lab/db';

export type SpectrumRow = Prisma.SpectrumCreateManyInput;
export type EigenvectorsRow = Prisma.EigenvectorsCreateManyInput;

export function spectrumRows(decompositionId: string, decomposition: Decomposition): SpectrumRow[] {
  return decomposition.outputs.map((output, position) => ({
    decompositionId,
    outputIndex: output.index,
    label: output.label,
    dimension: output.eigenvalues.length,
    // The core lists eigenvalues most positive first; the column holds them ascending.
    eigenvalues: float64Column(Float64Array.from(output.eigenvalues).reverse()),
    effectiveRank: output.effectiveRank,
    exactness: outputExactness(decomposition, position),
  }));
}

/**
 * The top-k eigenvectors of every output in model space and, when the model has one, input space:
 * positive eigenvalues descending, then negative ones ascending (most negative first).
 */
export function eigenvectorRows(
  decompositionId: string,
  decomposition: Decomposition,
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
    });
    const inputDim = pairs[0]?.vectorInput?.length;
    if (inputDim !== undefined) {
      rows.push({
        ...base,
        space: 'input',
        dimension: inputDim,
        vectors: stackRows(pairs, (pair) => pair.vectorInput as Float64Array, inputDim),
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

/**
 * The worst relative error of this output rebuilt as Σ λ (vᵀx)² over the exactness samples, each
 * sample's error divided by its largest output magnitude (the core's measure, per output).
 */
export function outputExactness(decomposition: Decomposition, position: number): number | null {
  const output: OutputDecomposition | undefined = decomposition.outputs[position];
  const forward = decomposition.forward;
  if (!output?.reconstructed || !forward) return null;
  const total = decomposition.outputs.length;
  const samples = output.reconstructed.length;
  let worst = 0;
  for (let s = 0; s < samples; s++) {
    let scale = 0;
    for (let j = 0; j < total; j++) scale = Math.max(scale, Math.abs(forward[s * total + j] as number));
    const error = Math.abs((output.reconstructed[s] as number) - (forward[s * total + position] as number));
    worst = Math.max(worst, error / (scale === 0 ? 1 : scale));
  }
  return worst;
}
