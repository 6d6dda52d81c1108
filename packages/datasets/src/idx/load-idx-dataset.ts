import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Dataset, Split } from '../dataset.js';
import { DatasetError } from '../dataset-error.js';
import { formatDatasetSpec } from '../dataset-spec.js';
import { MNIST_CLASSES } from '../mnist/mnist-layout.js';
import { fileError, type IdxArray, parseIdx } from './parse-idx.js';

const gunzipAsync = promisify(gunzip);

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
  const settled = await Promise.allSettled(IDX_ROLES.map((role) => readIdxFile(dir, IDX_FILE_NAMES[role])));
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
  for (const role of IDX_ROLES) {
    const { name, bytes } = files[role];
    parsed[role] = { path: name, array: parseIdx(await decompress(bytes, name), name) };
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
 * whatever the name), and parses it as IDX.
 */
export async function readIdxFile(dir: string, name: string): Promise<IdxFile> {
  const candidates = [join(dir, name), join(dir, `${name}.gz`)];
  for (const path of candidates) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw fileError('unreadable-file', path, `cannot be read (${(error as Error).message})`);
    }
    return { path, array: parseIdx(await decompress(bytes, path), path) };
  }
  throw fileError(
    'missing-file',
    candidates[0] ?? name,
    `not found in ${dir} (looked for ${name} and ${name}.gz)`,
  );
}

async function decompress(bytes: Uint8Array, path: string): Promise<Uint8Array> {
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (!gzipped) {
    if (path.endsWith('.gz')) throw fileError('corrupt-gzip', path, 'is named .gz but is not gzip data');
    return bytes;
  }
  try {
    return await gunzipAsync(bytes);
  } catch (error) {
    throw fileError('corrupt-gzip', path, `does not decompress (${(error as Error).message})`);
  }
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
  if (type === 'float32' || type === 'float64') return Float32Array.from(data);
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
