import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Dataset, Split } from '../dataset.js';
import { DatasetError } from '../dataset-error.js';
import { formatDatasetSpec } from '../dataset-spec.js';
import { MNIST_CLASSES } from '../mnist/mnist-layout.js';
import { gunzipIdx, megabytes } from './gunzip-idx.js';
import { fileError, type IdxArray, parseIdx } from './parse-idx.js';

/** Default cap on the four files' total size once decompressed: 1 GiB, twenty times MNIST's 53 MB. */
export const DEFAULT_MAX_IDX_BYTES = 1 << 30;

/** The four files of an MNIST-layout directory (MNIST, Fashion-MNIST, KMNIST), each plain or `.gz`. */
export const IDX_FILE_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export interface IdxDatasetOptions {
  /** Labels must lie in [0, classes). Default MNIST_CLASSES (10). */
  classes?: number;
  /** Default the directory's spec, `idx:<dir>`. */
  name?: string;
  /**
   * The most bytes the IDX data may take once decompressed (default DEFAULT_MAX_IDX_BYTES): the four
   * files together for idxDatasetFromBytes, each file for a directory. A gzip file whose header
   * promises more is refused before its data is inflated.
   */
  maxBytes?: number;
}

/** One IDX file read from disk, with the path it came from (the `.gz` one when that was used). */
export interface IdxFile {
  path: string;
  array: IdxArray;
}

/**
 * Loads train and test splits from the four IDX files in `dir`. ubyte pixels become float32 in [0, 1]
 * (value / 255); float32/float64 pixels are kept as stored. Throws DatasetError naming the file at fault.
 */
export async function loadIdxDataset(dir: string, options: IdxDatasetOptions = {}): Promise<Dataset> {
  // Read all four at once, but report the first failure in a fixed order so errors are reproducible.
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_IDX_BYTES;
  const settled = await Promise.allSettled(
    IDX_ROLES.map((role) => readIdxFile(dir, IDX_FILE_NAMES[role], maxBytes)),
  );
  const files = settled.map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  });
  const [trainImages, trainLabels, testImages, testLabels] = files as [IdxFile, IdxFile, IdxFile, IdxFile];
  return idxDataset(
    { trainImages, trainLabels, testImages, testLabels },
    {
      ...options,
      name: options.name ?? formatDatasetSpec({ kind: 'idx', dir }),
    },
  );
}

/** The four files' roles, in the order errors are reported. */
export const IDX_ROLES = ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const;
export type IdxRole = (typeof IDX_ROLES)[number];

/** One IDX file's bytes (plain or gzip) with the name it came with, for messages. */
export interface IdxBytes {
  name: string;
  bytes: Uint8Array;
}

/**
 * The same dataset from four files already in memory (uploads, artifacts from the database): each is
 * decompressed when gzip and parsed; errors name the file and say what is wrong with it.
 */
export async function idxDatasetFromBytes(
  files: Record<IdxRole, IdxBytes>,
  options: IdxDatasetOptions = {},
): Promise<Dataset> {
  const parsed = {} as Record<IdxRole, IdxFile>;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_IDX_BYTES;
  let used = 0;
  for (const role of IDX_ROLES) {
    const { name, bytes } = files[role];
    const plain = await decompress(bytes, name, maxBytes - used);
    used += plain.length;
    parsed[role] = { path: name, array: parseIdx(plain, name) };
  }
  return idxDataset(parsed, { name: 'idx', ...options });
}

function idxDataset(files: Record<IdxRole, IdxFile>, options: IdxDatasetOptions & { name: string }): Dataset {
  const classes = options.classes ?? MNIST_CLASSES;
  if (!Number.isInteger(classes) || classes < 1 || classes > 256) {
    throw new DatasetError('invalid-option', `classes must be an integer in 1..256, got ${classes}`);
  }
  const { trainImages, trainLabels, testImages, testLabels } = files;
  const train = toSplit(trainImages, trainLabels, classes);
  const test = toSplit(testImages, testLabels, classes);
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw fileError(
      'shape-mismatch',
      testImages.path,
      `images are ${test.rows}×${test.cols} but ${basename(trainImages.path)} has ${train.rows}×${train.cols}`,
    );
  }
  return {
    name: options.name,
    kind: 'classification',
    inputDim: train.rows * train.cols,
    outputDim: classes,
    imageShape: [train.rows, train.cols],
    train: train.split,
    test: test.split,
  };
}

