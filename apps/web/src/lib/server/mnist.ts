import type { Dataset } from '@bilinear-lab/datasets';

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

export async function testImage(
  index: number,
): Promise<{ pixels: Float32Array; label: number; count: number }> {
  const dataset = await mnist();
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
