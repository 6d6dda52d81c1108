// POST …/models/train: one statement creates the Model (queued), its TrainingRun and the Job;
// then the job is enqueued (or the rows undone).
import { randomUUID } from 'node:crypto';
import type { TrainingConfig, TrainRequest } from '@bilinear-lab/contracts';
import { BUNDLED_MNIST_SPLIT, formatDatasetSpec, type PlatformDatasetSpec } from '@bilinear-lab/datasets';
// The schedule alone: the training package's main entry would load TensorFlow.js into the API.
import { runSchedule, ScheduleError } from '@bilinear-lab/training/schedule';
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../errors.js';
import type { Principal } from './access.js';
import { enqueueOrUndo, maxAttemptsOf } from './enqueue-job.js';
import { insertTrainingRows } from './job-inserts.js';

interface TrainingData {
  spec: PlatformDatasetSpec;
  datasetId: string | null;
  label: string;
  trainCount: number;
}

export async function submitTraining(
  app: FastifyInstance,
  principal: Principal,
  projectId: string,
  request: TrainRequest,
): Promise<{ modelId: string; jobId: string }> {
  const data = await trainingData(app, projectId, request.dataset);
  const { config } = request;
  if (config.trainSubset !== undefined && config.trainSubset > data.trainCount) {
    throw badRequest(
      'invalid-request',
      `body.config.trainSubset: ${config.trainSubset} is more than the ${data.trainCount} training samples of ${data.label}`,
      {
        issues: [{ path: 'body.config.trainSubset', message: `at most ${data.trainCount}`, code: 'too_big' }],
      },
    );
  }
  checkSchedule(config, Math.min(config.trainSubset ?? data.trainCount, data.trainCount));
  const modelId = randomUUID();
  const jobId = randomUUID();
  const payload = { jobId, projectId, modelId };
  await insertTrainingRows(app.db, app.dbSchema, {
    modelId,
    runId: randomUUID(),
    jobId,
    projectId,
    name: request.name ?? `${data.label}-d${config.hiddenDim}`,
    config,
    datasetSpec: formatDatasetSpec(data.spec),
    datasetId: data.datasetId,
    createdById: principal.userId,
    maxAttempts: maxAttemptsOf('train'),
    payload,
  });
  await enqueueOrUndo(app, 'train', payload, () =>
    app.db.$transaction([
      app.db.job.deleteMany({ where: { id: jobId } }),
      app.db.model.deleteMany({ where: { id: modelId } }),
    ]),
  );
  return { modelId, jobId };
}

/**
 * The worker would fail a run whose schedule cannot be laid out (a warm-up as long as the run), so
 * it is refused here, in the worker's own step count. A dataset whose size is not on record is left
 * to the worker, which fails such a job without retrying it.
 */
function checkSchedule(config: TrainingConfig, trainCount: number): void {
  if (!Number.isFinite(trainCount)) return;
  try {
    runSchedule(trainCount, config);
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    const path = error.setting === 'trainCount' ? 'body.dataset' : `body.config.${error.setting}`;
    throw badRequest('invalid-request', `${path}: ${error.problem}`, {
      issues: [{ path, message: error.problem, code: 'invalid_schedule' }],
    });
  }
}

/** The body names the bundled digits "mnist" and an upload by its bare id (the contract's two forms). */
async function trainingData(
  app: FastifyInstance,
  projectId: string,
  dataset: TrainRequest['dataset'],
): Promise<TrainingData> {
  if (dataset === 'mnist') {
    const spec = { kind: 'mnist' } as const;
    return { spec, datasetId: null, label: formatDatasetSpec(spec), trainCount: BUNDLED_MNIST_SPLIT.train };
  }
  const row = await app.db.dataset.findFirst({ where: { id: dataset, projectId } });
  if (row === null) {
    throw badRequest(
      'unknown-dataset',
      `body.dataset: no dataset ${dataset} in project ${projectId}; upload one with POST /api/v1/projects/${projectId}/datasets, or use "mnist"`,
      { issues: [{ path: 'body.dataset', message: 'unknown dataset', code: 'unknown_dataset' }] },
    );
  }
  const metadata = row.metadata as { trainCount?: unknown };
  const trainCount = typeof metadata.trainCount === 'number' ? metadata.trainCount : Number.POSITIVE_INFINITY;
  return { spec: { kind: 'upload', id: row.id }, datasetId: row.id, label: row.name, trainCount };
}
