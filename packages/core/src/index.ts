// The numerical core of bilinear-lab: pure functions on typed arrays, no I/O. Seeded models and
// matrices for tests and benchmarks are not part of it: they are `@bilinear-lab/core/testing`.
export * from './analyses/index.js';
export * from './decomposition/decompose.js';
export { directionRows, type LanguageModelDirections } from './decomposition/language-model-target.js';
export * from './decomposition/readings.js';
export * from './decomposition/target.js';
export {
  type BlockRun,
  computeEigenvectorPart,
  type EigenvectorHelper,
  type EigenvectorPartBuffers,
  type EigenvectorPlan,
} from './eigen/eigenvector-part.js';
export * from './eigen/symmetric-eigen.js';
export * from './interaction/interaction-matrix.js';
export * from './interaction/output-tensor.js';
export * from './linalg/matrix-product.js';
export * from './linalg/thin-qr.js';
export * from './model/forward.js';
export * from './model/index.js';
export * from './npy/npy.js';
export * from './random/seeded-random.js';
export * from './safetensors/index.js';
export { erf } from './special/erf.js';
export { compileKernels, compileKernelsInBackground } from './wasm/kernels.js';
