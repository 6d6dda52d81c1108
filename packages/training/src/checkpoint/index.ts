export { CheckpointError, type CheckpointErrorCode } from './errors.js';
export {
  CHECKPOINT_METADATA_KEY,
  type ExportedModel,
  type ExportModelInput,
  type ImportedModel,
  readModelFile,
  writeModelFile,
} from './model-file.js';
export { modelConfigOf, networkShapeOf } from './model-shape.js';
export type { ReferenceTensor } from './tensors.js';
export {
  type ReadTrainingCheckpoint,
  readCheckpoint,
  type TrainingCheckpoint,
  writeCheckpoint,
} from './training-checkpoint.js';