/**
 * Reads `<dir>/<name>`, else `<dir>/<name>.gz`, decompressing gzip data (recognised by its magic bytes,
 * whatever the name) to at most `maxBytes`, and parses it as IDX.
 */
export async function readIdxFile(
  dir: string,
  name: string,
  maxBytes = DEFAULT_MAX_IDX_BYTES,
): Promise<IdxFile> {
  const candidates = [join(dir, name), join(dir, `${name}.gz`)];
  for (const path of candidates) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw fileError('unreadable-file', path, `cannot be read (${(error as Error).message})`);
    }
    return { path, array: parseIdx(await decompress(bytes, path, maxBytes), path) };
  }
  throw fileError(
    'missing-file',
    candidates[0] ?? name,
    `not found in ${dir} (looked for ${name} and ${name}.gz)`,
  );
}

/** `bytes` inflated when gzip, never to more than `maxBytes` (what is left of the dataset's budget). */
async function decompress(bytes: Uint8Array, path: string, maxBytes: number): Promise<Uint8Array> {
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (!gzipped) {
    if (path.endsWith('.gz')) throw fileError('corrupt-gzip', path, 'is named .gz but is not gzip data');
    if (bytes.length > maxBytes) {
      throw fileError(
        'too-large',
        path,
        `${megabytes(bytes.length)} is more than the ${megabytes(maxBytes)} left of this dataset's limit`,
      );
    }
    return bytes;
  }
  return gunzipIdx(bytes, path, maxBytes);
}

function toSplit(
  images: IdxFile,
  labels: IdxFile,
  classes: number,
): { split: Split; rows: number; cols: number } {
  const imageShape = images.array.shape;
  const [count = 0, rows = 0, cols = 0] = imageShape;
  if (imageShape.length !== 3) {
    throw fileError(
      'wrong-dimensions',
      images.path,
      `images need 3 dimensions (count × rows × cols) but the header declares ${imageShape.length} ` +
        `(${imageShape.join('×') || 'a scalar'})`,
    );
  }
  if (rows === 0 || cols === 0) {
    throw fileError('wrong-dimensions', images.path, `images are ${rows}×${cols}, which holds no pixels`);
  }
  const labelShape = labels.array.shape;
  if (labelShape.length !== 1) {
    throw fileError(
      'wrong-dimensions',
      labels.path,
      `labels need 1 dimension (count) but the header declares ${labelShape.length} ` +
        `(${labelShape.join('×') || 'a scalar'})`,
    );
  }
  const labelCount = labelShape[0] ?? 0;
  if (labelCount !== count) {
    throw fileError(
      'count-mismatch',
      labels.path,
      `has ${labelCount} labels but ${basename(images.path)} has ${count} images`,
    );
  }
  return {
    split: { count, inputs: pixels(images), labels: classLabels(labels, classes), targets: null },
    rows,
    cols,
  };
}

function pixels({ path, array }: IdxFile): Float32Array {
  const { type, data } = array;
  if (type === 'ubyte') {
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = (data[i] ?? 0) / 255;
    return out;
  }
  if (type === 'float32' || type === 'float64') {
    const out = Float32Array.from(data);
    // A float64 beyond float32's range becomes Infinity here, which is as unusable as one stored.
    const bad = out.findIndex((value) => !Number.isFinite(value));
    if (bad >= 0) {
      const perImage = (array.shape[1] ?? 1) * (array.shape[2] ?? 1);
      throw fileError(
        'non-finite-value',
        path,
        `pixel value ${data[bad]} at index ${bad} (image ${Math.floor(bad / perImage)}, pixel ${bad % perImage}) ` +
          `is not a finite number; ${type} images must hold finite values (${type === 'float64' ? 'within float32 range, ' : ''}no NaN or Infinity)`,
      );
    }
    return out;
  }
  throw fileError(
    'unsupported-type',
    path,
    `images stored as ${type} have no defined pixel scale (expected ubyte, float32 or float64)`,
  );
}

function classLabels({ path, array }: IdxFile, classes: number): Uint8Array {
  const out = new Uint8Array(array.data.length);
  for (let i = 0; i < array.data.length; i++) {
    const label = array.data[i] ?? 0;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw fileError(
        'label-out-of-range',
        path,
        `label ${label} at index ${i} is outside 0..${classes - 1} (${classes} classes)`,
      );
    }
    out[i] = label;
  }
  return out;
}
