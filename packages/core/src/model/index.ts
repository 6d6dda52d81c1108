export {
  EXPECTED_LAYOUTS,
  type ImportModelOptions,
  importModel,
  ModelLayoutError,
  type ModelLayoutErrorCode,
} from './import.js';
export { matrix, multiplyTransposedVector, multiplyVector } from './matrix.js';
export type {
  BilinearLayer,
  BilinearModel,
  ImageClassifierModel,
  LanguageModel,
  LanguageModelLayer,
  Matrix,
} from './types.js';
