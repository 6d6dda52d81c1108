// Whether a model's shape matches a dataset's: the one check the CLI, the API's model import and the
// worker's analyses make before running a model on data.
import type { Dataset } from './dataset.js';
import { formatDatasetSpec } from './dataset-spec.js';
import { MNIST_CLASSES, MNIST_PIXELS } from './mnist/mnist-layout.js';

/** What a model reads and what it predicts (classes, or regression targets). */
export interface ModelShape {
  inputDim: number;
  outputDim: number;
}

/** The part of a dataset a model's shape is checked against. */
export type DatasetShape = Pick<Dataset, 'name' | 'kind' | 'inputDim' | 'outputDim'>;

/** The bundled digits' shape, known without loading them. */
const BUNDLED_MNIST_SHAPE: DatasetShape = {
  name: formatDatasetSpec({ kind: 'mnist' }),
  kind: 'classification',
  inputDim: MNIST_PIXELS,
  outputDim: MNIST_CLASSES,
};

/** Null when the model reads the dataset's inputs and predicts its outputs, else a sentence saying why not. */
export function fitsDataset(model: ModelShape, dataset: DatasetShape): string | null {
  if (model.inputDim !== dataset.inputDim) {
    return `the model reads ${model.inputDim} inputs, but ${dataset.name} has ${dataset.inputDim}`;
  }
  if (model.outputDim !== dataset.outputDim) {
    const outputs = dataset.kind === 'classification' ? 'classes' : 'targets';
    return `the model has ${model.outputDim} outputs, but ${dataset.name} has ${dataset.outputDim} ${outputs}`;
  }
  return null;
}

/** fitsDataset against the bundled digits (784 pixels in, 10 classes out). */
export function fitsBundledMnist(model: ModelShape): string | null {
  return fitsDataset(model, BUNDLED_MNIST_SHAPE);
}
