// Database rows → the contracts' response shapes (dates as ISO strings, ids, no internals).
import type {
  ApiKeySchema,
  CorpusSchema,
  DatasetSchema,
  DecompositionSummarySchema,
  JobSchema,
  ModelSchema,
  TokenizerSchema,
  TrainingMetricSchema,
  WorkerSchema,
} from '@bilinear-lab/contracts';
import type {
  ApiKey,
  Corpus,
  Dataset,
  Decomposition,
  Job,
  Model as ModelRow,
  Tokenizer,
  TrainingMetric,
  Worker,
} from '@bilinear-lab/db';
import { DEFAULT_STORIES } from '@bilinear-lab/text/language-model-dataset';
import type { z } from 'zod';

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

type JsonRecord = Record<string, unknown>;
const asRecord = (value: unknown): JsonRecord =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonRecord) : {};

export function jobView(job: Job): z.output<typeof JobSchema> {
  return {
    id: job.id,
    projectId: job.projectId,
    queue: job.queue,
    status: job.status,
    progress: job.progress,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    error: job.error,
    workerId: job.workerId,
    subject: job.subject,
    createdAt: job.createdAt.toISOString(),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
  };
}

export function modelView(
  model: ModelRow & { trainingRun: { jobId: string | null } | null },
): z.output<typeof ModelSchema> {
  return {
    id: model.id,
    projectId: model.projectId,
    name: model.name,
    source: model.source,
    status: model.status,
    dataset: model.datasetSpec,
    config: asRecord(model.config),
    metrics: model.metrics === null ? null : (asRecord(model.metrics) as { testAccuracy?: number | null }),
    backend: model.backend,
    jobId: model.trainingRun?.jobId ?? null,
    hasCheckpoint: model.checkpointArtifactId !== null,
    createdAt: model.createdAt.toISOString(),
    updatedAt: model.updatedAt.toISOString(),
  };
}

export function datasetView(dataset: Dataset): z.output<typeof DatasetSchema> {
  return {
    id: dataset.id,
    projectId: dataset.projectId,
    name: dataset.name,
    checksum: dataset.checksum,
    metadata: asRecord(dataset.metadata),
    createdAt: dataset.createdAt.toISOString(),
  };
}

export function corpusView(corpus: Corpus): z.output<typeof CorpusSchema> {
  return {
    corpusId: corpus.id,
    dataset: `corpus:${corpus.id}`,
    projectId: corpus.projectId,
    name: corpus.name,
    builtIn: false,
    format: corpus.format === 'jsonl' ? 'jsonl' : 'text',
    gzip: corpus.gzip,
    field: corpus.field,
    bytes: Number(corpus.byteLength),
    documents: corpus.documents,
    lines: Number(corpus.lines),
    characters: Number(corpus.characters),
    sha256: corpus.sha256,
    fileName: corpus.fileName,
    createdAt: corpus.createdAt.toISOString(),
  };
}

/** The bundled story generator, as a project's corpus list shows it beside the uploads. */
export function storiesCorpusView(): z.output<typeof CorpusSchema> {
  return {
    corpusId: 'stories',
    dataset: 'stories',
    projectId: null,
    name: `stories (the bundled generator: ${DEFAULT_STORIES} stories, or stories:<count>)`,
    builtIn: true,
    format: 'generator',
    gzip: false,
    field: null,
    bytes: null,
    documents: DEFAULT_STORIES,
    lines: null,
    characters: null,
    sha256: null,
    fileName: null,
    createdAt: null,
  };
}

export function tokenizerView(tokenizer: Tokenizer): z.output<typeof TokenizerSchema> {
  return {
    tokenizerId: tokenizer.id,
    projectId: tokenizer.projectId,
    name: tokenizer.name,
    source: tokenizer.source === 'trained' ? 'trained' : 'upload',
    vocabSize: tokenizer.vocabSize,
    sha256: tokenizer.sha256,
    dataset: tokenizer.dataset,
    jobId: tokenizer.jobId,
    createdAt: tokenizer.createdAt.toISOString(),
  };
}

export function decompositionSummaryView(
  decomposition: Decomposition,
): z.output<typeof DecompositionSummarySchema> {
  return {
    id: decomposition.id,
    modelId: decomposition.modelId,
    jobId: decomposition.jobId,
    status: decomposition.status,
    parameters: decomposition.parameters as z.output<typeof DecompositionSummarySchema>['parameters'],
    error: decomposition.error,
    createdAt: decomposition.createdAt.toISOString(),
    completedAt: iso(decomposition.completedAt),
  };
}

export function trainingMetricView(metric: TrainingMetric): z.output<typeof TrainingMetricSchema> {
  return {
    kind: metric.kind === 'epoch' || metric.kind === 'evaluation' ? metric.kind : 'step',
    step: metric.step,
    epoch: metric.epoch,
    loss: metric.loss,
    learningRate: metric.learningRate,
    trainAccuracy: metric.trainAccuracy,
    testAccuracy: metric.testAccuracy,
    testLoss: metric.testLoss,
    ...(metric.tokensPerSecond === null ? {} : { tokensPerSecond: metric.tokensPerSecond }),
  };
}

export function apiKeyView(key: ApiKey & { user: { name: string } }): z.output<typeof ApiKeySchema> {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    userId: key.userId,
    userName: key.user.name,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: iso(key.lastUsedAt),
    revokedAt: iso(key.revokedAt),
  };
}

/** A worker is alive while its heartbeat is younger than three heartbeat periods and it has not stopped. */
export const ALIVE_HEARTBEAT_AGE_S = 15;

export function workerView(worker: Worker, now = Date.now()): z.output<typeof WorkerSchema> {
  const heartbeatAgeSeconds = Math.max(0, (now - worker.lastHeartbeatAt.getTime()) / 1000);
  return {
    id: worker.id,
    host: worker.host,
    pid: worker.pid,
    backend: worker.backend,
    device: worker.device,
    concurrency: worker.concurrency,
    queues: worker.queues,
    startedAt: worker.startedAt.toISOString(),
    lastHeartbeatAt: worker.lastHeartbeatAt.toISOString(),
    heartbeatAgeSeconds: Math.round(heartbeatAgeSeconds * 10) / 10,
    alive: worker.stoppedAt === null && heartbeatAgeSeconds < ALIVE_HEARTBEAT_AGE_S,
  };
}
