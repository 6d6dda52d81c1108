import { mkdir, mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetError, type DatasetErrorCode } from '../dataset-error.js';
import { encodeIdx } from './encode-idx.js';
import {
  checkIdxDatasetBytes,
  IDX_FILE_NAMES,
  IDX_ROLES,
  idxDatasetFromBytes,
  loadIdxDataset,
} from './load-idx-dataset.js';
import type { IdxArray } from './parse-idx.js';

const ROWS = 4;
const COLS = 3;

/** count images whose pixel p of image i is (7 i + p) mod 256, and labels i mod 10. */
function images(count: number, rows = ROWS, cols = COLS): IdxArray {
  const data = new Uint8Array(count * rows * cols);
  for (let i = 0; i < data.length; i++)
    data[i] = (7 * Math.floor(i / (rows * cols)) + (i % (rows * cols))) % 256;
  return { type: 'ubyte', shape: [count, rows, cols], data };
}

function labels(count: number): IdxArray {
  return { type: 'ubyte', shape: [count], data: Uint8Array.from({ length: count }, (_, i) => i % 10) };
}

type FileKey = keyof typeof IDX_FILE_NAMES;

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bilinear-lab-idx-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Replaces the directory's contents with a valid 12-train / 5-test set, with per-file replacements (raw
 * bytes or an IDX array).
 */
async function writeDir(
  options: { gzip?: boolean; replace?: Partial<Record<FileKey, IdxArray | Uint8Array>> } = {},
): Promise<void> {
  const arrays: Record<FileKey, IdxArray | Uint8Array> = {
    trainImages: images(12),
    trainLabels: labels(12),
    testImages: images(5),
    testLabels: labels(5),
    ...options.replace,
  };
  for (const name of await readdir(dir)) await unlink(join(dir, name));
  for (const key of Object.keys(IDX_FILE_NAMES) as FileKey[]) {
    const content = arrays[key];
    const bytes = content instanceof Uint8Array ? content : encodeIdx(content);
    const name = IDX_FILE_NAMES[key] + (options.gzip ? '.gz' : '');
    await writeFile(join(dir, name), options.gzip ? gzipSync(bytes) : bytes);
  }
}

async function loadError(code: DatasetErrorCode): Promise<DatasetError> {
  let caught: unknown;
  try {
    await loadIdxDataset(dir);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DatasetError);
  const error = caught as DatasetError;
  expect(error.code).toBe(code);
  return error;
}

