export {
  type ActivationBufferOptions,
  type ActivationPass,
  ActivationSourceError,
  ShuffledActivationBuffer,
} from './activation-buffer.js';
export { hookActivationPass, TRAINABLE_HOOK_POINTS, type TrainableHookPoint } from './hook-activations.js';
export { type SaeFolderFiles, type SaeFolderSettings, saeFolderFiles } from './sae-folder.js';
export {
  normaliseColumns,
  SAE_BETAS,
  SAE_EPS,
  SAE_MIN_LR,
  SaeOptimizer,
  type SaeStepMetrics,
  SaeTrainingDivergedError,
  saeLearningRates,
  TopKSaeTrainer,
} from './sae-optimizer.js';
export {
  defaultBufferRows,
  planSaeRun,
  runSae,
  type SaeRunCallbacks,
  type SaeRunPlan,
  type SaeRunResult,
  type SaeRunSettings,
  SaeTextTooShortError,
  splitHeldOut,
} from './sae-run.js';
export {
  decodeTopK,
  encodeTopK,
  type FloatArray,
  initialTopKSae,
  SaeShapeError,
  type TopKCodes,
  type TopKSaeFloat32,
  type TopKSaeGradients,
  type TopKSaePass,
  type TopKSaeWeights,
  topKSaeGradients,
} from './topk-sae.js';
export {
  checkTopKSaeOptions,
  SAE_DEFAULT_BATCH,
  SAE_DEFAULT_LR,
  type TopKSaeStepReport,
  type TopKSaeTrainCallbacks,
  TopKSaeTrainingCancelledError,
  type TopKSaeTrainingOptions,
  type TopKSaeTrainingResult,
  trainTopKSae,
} from './train-topk-sae.js';
