import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Dataset } from '../dataset.js';
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
  return idxDataset(await parseIdxBytes(files, options), { name: 'idx', ...options });
}

/** What four valid IDX files hold: the split sizes, the image shape and the class count. */
export interface IdxDatasetSummary {
  trainCount: number;
  testCount: number;
  rows: number;
  cols: number;
  classes: number;
}

/**
 * Every check idxDatasetFromBytes makes, with the same errors, without building the dataset: an
 * upload only needs to know the files are valid, and the float32 splits take 4 bytes a pixel (a
 * 200 MB ubyte upload would otherwise cost the API 800 MB more).
 */
export async function checkIdxDatasetBytes(
  files: Record<IdxRole, IdxBytes>,
  options: IdxDatasetOptions = {},
): Promise<IdxDatasetSummary> {
  const { train, test, classes } = checkIdxFiles(await parseIdxBytes(files, options), options);
  return { trainCount: train.count, testCount: test.count, rows: train.rows, cols: train.cols, classes };
}

async function parseIdxBytes(
  files: Record<IdxRole, IdxBytes>,
  options: IdxDatasetOptions,
): Promise<Record<IdxRole, IdxFile>> {
  const parsed = {} as Record<IdxRole, IdxFile>;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_IDX_BYTES;
  let used = 0;
  for (const role of IDX_ROLES) {
    const { name, bytes } = files[role];
    const plain = await decompress(bytes, name, maxBytes - used);
    used += plain.length;
    parsed[role] = { path: name, array: parseIdx(plain, name) };
  }
  return parsed;
}

function idxDataset(files: Record<IdxRole, IdxFile>, options: IdxDatasetOptions & { name: string }): Dataset {
  const { train, test, classes } = checkIdxFiles(files, options);
  return {
    name: options.name,
    kind: 'classification',
    inputDim: train.rows * train.cols,
    outputDim: classes,
    imageShape: [train.rows, train.cols],
    train: {
      count: train.count,
      inputs: pixels(files.trainImages.array),
      labels: classLabels(files.trainLabels.array),
      targets: null,
    },
    test: {
      count: test.count,
      inputs: pixels(files.testImages.array),
      labels: classLabels(files.testLabels.array),
      targets: null,
    },
  };
}

interface SplitShape {
  count: number;
  rows: number;
  cols: number;
}

/** Throws the first thing wrong with the four files, in a fixed order; else their shapes. */
function checkIdxFiles(
  files: Record<IdxRole, IdxFile>,
  options: IdxDatasetOptions,
): { train: SplitShape; test: SplitShape; classes: number } {
  const classes = options.classes ?? MNIST_CLASSES;
  if (!Number.isInteger(classes) || classes < 1 || classes > 256) {
    throw new DatasetError('invalid-option', `classes must be an integer in 1..256, got ${classes}`);
  }
  const { trainImages, trainLabels, testImages, testLabels } = files;
  const train = checkSplit(trainImages, trainLabels, classes);
  const test = checkSplit(testImages, testLabels, classes);
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw fileError(
      'shape-mismatch',
      testImages.path,
      `images are ${test.rows}×${test.cols} but ${basename(trainImages.path)} has ${train.rows}×${train.cols}`,
    );
  }
  return { train, test, classes };
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

function checkSplit(images: IdxFile, labels: IdxFile, classes: number): SplitShape {
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
  checkPixels(images);
  checkLabels(labels, classes);
  return { count, rows, cols };
}

function checkPixels({ path, array }: IdxFile): void {
  const { type, data } = array;
  if (type === 'ubyte') return;
  if (type === 'float32' || type === 'float64') {
    // A float64 beyond float32's range becomes Infinity in the float32 inputs: as unusable as one stored.
    const bad = data.findIndex((value) => !Number.isFinite(Math.fround(value)));
    if (bad >= 0) {
      const perImage = (array.shape[1] ?? 1) * (array.shape[2] ?? 1);
      throw fileError(
        'non-finite-value',
        path,
        `pixel value ${data[bad]} at index ${bad} (image ${Math.floor(bad / perImage)}, pixel ${bad % perImage}) ` +
          `is not a finite number; ${type} images must hold finite values (${type === 'float64' ? 'within float32 range, ' : ''}no NaN or Infinity)`,
      );
    }
    return;
  }
  throw fileError(
    'unsupported-type',
    path,
    `images stored as ${type} have no defined pixel scale (expected ubyte, float32 or float64)`,
  );
}

function checkLabels({ path, array }: IdxFile, classes: number): void {
  for (let i = 0; i < array.data.length; i++) {
    const label = array.data[i] ?? 0;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw fileError(
        'label-out-of-range',
        path,
        `label ${label} at index ${i} is outside 0..${classes - 1} (${classes} classes)`,
      );
    }
  }
}

/** Checked pixels as float32 inputs: ubyte scaled to [0, 1], floats kept as stored. */
function pixels({ type, data }: IdxArray): Float32Array {
  if (type !== 'ubyte') return Float32Array.from(data);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i] ?? 0) / 255;
  return out;
}

/** Checked labels (integers in 0..classes-1) as bytes. */
function classLabels({ data }: IdxArray): Uint8Array {
  return Uint8Array.from(data);
}
