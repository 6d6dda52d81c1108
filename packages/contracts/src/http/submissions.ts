import { z } from 'zod';
import { QUEUE_NAMES, type QueueName } from '../jobs/job-catalog.js';
import { JOB_STATUSES, JobStatusSchema } from '../status.js';
import { decimalInteger, nameText } from './text-fields.js';

// Answers to requests that queue work or store uploads, and the query/fields those requests take.

/** 202 of POST …/models/train. */
export const TrainAcceptedSchema = z.object({ modelId: z.uuid(), jobId: z.uuid() });
export type TrainAcceptedView = z.infer<typeof TrainAcceptedSchema>;

/** 202 (queued or re-queued) or 200 (an identical request already exists) of POST …/decompositions. */
export const DecompositionAcceptedSchema = z.object({
  decompositionId: z.uuid(),
  jobId: z.uuid(),
  status: JobStatusSchema,
  /** True when an identical earlier request was found instead of creating a new decomposition. */
  deduplicated: z.boolean(),
});
export type DecompositionAcceptedView = z.infer<typeof DecompositionAcceptedSchema>;

/** 201 of POST …/models/import. */
export const ModelImportedSchema = z.object({
  modelId: z.uuid(),
  config: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()).nullable(),
});
export type ModelImportedView = z.infer<typeof ModelImportedSchema>;

/** Text fields of the dataset upload (multipart; the four IDX files come as `file` parts). */
export const DatasetUploadFieldsSchema = z
  .object({
    name: nameText(200).optional(),
    /** Labels must lie in 0..classes-1. */
    classes: decimalInteger().pipe(z.number().min(2).max(256)).default(10),
  })
  .strict();

/** Text fields of the model import (multipart; the safetensors file comes as the `file` part). */
export const ModelImportFieldsSchema = z
  .object({
    name: nameText(200).optional(),
    /** x ← x + g(x) between blocks; only needed for files without our config metadata. */
    residual: z.enum(['true', 'false']).optional(),
  })
  .strict();

/**
 * Text fields of an SAE import (multipart: the weights as `file`, config.json as `config`). Layer and
 * hook point come from config.json; these fill in for a config that leaves them out, and must agree
 * with one that has them.
 */
export const SaeImportFieldsSchema = z
  .object({
    name: nameText(200).optional(),
    layer: decimalInteger().pipe(z.number().max(10_000)).optional(),
    point: z.enum(['mlp-in', 'mlp-out', 'resid-pre', 'resid-mid', 'resid-post']).optional(),
  })
  .strict();

export const JobListQuerySchema = z
  .object({
    status: z.enum(JOB_STATUSES).optional(),
    queue: z.enum(QUEUE_NAMES as [QueueName, ...QueueName[]]).optional(),
    limit: decimalInteger().pipe(z.number().min(1).max(1000)).default(100),
  })
  .strict();

export const ModelListQuerySchema = z
  .object({ limit: decimalInteger().pipe(z.number().min(1).max(1000)).default(200) })
  .strict();

export const MetricsQuerySchema = z
  .object({ kind: z.enum(['step', 'epoch', 'evaluation']).optional() })
  .strict();

export const JobEventsQuerySchema = z
  .object({
    /** Resume after this event id (same as the Last-Event-ID header). */
    after: z
      .string()
      .regex(/^\d+-\d+$/, 'an event id like 1732540000000-0')
      .optional(),
  })
  .strict();
