export {
  isLanguageModelCheckpoint,
  LANGUAGE_MODEL_CHECKPOINT_KEY,
  type LanguageModelCheckpoint,
  readLanguageModelCheckpoint,
  writeLanguageModelCheckpoint,
} from './checkpoint.js';
export {
  type CorpusTokens,
  type TokenizeCorpusOptions,
  tokenizeCorpus,
  tokenizeDataset,
} from './corpus-tokens.js';
export { initialLanguageModelParameters } from './initial-parameters.js';
export {
  CONFIG_FILE,
  type LanguageModelFolderFiles,
  languageModelFolderFiles,
  MODEL_FILE,
  type ReadLanguageModel,
  readLanguageModelFolderFiles,
  TOKENIZER_FILE,
} from './model-folder.js';
export {
  attentionScale,
  checkLanguageModelShape,
  headDim,
  inverseFrequencies,
  type LanguageModelShape,
  LanguageModelShapeError,
  languageModelConfigJson,
  languageModelParameterCount,
  languageModelParameterShapes,
  languageModelShape,
  languageModelShapeOf,
  type ParameterShape,
} from './model-shape.js';
export {
  DEFAULT_WARMUP,
  LANGUAGE_MODEL_LEARNING_RATE,
  LANGUAGE_MODEL_WEIGHT_DECAY,
  type LanguageModelRunSettings,
  LanguageModelSettingsError,
  languageModelRunOptions,
} from './run-options.js';
export {
  batchAt,
  concatenate,
  consecutiveWindows,
  holdOutTail,
  randomWindows,
  stepsPerEpoch,
  TokenDataError,
  type TokenSplits,
  type WindowSampling,
  windowRange,
} from './token-windows.js';
export {
  LANGUAGE_MODEL_BETAS,
  type LanguageModelEvaluation,
  type LanguageModelStepMetrics,
  type LanguageModelTrainCallbacks,
  LanguageModelTrainingCancelledError,
  type LanguageModelTrainingOptions,
  LanguageModelTrainingOptionsError,
  type LanguageModelTrainingResult,
  type LanguageModelTrainingState,
  languageModelRunSteps,
  meanLoss,
  trainLanguageModel,
} from './train-language-model.js';
export {
  accumulateGradients,
  disposeWeights,
  type LossSum,
  logitsOf,
  lossSumOf,
  type TokenWindows,
  type TransformerWeights,
  uploadWeights,
} from './transformer.js';
