import type { Dataset } from '@bilinear-lab/datasets';
import type { Model } from '../types';

// The bundled MNIST test split (2 000 digits): "pick a test image" and top-activating images. Loaded
// once per server process; the arrays are shared and read-only.
let pending: Promise<Dataset> | null = null;

/**
 * @bilinear-lab/datasets finds the digits through `createRequire(import.meta.url)`, which a bundle
 * breaks; the bundler ignores this import, so Node loads the package from node_modules at run time.
 */
function loadDatasetsPackage(): Promise<typeof import('@bilinear-lab/datasets')> {
  return import(/* turbopackIgnore: true */ /* webpackIgnore: true */ '@bilinear-lab/datasets');
}

export function mnist(): Promise<Dataset> {
  pending ??= loadDatasetsPackage()
    .then(({ loadBundledMnist }) => loadBundledMnist())
    .catch((error: unknown) => {
      pending = null;
      throw error;
    });
  return pending;
}

/**
 * The bundled digits when they are this model's test data — it was trained on them, or it is an
 * import without a dataset that has their shape — or why they are not (the dashboard reads no
 * uploaded dataset: its images stay in the platform's store).
 */
export async function bundledTestSet(model: Model): Promise<{ dataset: Dataset } | { reason: string }> {
  const datasets = await loadDatasetsPackage();
  const config = model.config as { inputDim?: unknown; outputDim?: unknown };
  if (model.dataset !== null) {
    const spec = datasets.parseDatasetSpec(model.dataset, { allow: datasets.PLATFORM_DATASET_KINDS });
    if (spec.kind !== 'mnist') {
      return {
        reason: `model ${model.name} was trained on ${model.dataset}, whose test images the dashboard does not read; draw an input instead`,
      };
    }
  } else {
    const misfit = datasets.fitsBundledMnist({
      inputDim: Number(config.inputDim),
      outputDim: Number(config.outputDim),
    });
    if (misfit !== null) return { reason: `model ${model.name} names no test data, and ${misfit}` };
  }
  return { dataset: await mnist() };
}

export async function testImage(
  dataset: Dataset,
  index: number,
): Promise<{ pixels: Float32Array; label: number; count: number }> {
  const count = dataset.test.count;
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(
      `test image ${index} does not exist: the bundled test split has images 0…${count - 1}`,
    );
  }
  const dim = dataset.inputDim;
  return {
    pixels: dataset.test.inputs.subarray(index * dim, (index + 1) * dim),
    label: dataset.test.labels?.[index] ?? -1,
    count,
  };
}
