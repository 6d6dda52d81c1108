// The train queue end to end: rows as the API writes them, enqueue(), a worker process from the
// build, and what it leaves in Postgres and Redis. Needs the built worker (dist/).
import { randomUUID } from 'node:crypto';
import type { JobEvent } from '@bilinear-lab/contracts';
import { loadDataset } from '@bilinear-lab/datasets';
import { enqueue } from '@bilinear-lab/jobs';
import { readModelFile } from '@bilinear-lab/training';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, createTrainingJob, createUploadedDataset } from '../testing/platform-rows.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { failedJob, waitFor } from '../testing/wait-for.js';
import { spawnWorker, stopProcess, type WorkerProcess } from '../testing/worker-process.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let platform: TestPlatform;
let worker: WorkerProcess;
let projectId: string;

beforeAll(async () => {
  platform = await createTestPlatform(DATABASE_URL, REDIS_URL, 'train');
  projectId = await createProject(platform.db);
  worker = spawnWorker(platform.workerEnv({ BILINEAR_WORKER_QUEUES: 'train' }));
  await worker.waitForOutput(/started: queues train/);
}, 60_000);

afterAll(async () => {
  if (worker) await stopProcess(worker);
  await platform?.close();
});

async function events(jobId: string): Promise<JobEvent[]> {
  return (await platform.events.read(jobId, '0', { count: 100_000 })).map((entry) => entry.event);
}

async function jobRow(jobId: string) {
  return platform.db.job.findUniqueOrThrow({ where: { id: jobId } });
}

