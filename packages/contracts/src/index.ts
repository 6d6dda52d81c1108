// @bilinear-lab/contracts: the zod schemas API, worker and dashboard agree on — HTTP bodies, the job
// catalog and job events. No I/O here.
export * from './http/access.js';
export * from './http/activations.js';
export * from './http/decomposition.js';
export * from './http/eigenvector-block.js';
export * from './http/errors.js';
export * from './http/language-model-defaults.js';
export * from './http/language-model-jobs.js';
export * from './http/resources.js';
export * from './http/submissions.js';
export * from './http/text-fields.js';
export * from './http/training.js';
export * from './jobs/job-catalog.js';
export * from './jobs/job-events.js';
export * from './status.js';
