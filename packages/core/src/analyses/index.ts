export * from './adversarial.js';
export { AnalysisInputError } from './common.js';
export * from './hosvd.js';
export * from './similarity.js';
export * from './truncation.js';
