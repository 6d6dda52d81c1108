// @bilinear-lab/core/testing: seeded models, matrices and model files for tests and benchmarks.
export * from './models.js';
export * from './random.js';