describe('train jobs', () => {
  it('train the bundled MNIST and store the checkpoint, metric series and events', async () => {
    const rows = await createTrainingJob(platform.db, projectId, {
      hiddenDim: 32,
      epochs: 2,
      batchSize: 500,
      trainSubset: 2000,
      learningRate: 0.01,
    });
    await enqueue(platform.queue('train'), 'train', rows.payload);
    const job = await waitFor('the train job to finish', async () => {
      const row = await jobRow(rows.jobId);
      return row.status === 'completed' || row.status === 'failed' ? row : undefined;
    });
    expect(job.error).toBeNull();
    expect(job).toMatchObject({ status: 'completed', attempts: 1, progress: 1 });
    expect(job.workerId).toMatch(/:/);

    const model = await platform.db.model.findUniqueOrThrow({ where: { id: rows.modelId } });
    expect(model.status).toBe('completed');
    expect(model.backend).toBe('wasm');
    const metrics = model.metrics as Record<string, number>;
    expect(metrics.testAccuracy).toBeGreaterThan(0.5);
    expect(metrics.epochs).toBe(2);
    expect(Number.isFinite(metrics.testLoss)).toBe(true);

    const artifact = await platform.store.info(model.checkpointArtifactId as string);
    expect(artifact).toMatchObject({ kind: 'checkpoint', fileName: `${model.name}.safetensors` });
    const file = readModelFile(await platform.store.read(model.checkpointArtifactId as string));
    expect(file.config).toMatchObject({
      kind: 'image-classifier',
      hiddenDim: 32,
      inputDim: 784,
      outputDim: 10,
    });
    expect(file.training.test_accuracy).toBe(metrics.testAccuracy);

    const series = await platform.db.trainingMetric.findMany({
      where: { runId: rows.runId },
      orderBy: { step: 'asc' },
    });
    const steps = series.filter((row) => row.kind === 'step');
    const epochs = series.filter((row) => row.kind === 'epoch');
    expect(steps.map((row) => row.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(epochs.map((row) => [row.epoch, row.step])).toEqual([
      [1, 4],
      [2, 8],
    ]);
    expect(epochs[1]?.testAccuracy).toBeGreaterThan(0.5);
    const run = await platform.db.trainingRun.findUniqueOrThrow({ where: { id: rows.runId } });
    expect(run.startedAt).not.toBeNull();
    expect(run.finishedAt).not.toBeNull();

    const log = await events(rows.jobId);
    expect(log[0]).toMatchObject({ type: 'state', status: 'running', attempt: 1 });
    expect(log.at(-1)).toMatchObject({ type: 'state', status: 'completed' });
    const metricEvents = log.filter((event) => event.type === 'metrics');
    expect(metricEvents.filter((event) => event.kind === 'step')).toHaveLength(8);
    expect(metricEvents.filter((event) => event.kind === 'epoch')).toHaveLength(2);
    expect(log.some((event) => event.type === 'progress')).toBe(true);
  });

  it('train on an uploaded IDX dataset read from the artifact store', async () => {
    const datasetId = await createUploadedDataset(
      platform.db,
      platform.store,
      projectId,
      await loadDataset('mnist'),
      {
        train: 1000,
        test: 500,
      },
    );
    const rows = await createTrainingJob(
      platform.db,
      projectId,
      { hiddenDim: 16, epochs: 2, batchSize: 250, learningRate: 0.01 },
      { datasetSpec: `dataset:${datasetId}` },
    );
    await enqueue(platform.queue('train'), 'train', rows.payload);
    const job = await waitFor('the train job to finish', async () => {
      const row = await jobRow(rows.jobId);
      return row.status === 'completed' || row.status === 'failed' ? row : undefined;
    });
    expect(job.error).toBeNull();
    const model = await platform.db.model.findUniqueOrThrow({ where: { id: rows.modelId } });
    expect((model.metrics as Record<string, number>).testAccuracy).toBeGreaterThan(0.3);
    const file = readModelFile(await platform.store.read(model.checkpointArtifactId as string));
    expect(file.training.dataset).toBe(`dataset:${datasetId}`);
    // 1000 samples in batches of 250, two epochs.
    expect(await platform.db.trainingMetric.count({ where: { runId: rows.runId, kind: 'step' } })).toBe(8);
  });

  it('cancel an active training job: cancelled, not retried', async () => {
    const rows = await createTrainingJob(platform.db, projectId, {
      hiddenDim: 16,
      epochs: 200,
      batchSize: 100,
      trainSubset: 2000,
    });
    await enqueue(platform.queue('train'), 'train', rows.payload);
    await waitFor('the first metrics event', async () =>
      (await events(rows.jobId)).some((e) => e.type === 'metrics'),
    );
    await platform.cancels.request(rows.jobId);

    const job = await waitFor('the job to be cancelled', async () => {
      const row = await jobRow(rows.jobId);
      return row.status !== 'running' && row.status !== 'queued' ? row : undefined;
    });
    expect(job).toMatchObject({ status: 'cancelled', attempts: 1, error: null });
    expect((await platform.db.model.findUniqueOrThrow({ where: { id: rows.modelId } })).status).toBe(
      'cancelled',
    );
    const bull = await failedJob(platform.queue('train'), rows.jobId);
    expect(bull.failedReason).toBe('cancelled');
    expect(bull.attemptsMade).toBe(1);
    expect((await events(rows.jobId)).at(-1)).toMatchObject({ type: 'state', status: 'cancelled' });
  });

  it('fail an invalid payload at once, unrecoverable, with the reason on the Job row', async () => {
    const rows = await createTrainingJob(platform.db, projectId, { hiddenDim: 8, epochs: 1 });
    // The API would never enqueue this: BullMQ's own add() skips the catalog's validation.
    const invalid = { ...rows.payload, modelId: 'not-a-uuid', extra: 1 };
    await platform.queue('train').add('train', invalid as never, { jobId: rows.jobId, attempts: 3 });
    const bull = await failedJob(platform.queue('train'), rows.jobId);
    expect(bull.attemptsMade).toBe(1);
    expect(bull.failedReason).toMatch(/invalid train payload.*modelId/);
    const job = await jobRow(rows.jobId);
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/modelId/);
    expect(job.error).toMatch(/extra/);
    expect((await platform.db.model.findUniqueOrThrow({ where: { id: rows.modelId } })).status).toBe(
      'failed',
    );
    expect((await events(rows.jobId)).at(-1)).toMatchObject({ type: 'state', status: 'failed' });
  });

  it('fail a job whose rows are gone without retrying it', async () => {
    const payload = { jobId: randomUUID(), projectId, modelId: randomUUID() };
    await enqueue(platform.queue('train'), 'train', payload);
    const bull = await failedJob(platform.queue('train'), payload.jobId);
    expect(bull.attemptsMade).toBe(1);
    expect(bull.failedReason).toMatch(/no row in the database/);
  });

  it('fail a warm-up as long as the run at once, before training, without retrying it', async () => {
    // 1,000 digits in batches of 500 for 2 epochs: 4 optimiser steps, so 4 warm-up steps leave none.
    const rows = await createTrainingJob(platform.db, projectId, {
      hiddenDim: 8,
      epochs: 2,
      batchSize: 500,
      trainSubset: 1000,
      warmupSteps: 4,
    });
    await enqueue(platform.queue('train'), 'train', rows.payload);
    const bull = await failedJob(platform.queue('train'), rows.jobId);
    expect(bull.attemptsMade).toBe(1);
    expect(bull.failedReason).toBe(
      'training options: config.warmupSteps: 4 is not fewer than the 4 optimiser steps of the run ' +
        '(2 epochs × 2 steps: 1000 training samples in batches of 500); ' +
        'the warm-up counts optimiser steps and must end before the run does',
    );
    const job = await jobRow(rows.jobId);
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: bull.failedReason });
    expect(await platform.db.trainingMetric.count({ where: { runId: rows.runId } })).toBe(0);
  });

  it("keep the job process's memory flat over 20 consecutive training jobs", async () => {
    const jobs = [];
    for (let i = 0; i < 20; i++) {
      jobs.push(
        await createTrainingJob(platform.db, projectId, {
          hiddenDim: 16,
          epochs: 1,
          batchSize: 500,
          trainSubset: 1000,
          seed: i,
        }),
      );
    }
    for (const rows of jobs) await enqueue(platform.queue('train'), 'train', rows.payload);
    const rss: number[] = [];
    for (const rows of jobs) {
      const result = await waitFor(
        `training job ${rows.jobId}`,
        async () => {
          const found = await platform.queue('train').getJob(rows.jobId);
          return found?.returnvalue ? (found.returnvalue as { rssBytes: number }) : undefined;
        },
        60_000,
      );
      rss.push(result.rssBytes);
    }
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    // After a warm-up the resident set stays put: tensors are disposed, connections reused.
    const growthMb = (mean(rss.slice(15)) - mean(rss.slice(5, 10))) / 2 ** 20;
    expect(growthMb).toBeLessThan(25);
  }, 120_000);
});
