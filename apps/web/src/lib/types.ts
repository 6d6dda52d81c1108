import type {
  ApiKeySchema,
  DatasetSchema,
  DecompositionSchema,
  JobSchema,
  MemberSchema,
  ModelSchema,
  ProjectSchema,
  SpectrumSummarySchema,
  TrainingMetricSchema,
  WorkerSchema,
} from '@bilinear-lab/contracts';
import type { z } from 'zod';

// The API's resources as the dashboard reads them: the contracts package's schemas, types only, so
// no validation code reaches the browser.
export type Project = z.infer<typeof ProjectSchema>;
export type Member = z.infer<typeof MemberSchema>;
export type ApiKey = z.infer<typeof ApiKeySchema>;
export type Model = z.infer<typeof ModelSchema>;
export type TrainingMetric = z.infer<typeof TrainingMetricSchema>;
export type Dataset = z.infer<typeof DatasetSchema>;
export type Job = z.infer<typeof JobSchema>;
export type Worker = z.infer<typeof WorkerSchema>;
export type Decomposition = z.infer<typeof DecompositionSchema>;
export type SpectrumSummary = z.infer<typeof SpectrumSummarySchema>;

export interface Me {
  id: string;
  name: string;
  [field: string]: unknown;
}

/** A decomposition as listed under a model or project (the spectra left out). */
export interface DecompositionListItem {
  id: string;
  modelId: string;
  jobId: string | null;
  status: Decomposition['status'];
  parameters: Decomposition['parameters'];
  createdAt: string;
  completedAt?: string | null;
  error?: string | null;
}