describe('loadIdxDataset', () => {
  for (const gzip of [false, true]) {
    it(`reads ${gzip ? 'gzipped' : 'plain'} files back, pixels scaled to [0, 1]`, async () => {
      await writeDir({ gzip });
      const dataset = await loadIdxDataset(dir);
      expect(dataset).toMatchObject({
        name: `idx:${dir}`,
        kind: 'classification',
        inputDim: ROWS * COLS,
        outputDim: 10,
        imageShape: [ROWS, COLS],
      });
      expect(dataset.train.count).toBe(12);
      expect(dataset.test.count).toBe(5);
      expect(dataset.train.targets).toBeNull();
      expect(Array.from(dataset.train.labels ?? [])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
      const source = images(12).data;
      expect(dataset.train.inputs.length).toBe(source.length);
      for (let i = 0; i < source.length; i++) {
        expect(dataset.train.inputs[i]).toBe(Math.fround((source[i] ?? 0) / 255));
      }
      expect(Array.from(dataset.test.inputs.subarray(0, 3))).toEqual([
        0,
        Math.fround(1 / 255),
        Math.fround(2 / 255),
      ]);
    });
  }

  it('maps 0 → 0 and 255 → 1 exactly', async () => {
    const extremes: IdxArray = { type: 'ubyte', shape: [1, 1, 2], data: Uint8Array.from([0, 255]) };
    const one: IdxArray = { type: 'ubyte', shape: [1], data: Uint8Array.from([3]) };
    await writeDir({
      replace: { trainImages: extremes, trainLabels: one, testImages: extremes, testLabels: one },
    });
    const dataset = await loadIdxDataset(dir);
    expect(Array.from(dataset.train.inputs)).toEqual([0, 1]);
    expect(dataset.imageShape).toEqual([1, 2]);
  });

  it('accepts float32 images and int32 labels, and a gzipped file without the .gz name', async () => {
    const floats: IdxArray = {
      type: 'float32',
      shape: [2, 2, 2],
      data: Float32Array.from([0, 0.5, 1, 0.25, 0, 0, 0, 1]),
    };
    const intLabels: IdxArray = { type: 'int32', shape: [2], data: Int32Array.from([9, 0]) };
    await writeDir({ replace: { trainImages: floats, trainLabels: intLabels } });
    await writeFile(join(dir, IDX_FILE_NAMES.testImages), gzipSync(encodeIdx(images(5, 2, 2))));
    const dataset = await loadIdxDataset(dir);
    expect(Array.from(dataset.train.inputs)).toEqual([0, 0.5, 1, 0.25, 0, 0, 0, 1]);
    expect(Array.from(dataset.train.labels ?? [])).toEqual([9, 0]);
    expect(dataset.test.count).toBe(5);
  });

  it('honours a different class count', async () => {
    await writeDir();
    await expect(loadIdxDataset(dir, { classes: 12 })).resolves.toMatchObject({ outputDim: 12 });
    await expect(loadIdxDataset(dir, { classes: 5 })).rejects.toMatchObject({ code: 'label-out-of-range' });
    await expect(loadIdxDataset(dir, { classes: 0 })).rejects.toMatchObject({ code: 'invalid-option' });
  });

  it('names a missing file', async () => {
    await writeDir({ gzip: true });
    await unlink(join(dir, `${IDX_FILE_NAMES.testLabels}.gz`));
    const error = await loadError('missing-file');
    expect(error.message).toBe(
      `t10k-labels-idx1-ubyte: not found in ${dir} (looked for t10k-labels-idx1-ubyte and t10k-labels-idx1-ubyte.gz)`,
    );
    expect(error.file).toBe(join(dir, IDX_FILE_NAMES.testLabels));
  });

  it('reports a missing directory as a missing file', async () => {
    await expect(loadIdxDataset(join(dir, 'nope'))).rejects.toMatchObject({ code: 'missing-file' });
  });

  it('prefers the plain file when both names exist', async () => {
    await writeDir();
    await writeFile(join(dir, `${IDX_FILE_NAMES.testLabels}.gz`), 'not read');
    await expect(loadIdxDataset(dir)).resolves.toMatchObject({ test: { count: 5 } });
  });

  it('names a file it cannot read', async () => {
    await writeDir();
    await unlink(join(dir, IDX_FILE_NAMES.trainImages));
    await mkdir(join(dir, IDX_FILE_NAMES.trainImages));
    const error = await loadError('unreadable-file');
    expect(error.message).toMatch(/^train-images-idx3-ubyte: cannot be read \(.*EISDIR/);
  });

  it('names a truncated file', async () => {
    const full = encodeIdx(images(12));
    await writeDir({ replace: { trainImages: full.subarray(0, full.length - 10) } });
    const error = await loadError('truncated');
    expect(error.message).toBe(
      'train-images-idx3-ubyte: dimensions 12×4×3 of ubyte need 144 data bytes but the file has 134',
    );
    expect(error.file).toBe(join(dir, IDX_FILE_NAMES.trainImages));
  });

  it('names a file with bad magic', async () => {
    const bytes = encodeIdx(labels(5));
    bytes[0] = 0x42;
    await writeDir({ replace: { testLabels: bytes } });
    const error = await loadError('bad-magic');
    expect(error.message).toMatch(/^t10k-labels-idx1-ubyte: not an IDX file: it starts with 0x42 0x00/);
  });

  it('refuses images that are not 3-D and labels that are not 1-D', async () => {
    const flat: IdxArray = { type: 'ubyte', shape: [12, 12], data: images(12).data };
    await writeDir({ replace: { trainImages: flat } });
    expect((await loadError('wrong-dimensions')).message).toBe(
      'train-images-idx3-ubyte: images need 3 dimensions (count × rows × cols) but the header declares 2 (12×12)',
    );
    const grid: IdxArray = { type: 'ubyte', shape: [5, 1], data: labels(5).data };
    await writeDir({ gzip: true, replace: { testLabels: grid } });
    expect((await loadError('wrong-dimensions')).message).toBe(
      't10k-labels-idx1-ubyte.gz: labels need 1 dimension (count) but the header declares 2 (5×1)',
    );
  });

  it('refuses images without pixels', async () => {
    await writeDir({ replace: { trainImages: images(12, 0, 3) } });
    expect((await loadError('wrong-dimensions')).message).toMatch(/images are 0×3, which holds no pixels/);
  });

  it('names the label file when counts differ', async () => {
    await writeDir({ gzip: true, replace: { trainLabels: labels(11) } });
    const error = await loadError('count-mismatch');
    expect(error.message).toBe(
      'train-labels-idx1-ubyte.gz: has 11 labels but train-images-idx3-ubyte.gz has 12 images',
    );
    expect(error.file).toBe(join(dir, `${IDX_FILE_NAMES.trainLabels}.gz`));
  });

  it('names a label out of range', async () => {
    const bad = labels(5);
    bad.data[3] = 10;
    await writeDir({ replace: { testLabels: bad } });
    expect((await loadError('label-out-of-range')).message).toBe(
      't10k-labels-idx1-ubyte: label 10 at index 3 is outside 0..9 (10 classes)',
    );
    const negative: IdxArray = { type: 'int8', shape: [5], data: Int8Array.from([0, 1, -1, 2, 3]) };
    await writeDir({ replace: { testLabels: negative } });
    expect((await loadError('label-out-of-range')).message).toMatch(/label -1 at index 2/);
    const fractional: IdxArray = { type: 'float32', shape: [5], data: Float32Array.from([0, 1, 2, 2.5, 3]) };
    await writeDir({ replace: { testLabels: fractional } });
    expect((await loadError('label-out-of-range')).message).toMatch(/label 2.5 at index 3/);
  });

  it('names a corrupt gzip file', async () => {
    await writeDir({ gzip: true });
    const gz = gzipSync(encodeIdx(images(5)));
    await writeFile(join(dir, `${IDX_FILE_NAMES.testImages}.gz`), gz.subarray(0, gz.length - 12));
    const cut = await loadError('corrupt-gzip');
    expect(cut.message).toMatch(/^t10k-images-idx3-ubyte\.gz: does not decompress \(.+\)$/);
    const flipped = Uint8Array.from(gz);
    flipped[12] = (flipped[12] ?? 0) ^ 0xff;
    flipped[13] = (flipped[13] ?? 0) ^ 0xff;
    await writeFile(join(dir, `${IDX_FILE_NAMES.testImages}.gz`), flipped);
    expect((await loadError('corrupt-gzip')).file).toBe(join(dir, `${IDX_FILE_NAMES.testImages}.gz`));
    await writeFile(join(dir, `${IDX_FILE_NAMES.testImages}.gz`), encodeIdx(images(5)));
    expect((await loadError('corrupt-gzip')).message).toBe(
      't10k-images-idx3-ubyte.gz: is named .gz but is not gzip data',
    );
  });

  it('refuses trailing bytes, mismatched train/test shapes and int16 pixels', async () => {
    const full = encodeIdx(labels(12));
    await writeDir({ replace: { trainLabels: Uint8Array.from([...full, 0]) } });
    expect((await loadError('trailing-data')).message).toMatch(/^train-labels-idx1-ubyte: .*\(1 extra\)$/);
    await writeDir({ replace: { testImages: images(5, 3, 4) } });
    expect((await loadError('shape-mismatch')).message).toBe(
      't10k-images-idx3-ubyte: images are 3×4 but train-images-idx3-ubyte has 4×3',
    );
    const wide: IdxArray = { type: 'int16', shape: [12, 4, 3], data: new Int16Array(144) };
    await writeDir({ replace: { trainImages: wide } });
    expect((await loadError('unsupported-type')).message).toMatch(
      /images stored as int16 have no defined pixel scale/,
    );
  });

  it('reports the first bad file in a fixed order', async () => {
    await writeDir({ replace: { trainLabels: Uint8Array.from([9]), testImages: Uint8Array.from([9]) } });
    for (let i = 0; i < 3; i++)
      expect((await loadError('truncated')).file).toBe(join(dir, IDX_FILE_NAMES.trainLabels));
  });
});

/** The valid 12-train / 5-test set as in-memory files, with per-file replacements. */
const files = (gzip: boolean, replace: Partial<Record<FileKey, Uint8Array>> = {}) => {
  const arrays = {
    trainImages: images(12),
    trainLabels: labels(12),
    testImages: images(5),
    testLabels: labels(5),
  };
  return Object.fromEntries(
    IDX_ROLES.map((role) => {
      const bytes = replace[role] ?? encodeIdx(arrays[role]);
      return [
        role,
        { name: `${IDX_FILE_NAMES[role]}${gzip ? '.gz' : ''}`, bytes: gzip ? gzipSync(bytes) : bytes },
      ];
    }),
  ) as Record<FileKey, { name: string; bytes: Uint8Array }>;
};

describe('idxDatasetFromBytes', () => {
  it('reads in-memory files (plain or gzip) exactly as loadIdxDataset reads them from disk', async () => {
    await writeDir();
    const fromDisk = await loadIdxDataset(dir);
    for (const gzip of [false, true]) {
      const fromBytes = await idxDatasetFromBytes(files(gzip));
      expect(fromBytes.train).toEqual(fromDisk.train);
      expect(fromBytes.test).toEqual(fromDisk.test);
      expect(fromBytes.imageShape).toEqual([ROWS, COLS]);
    }
  });

  it('names the uploaded file at fault', async () => {
    const broken = files(false, { testLabels: new Uint8Array([0, 0, 8, 1, 0, 0, 0, 9]) });
    await expect(idxDatasetFromBytes(broken)).rejects.toThrow(new RegExp(`^${IDX_FILE_NAMES.testLabels}: `));
  });
});

describe('gzip bombs and non-finite pixels', () => {
  /** A valid IDX header for `count` images of 28×28 ubyte, followed by `dataBytes` zero bytes. */
  function mnistHeader(count: number, dataBytes: number): Uint8Array {
    const bytes = new Uint8Array(16 + dataBytes);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 0x0803, false); // 0x00 0x00, ubyte, 3 dimensions
    view.setUint32(4, count, false);
    view.setUint32(8, 28, false);
    view.setUint32(12, 28, false);
    return bytes;
  }

  const withTrainImages = (bytes: Uint8Array, name = `${IDX_FILE_NAMES.trainImages}.gz`) => ({
    trainImages: { name, bytes },
    trainLabels: { name: IDX_FILE_NAMES.trainLabels, bytes: encodeIdx(labels(12)) },
    testImages: { name: IDX_FILE_NAMES.testImages, bytes: encodeIdx(images(5)) },
    testLabels: { name: IDX_FILE_NAMES.testLabels, bytes: encodeIdx(labels(5)) },
  });

  async function rejection(promise: Promise<unknown>): Promise<DatasetError> {
    const caught = await promise.then(
      () => null,
      (error: unknown) => error,
    );
    expect(caught).toBeInstanceOf(DatasetError);
    return caught as DatasetError;
  }

  it('stops inflating zeros (no IDX header) at the first chunk: bad magic', async () => {
    const bomb = gzipSync(new Uint8Array(256 << 20), { level: 9 });
    const started = performance.now();
    const error = await rejection(idxDatasetFromBytes(withTrainImages(bomb)));
    expect(error.code).toBe('bad-magic');
    expect(error.message).toMatch(/^train-images-idx3-ubyte\.gz: unknown IDX type code 0x00/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('stops a stream that goes on past the size its header promises', async () => {
    // The header promises 12 images (9 408 bytes of pixels); the stream carries 64 MB of them.
    const bomb = gzipSync(mnistHeader(12, 64 << 20), { level: 9 });
    const error = await rejection(idxDatasetFromBytes(withTrainImages(bomb)));
    expect(error.code).toBe('trailing-data');
    expect(error.message).toBe(
      'train-images-idx3-ubyte.gz: decompresses to more than the 9424 bytes its header promises ' +
        '(dimensions 12×28×28 of ubyte); decompression was stopped there',
    );
  });

  it('refuses a header that promises more than the limit, before inflating its data', async () => {
    const bomb = gzipSync(mnistHeader(100_000, 1 << 20));
    const error = await rejection(idxDatasetFromBytes(withTrainImages(bomb), { maxBytes: 64 << 20 }));
    expect(error.code).toBe('too-large');
    expect(error.message).toBe(
      'train-images-idx3-ubyte.gz: its header promises dimensions 100000×28×28 of ubyte, 74.8 MB once ' +
        "decompressed, more than the 64.0 MB allowed for this dataset's decompressed files",
    );
    expect(error.file).toBe(`${IDX_FILE_NAMES.trainImages}.gz`);
  });

  it('counts the limit over the four files together', async () => {
    const all = files(true);
    // 4 files: train images 16 + 144, train labels 8 + 12, test images 16 + 60, test labels 8 + 5.
    await expect(idxDatasetFromBytes(all, { maxBytes: 160 + 20 + 76 + 13 })).resolves.toBeDefined();
    const error = await rejection(idxDatasetFromBytes(all, { maxBytes: 160 + 20 + 76 + 12 }));
    expect(error.code).toBe('too-large');
    expect(error.file).toBe(`${IDX_FILE_NAMES.testLabels}.gz`);
  });

  it('still reads a gzip file split over several members, and calls a short stream truncated', async () => {
    const whole = encodeIdx(images(12));
    const twoMembers = Buffer.concat([gzipSync(whole.subarray(0, 50)), gzipSync(whole.subarray(50))]);
    const dataset = await idxDatasetFromBytes(withTrainImages(twoMembers, IDX_FILE_NAMES.trainImages));
    expect(dataset.train.count).toBe(12);
    const short = gzipSync(whole.subarray(0, whole.length - 1));
    expect((await rejection(idxDatasetFromBytes(withTrainImages(short)))).code).toBe('truncated');
    const headerOnly = gzipSync(whole.subarray(0, 10));
    expect((await rejection(idxDatasetFromBytes(withTrainImages(headerOnly)))).code).toBe('truncated');
  });

  for (const [type, value] of [
    ['float32', Number.NaN],
    ['float32', Number.POSITIVE_INFINITY],
    ['float64', 1e300],
  ] as const) {
    it(`refuses ${type} images holding ${value}, naming the first bad index`, async () => {
      const data =
        type === 'float32' ? new Float32Array(12 * ROWS * COLS) : new Float64Array(12 * ROWS * COLS);
      data[30] = value;
      data[40] = value;
      await writeDir({ replace: { trainImages: { type, shape: [12, ROWS, COLS], data } } });
      const error = await loadError('non-finite-value');
      expect(error.message).toMatch(
        new RegExp(
          `^train-images-idx3-ubyte: pixel value ${String(value).replace('+', '\\+')} at index 30 \\(image 2, pixel 6\\) is not a finite number`,
        ),
      );
    });
  }
});

describe('checkIdxDatasetBytes', () => {
  it('summarises valid files as idxDatasetFromBytes reads them', async () => {
    for (const gzip of [false, true]) {
      const dataset = await idxDatasetFromBytes(files(gzip), { classes: 12 });
      expect(await checkIdxDatasetBytes(files(gzip), { classes: 12 })).toEqual({
        trainCount: dataset.train.count,
        testCount: dataset.test.count,
        rows: dataset.imageShape?.[0],
        cols: dataset.imageShape?.[1],
        classes: dataset.outputDim,
      });
    }
  });

  it('throws the same error as idxDatasetFromBytes for each kind of bad file', async () => {
    const nan = new Float32Array(5 * ROWS * COLS);
    nan[7] = Number.NaN;
    const bad: Partial<Record<FileKey, Uint8Array>>[] = [
      { trainLabels: encodeIdx(labels(11)) },
      { testLabels: encodeIdx({ type: 'ubyte', shape: [5], data: Uint8Array.from([0, 1, 2, 10, 3]) }) },
      { testImages: encodeIdx(images(5, 3, 4)) },
      { testImages: encodeIdx({ type: 'float32', shape: [5, ROWS, COLS], data: nan }) },
      { trainImages: encodeIdx({ type: 'int16', shape: [12, ROWS, COLS], data: new Int16Array(144) }) },
      { trainImages: encodeIdx(images(12)).subarray(0, 20) },
    ];
    for (const replace of bad) {
      const [full, checked] = await Promise.all([
        idxDatasetFromBytes(files(true, replace)).catch((error: unknown) => error),
        checkIdxDatasetBytes(files(true, replace)).catch((error: unknown) => error),
      ]);
      expect(full).toBeInstanceOf(DatasetError);
      expect(checked).toEqual(full);
      expect((checked as DatasetError).message).toBe((full as DatasetError).message);
    }
  });
});
