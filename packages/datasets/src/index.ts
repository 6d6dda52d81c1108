// Datasets for training and analysis: the bundled MNIST digits, IDX directories, the toy boolean task.
export type { Dataset, DatasetKind, Split } from './dataset.js';
export { datasetChecksum } from './dataset-checksum.js';
export { DatasetError, type DatasetErrorCode } from './dataset-error.js';
export {
  DATASET_SPEC_FORMS,
  type DatasetSpec,
  type DatasetSpecKind,
  type DatasetSpecOf,
  describeDatasetSpecs,
  formatDatasetSpec,
  LOCAL_DATASET_KINDS,
  type LocalDatasetSpec,
  PLATFORM_DATASET_KINDS,
  type PlatformDatasetSpec,
  parseDatasetSpec,
} from './dataset-spec.js';
export { type DatasetShape, fitsBundledMnist, fitsDataset, type ModelShape } from './fits-dataset.js';
export { encodeIdx } from './idx/encode-idx.js';
export {
  checkIdxDatasetBytes,
  DEFAULT_MAX_IDX_BYTES,
  IDX_FILE_NAMES,
  IDX_ROLES,
  type IdxBytes,
  type IdxDatasetOptions,
  type IdxDatasetSummary,
  type IdxFile,
  type IdxRole,
  idxDatasetFromBytes,
  loadIdxDataset,
  readIdxFile,
} from './idx/load-idx-dataset.js';
export {
  type IdxArray,
  type IdxData,
  type IdxHeader,
  type IdxType,
  parseIdx,
  parseIdxHeader,
} from './idx/parse-idx.js';
export { loadDataset } from './load-dataset.js';
export { centreLikeMnist, MNIST_SIDE } from './mnist/centre-like-mnist.js';
export { loadBundledMnist } from './mnist/load-bundled-mnist.js';
export { BUNDLED_MNIST_SPLIT, MNIST_CLASSES, MNIST_IMAGE_SHAPE, MNIST_PIXELS } from './mnist/mnist-layout.js';
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
export { TOY_DEFAULT_SEED, TOY_MAX_SEED } from './toy/toy-seed.js';
