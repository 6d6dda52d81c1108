import type { Dataset } from '@bilinear-lab/datasets';

export interface TopActivation {
  index: number;
  label: number;
  projection: number;
  /** λ (vᵀx)²: what this eigenvector adds to the class logit for this image. */
  contribution: number;
  pixels: number[];
}

export interface ActivationSummary {
  top: TopActivation[];
  histogram: { centres: number[]; counts: number[] };
  mean: number;
}

/** vᵀx over the test split: the images with the largest |λ (vᵀx)²| and a histogram of vᵀx. */
export function activationSummary(
  dataset: Dataset,
  vector: ArrayLike<number>,
  eigenvalue: number,
  topCount = 12,
  bins = 40,
): ActivationSummary {
  const { count, inputs, labels } = dataset.test;
  const dim = dataset.inputDim;
  const projections = new Float64Array(count);
  let sum = 0;
  for (let s = 0; s < count; s++) {
    let dot = 0;
    const offset = s * dim;
    for (let i = 0; i < dim; i++) dot += (vector[i] as number) * (inputs[offset + i] as number);
    projections[s] = dot;
    sum += dot;
  }
  const order = Array.from({ length: count }, (_, s) => s).sort(
    (a, b) => Math.abs(projections[b] as number) - Math.abs(projections[a] as number),
  );
  const top = order.slice(0, topCount).map((index) => {
    const projection = projections[index] as number;
    return {
      index,
      label: labels?.[index] ?? -1,
      projection,
      contribution: eigenvalue * projection * projection,
      // Three decimals are all the bundled digits carry.
      pixels: Array.from(
        inputs.subarray(index * dim, (index + 1) * dim),
        (value) => Math.round(value * 1000) / 1000,
      ),
    };
  });
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of projections) {
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  const width = max > min ? (max - min) / bins : 1;
  const counts = new Array<number>(bins).fill(0);
  for (const value of projections) {
    const bin = Math.min(bins - 1, Math.floor((value - min) / width));
    counts[bin] = (counts[bin] as number) + 1;
  }
  const centres = counts.map((_, bin) => min + (bin + 0.5) * width);
  return { top, histogram: { centres, counts }, mean: count > 0 ? sum / count : 0 };
}
