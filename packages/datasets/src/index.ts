// Datasets for training and analysis: the bundled MNIST digits, IDX directories, the toy boolean task.
export type { Dataset, DatasetKind, Split } from './dataset.js';
export { datasetChecksum } from './dataset-checksum.js';
export { DatasetError, type DatasetErrorCode } from './dataset-error.js';
export { encodeIdx } from './idx/encode-idx.js';
export {
  IDX_FILE_NAMES,
  IDX_ROLES,
  type IdxBytes,
  type IdxDatasetOptions,
  type IdxFile,
  type IdxRole,
  idxDatasetFromBytes,
  loadIdxDataset,
  readIdxFile,
} from './idx/load-idx-dataset.js';
export { type IdxArray, type IdxData, type IdxType, parseIdx } from './idx/parse-idx.js';
export { DATASET_SPEC_FORMS, loadDataset } from './load-dataset.js';
export { BUNDLED_MNIST_SPLIT, loadBundledMnist } from './mnist/load-bundled-mnist.js';
export { mersenneTwister, torchRandperm } from './random/mersenne-twister.js';
export {
  generateToyTask,
  TOY_DEFAULT_COUNT,
  TOY_DEFAULT_PROBABILITY,
  TOY_INPUTS,
  TOY_OPERATIONS,
  TOY_PAIRS,
  type ToyOperation,
  type ToyTaskOptions,
} from './toy/generate-toy-task.js';
