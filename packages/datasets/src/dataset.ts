// The one shape every dataset takes, whatever its source: the training engine and the CLI see only this.

export type DatasetKind = 'classification' | 'regression';

/** One split, row-major: sample i's inputs are `inputs[i * inputDim … (i + 1) * inputDim)`. */
export interface Split {
  count: number;
  /** count × inputDim values (pixels in [0, 1] for image datasets, 0/1 for the toy task). */
  inputs: Float32Array;
  /** One class index per sample (classification), else null. */
  labels: Uint8Array | null;
  /** count × outputDim target values (regression), else null. */
  targets: Float32Array | null;
}

/**
 * A dataset with its train and test splits. The arrays of a cached dataset (the bundled MNIST) are
 * shared between callers: treat them as read-only and copy before changing them.
 */
export interface Dataset {
  name: string;
  kind: DatasetKind;
  inputDim: number;
  /** The number of classes (classification) or of target values per sample (regression). */
  outputDim: number;
  /** [rows, cols] when the inputs are images stored row by row, else null. */
  imageShape: [number, number] | null;
  train: Split;
  test: Split;
}
