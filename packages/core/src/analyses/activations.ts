// How one eigenvector reads a dataset: vᵀx for every input, the inputs it responds to most
// (largest |λ (vᵀx)²|, what it adds to its output's logit), and the distribution of vᵀx.

export interface TopActivation {
  /** The input's position in the dataset. */
  index: number;
  /** Its label, or -1 without labels. */
  label: number;
  projection: number;
  /** λ (vᵀx)²: what this eigenvector adds to its output for this input. */
  contribution: number;
}

export interface ActivationSummary {
  top: TopActivation[];
  histogram: { centres: number[]; counts: number[] };
  mean: number;
}

export interface ActivationOptions {
  /** Inputs listed in `top` (default 12). */
  topCount?: number;
  /** Histogram bins over [min, max] of vᵀx (default 40). */
  bins?: number;
}

/**
 * vᵀx over `count` inputs (row-major, count × vector.length): the inputs with the largest
 * |λ (vᵀx)²| and a histogram of vᵀx.
 */
export function activationSummary(
  inputs: ArrayLike<number>,
  count: number,
  labels: ArrayLike<number> | null,
  vector: ArrayLike<number>,
  eigenvalue: number,
  options: ActivationOptions = {},
): ActivationSummary {
  const topCount = options.topCount ?? 12;
  const bins = options.bins ?? 40;
  const dim = vector.length;
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
