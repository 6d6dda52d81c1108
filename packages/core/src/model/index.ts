export {
  CONFIG_METADATA_KEY,
  checkModelConfig,
  checkShapes,
  describeConfig,
  GATES,
  type Gate,
  inferModelConfig,
  LOSSES,
  type Loss,
  listNames,
  type ModelConfig,
  ModelConfigError,
  type ModelConfigErrorCode,
  type ModelConfigJson,
  type ModelKind,
  modelConfigFromJson,
  modelConfigToJson,
  referenceShapes,
} from './config.js';
export {
  type ClassifierFileConfig,
  classifierFileConfig,
  declaredConfigOptions,
  type LanguageModelFileConfig,
  languageModelFileConfig,
  languageModelRecord,
  type ModelConfigOptions,
} from './file-config.js';
export { gateActivation, notBilinearReason } from './gate.js';
export {
  EXPECTED_LAYOUTS,
  type ImportModelOptions,
  type InspectedLanguageModel,
  importModel,
  inspectLanguageModel,
  type ModelLayout,
  ModelLayoutError,
  type ModelLayoutErrorCode,
  modelLayoutOf,
} from './import.js';
export {
  isLanguageModelConfigJson,
  type LanguageModelConfig,
  languageModelConfigFromJson,
} from './language-model-config.js';
export {
  hookValues,
  type Intervention,
  LanguageModelForwardError,
  type LanguageModelLoss,
  type LanguageModelTrace,
  languageModelLogits,
  languageModelLoss,
  sampleMlpInputs,
  traceLanguageModel,
} from './language-model-forward.js';
export { type SamplingOptions, sampleTokens } from './language-model-sampling.js';
export { matrix, multiplyTransposedVector, multiplyVector } from './matrix.js';
export {
  type ClassifierReference,
  type LanguageModelReference,
  type ReferenceForward,
  referenceForward,
} from './reference-forward.js';
export {
  encodeSparse,
  HOOK_POINTS,
  type HookPoint,
  importSparseAutoencoder,
  type SaeImportOptions,
  type SparseAutoencoder,
  saeEncoderRow,
} from './sparse-autoencoder.js';
export type {
  AttentionWeights,
  BilinearLayer,
  BilinearModel,
  ConfigSource,
  ImageClassifierModel,
  LanguageModel,
  LanguageModelLayer,
  Matrix,
} from './types.js';
