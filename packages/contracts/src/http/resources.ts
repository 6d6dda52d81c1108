import { z } from 'zod';
import { JobStatusSchema, RoleSchema } from '../status.js';
import { nameText } from './text-fields.js';

export const CreateProjectSchema = z.object({ name: nameText(200) }).strict();

export const ProjectSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  role: RoleSchema,
  createdAt: z.string(),
});
export type ProjectView = z.infer<typeof ProjectSchema>;

export const AddMemberSchema = z
  .object({
    /** An existing user's name, or a new user to create (their first API key is returned once). */
    user: nameText(100),
    role: RoleSchema,
  })
  .strict();

export const MemberSchema = z.object({
  userId: z.uuid(),
  name: z.string(),
  role: RoleSchema,
  createdAt: z.string(),
});
export type MemberView = z.infer<typeof MemberSchema>;

export const CreateKeySchema = z.object({ name: nameText(100) }).strict();

export const ApiKeySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  /** The first characters of the key, to tell keys apart. */
  prefix: z.string(),
  userId: z.uuid(),
  userName: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiKeyView = z.infer<typeof ApiKeySchema>;

export const ModelSchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  name: z.string(),
  source: z.enum(['trained', 'imported']),
  status: JobStatusSchema,
  dataset: z.string().nullable(),
  config: z.record(z.string(), z.unknown()),
  metrics: z.object({ testAccuracy: z.number().nullable().optional() }).catchall(z.unknown()).nullable(),
  backend: z.string().nullable(),
  jobId: z.uuid().nullable(),
  hasCheckpoint: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ModelView = z.infer<typeof ModelSchema>;

export const HOOK_POINT_NAMES = ['mlp-in', 'mlp-out', 'resid-pre', 'resid-mid', 'resid-post'] as const;

/** A sparse autoencoder attached to one hook point of one layer of a language model. */
export const SparseAutoencoderSchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  modelId: z.uuid(),
  name: z.string(),
  source: z.enum(['trained', 'imported']),
  status: JobStatusSchema,
  layer: z.number().int(),
  hookPoint: z.enum(HOOK_POINT_NAMES),
  features: z.number().int(),
  modelDim: z.number().int(),
  k: z.number().int().nullable(),
  config: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()).nullable(),
  hasCheckpoint: z.boolean(),
  /** The job that trains it (source "trained"); null when imported. */
  jobId: z.uuid().nullable(),
  createdAt: z.string(),
});
export type SparseAutoencoderView = z.infer<typeof SparseAutoencoderSchema>;

export const TrainingMetricSchema = z.object({
  /** A language model's held-out loss is an evaluation row (testLoss), measured every evalEvery steps. */
  kind: z.enum(['step', 'epoch', 'evaluation']),
  step: z.number().int(),
  epoch: z.number().int(),
  loss: z.number(),
  learningRate: z.number(),
  trainAccuracy: z.number().nullable(),
  testAccuracy: z.number().nullable(),
  testLoss: z.number().nullable(),
  /** A language model's step rows: tokens (windows × context) per second; absent for classifiers. */
  tokensPerSecond: z.number().nullable().optional(),
});
export type TrainingMetricView = z.infer<typeof TrainingMetricSchema>;

export const DatasetSchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  name: z.string(),
  checksum: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export type DatasetView = z.infer<typeof DatasetSchema>;

/** The text fields of a corpus upload (multipart; the file comes as the `file` part). */
export const CorpusUploadFieldsSchema = z
  .object({
    name: nameText(200).optional(),
    /** Default: the file name decides (.jsonl or .jsonl.gz → jsonl, anything else → text). */
    format: z.enum(['text', 'jsonl']).optional(),
    /** jsonl: the field holding each document (default "text"). */
    field: nameText(200).optional(),
  })
  .strict();

/** An uploaded corpus (or, in a project's list, the built-in story generator: builtIn true). */
export const CorpusSchema = z.object({
  corpusId: z.string().describe('the id; language-model jobs name the corpus dataset "corpus:<id>"'),
  /** What a job's `dataset` field takes for this corpus: "corpus:<id>", or "stories" for the generator. */
  dataset: z.string(),
  projectId: z.uuid().nullable(),
  name: z.string(),
  builtIn: z.boolean(),
  format: z.enum(['text', 'jsonl', 'generator']),
  gzip: z.boolean(),
  field: z.string().nullable(),
  /** Bytes as uploaded (compressed when gzip); null for the generator. */
  bytes: z.number().nullable(),
  documents: z.number(),
  lines: z.number().nullable(),
  characters: z.number().nullable(),
  sha256: z.string().nullable(),
  fileName: z.string().nullable(),
  createdAt: z.string().nullable(),
});
export type CorpusView = z.infer<typeof CorpusSchema>;

/** A tokenizer.json kept in a project: uploaded, or trained on a corpus by a job. */
export const TokenizerSchema = z.object({
  tokenizerId: z.uuid(),
  projectId: z.uuid(),
  name: z.string(),
  source: z.enum(['upload', 'trained']),
  vocabSize: z.number(),
  sha256: z.string(),
  /** A trained tokenizer: the dataset it learned from, and its job. */
  dataset: z.string().nullable(),
  jobId: z.uuid().nullable(),
  createdAt: z.string(),
});
export type TokenizerView = z.infer<typeof TokenizerSchema>;

/** The text field of a tokenizer upload (multipart; tokenizer.json comes as the `file` part). */
export const TokenizerUploadFieldsSchema = z.object({ name: nameText(200).optional() }).strict();

export const JobSchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  queue: z.string(),
  status: JobStatusSchema,
  progress: z.number(),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  error: z.string().nullable(),
  workerId: z.string().nullable(),
  subject: z.string(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type JobView = z.infer<typeof JobSchema>;

export const WorkerSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  backend: z.string(),
  device: z.string(),
  concurrency: z.number().int(),
  queues: z.array(z.string()),
  startedAt: z.string(),
  lastHeartbeatAt: z.string(),
  /** Seconds since the last heartbeat. */
  heartbeatAgeSeconds: z.number(),
  alive: z.boolean(),
});
export type WorkerView = z.infer<typeof WorkerSchema>;

export const HealthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  db: z.enum(['ok', 'down']),
  redis: z.enum(['ok', 'down']),
});
export type HealthView = z.infer<typeof HealthSchema>;
