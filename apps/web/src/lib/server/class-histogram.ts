// The distribution of vᵀx for the eigenvector's own class against every other class, on shared
// bins: an eigenvector of class c is worth reading when the two differ. Each group's counts are
// divided by its size (the target class is a tenth of the images), so the curves compare as shares.

export interface ClassHistogram {
  centres: number[];
  /** Share of the target class's images in each bin. */
  target: number[];
  /** Share of all other images in each bin. */
  rest: number[];
  targetCount: number;
  restCount: number;
}

export function classHistogram(
  inputs: ArrayLike<number>,
  count: number,
  labels: ArrayLike<number>,
  vector: ArrayLike<number>,
  targetLabel: number,
  bins = 40,
): ClassHistogram {
  const dim = vector.length;
  const projections = new Float64Array(count);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let s = 0; s < count; s++) {
    let dot = 0;
    for (let i = 0; i < dim; i++) dot += (vector[i] as number) * (inputs[s * dim + i] as number);
    projections[s] = dot;
    min = Math.min(min, dot);
    max = Math.max(max, dot);
  }
  const width = max > min ? (max - min) / bins : 1;
  const target = new Array<number>(bins).fill(0);
  const rest = new Array<number>(bins).fill(0);
  let targetCount = 0;
  for (let s = 0; s < count; s++) {
    const bin = Math.min(bins - 1, Math.floor(((projections[s] as number) - min) / width));
    const isTarget = labels[s] === targetLabel;
    if (isTarget) targetCount++;
    const counts = isTarget ? target : rest;
    counts[bin] = (counts[bin] as number) + 1;
  }
  const restCount = count - targetCount;
  return {
    centres: target.map((_, bin) => min + (bin + 0.5) * width),
    target: target.map((value) => (targetCount > 0 ? value / targetCount : 0)),
    rest: rest.map((value) => (restCount > 0 ? value / restCount : 0)),
    targetCount,
    restCount,
  };
}
