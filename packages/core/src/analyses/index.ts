export * from './activations.js';
export * from './adversarial.js';
export * from './applicability.js';
export { AnalysisInputError } from './common.js';
export * from './explain.js';
export * from './hosvd.js';
export * from './language-model-activations.js';
export * from './similarity.js';
export * from './truncation.js';
