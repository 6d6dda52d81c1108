// Issue 11 on the real stack: a real worker process on a Postgres cluster of this test's own, which
// the test stops for 15 s while one training job runs and another is submitted, then starts again.
// Both jobs must end completed (never stuck "running", no attempt spent on the outage): with the
// default patience the jobs' writes wait for Postgres in place; with a short one they go back to
// BullMQ's delayed set and run again once it is back. And rows the pre-fix worker left running are
// settled by the next worker's reconciler. Redis is the shared one, under a fresh prefix.
// Needs the built worker (dist/).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from '@bilinear-lab/db';
import { createOwnPostgres, type OwnPostgres } from '@bilinear-lab/db';
import { enqueue, finishInQueue } from '@bilinear-lab/jobs';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createProject, createTrainingJob } from './testing/platform-rows.js';
import { createTestPlatform, type TestPlatform } from './testing/test-platform.js';
import { waitFor } from './testing/wait-for.js';
import { spawnWorker, stopProcess, type WorkerProcess } from './testing/worker-process.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const OUTAGE_MS = 15_000;
/** A model that trains in a few seconds: long enough to stop Postgres mid-run, short enough to finish before it is back. */
const SMALL_MODEL = { hiddenDim: 16, epochs: 3, batchSize: 100, trainSubset: 1500 };

let postgres: OwnPostgres;
let platform: TestPlatform;
let projectId: string;
const spawned: WorkerProcess[] = [];

beforeAll(async () => {
  postgres = await createOwnPostgres();
  platform = await createTestPlatform(postgres.url, REDIS_URL, 'outage');
  projectId = await createProject(platform.db);
}, 120_000);

afterEach(async () => {
  await Promise.all(spawned.splice(0).map(stopProcess));
});

afterAll(async () => {
  await platform?.close();
  await postgres?.destroy();
});

function startWorker(id: string, overrides: Record<string, string>): WorkerProcess {
  const worker = spawnWorker(
    platform.workerEnv({
      BILINEAR_WORKER_ID: id,
      BILINEAR_WORKER_QUEUES: 'train',
      BILINEAR_WORKER_CONCURRENCY: '2',
      BILINEAR_WORKER_LOCK_MS: '4000',
      BILINEAR_WORKER_STALLED_INTERVAL_MS: '2000',
      BILINEAR_WORKER_RECONCILE_MS: '2000',
      ...overrides,
    }),
  );
  spawned.push(worker);
  // What the worker did is the first thing to read when the outage test fails.
  onTestFailed(() => console.log(`worker ${id} output:\n${worker.output()}`));
  return worker;
}

interface Outage {
  /** Milliseconds from Postgres accepting connections again until both Job rows were final. */
  convergedAfterRestartMs: number;
  jobs: Job[];
}

/**
 * Submits one job and waits for it to train; stops Postgres; submits a second; keeps Postgres down
 * for OUTAGE_MS, starts it again, and waits for both Job rows to end.
 */
async function trainThroughAnOutage(): Promise<Outage> {
  const first = await createTrainingJob(platform.db, projectId, SMALL_MODEL, { name: 'during' });
  const second = await createTrainingJob(platform.db, projectId, SMALL_MODEL, {
    name: 'submitted-while-down',
  });
  await enqueue(platform.queue('train'), 'train', first.payload);
  await waitFor('the first job to train', async () =>
    (await platform.events.read(first.jobId)).some((entry) => entry.event.type === 'metrics'),
  );

  await postgres.stop();
  // Redis is up: the job reaches a worker while its rows cannot be read or written.
  await enqueue(platform.queue('train'), 'train', second.payload);
  await sleep(OUTAGE_MS);
  await postgres.start();
  const restarted = performance.now();

  const ids = [first.jobId, second.jobId];
  const jobs = await waitFor(
    'both jobs to end',
    async () => {
      const rows = await platform.db.job.findMany({ where: { id: { in: ids } } });
      return rows.length === 2 && rows.every((row) => row.status !== 'queued' && row.status !== 'running')
        ? ids.map((id) => rows.find((row) => row.id === id) as Job)
        : undefined;
    },
    120_000,
    200,
  );
  return { convergedAfterRestartMs: Math.round(performance.now() - restarted), jobs };
}

async function expectCompletedOnce(job: Job): Promise<void> {
  expect({ id: job.id, status: job.status, error: job.error }).toEqual({
    id: job.id,
    status: 'completed',
    error: null,
  });
  const run = await platform.db.trainingRun.findFirstOrThrow({ where: { jobId: job.id } });
  const model = await platform.db.model.findUniqueOrThrow({ where: { id: run.modelId } });
  expect(model.status).toBe('completed');
  expect(model.checkpointArtifactId).not.toBeNull();
  const bull = await platform.queue('train').getJob(job.id);
  expect(await bull?.getState()).toBe('completed');
  // BullMQ counted no failed attempt: the completion is the only one.
  expect(bull?.attemptsMade).toBe(1);
}

describe('a 15 s Postgres outage', () => {
  it('is waited out in place: both jobs complete on their first attempt', async () => {
    const worker = startWorker('patient', {});
    await worker.waitForOutput(/started/);
    const outage = await trainThroughAnOutage();
    for (const job of outage.jobs) {
      await expectCompletedOnce(job);
      expect(job.attempts).toBe(1);
    }
    expect(worker.output()).toMatch(/the database is back after \d+ ms/);
    expect(worker.child.exitCode).toBeNull();
    console.log(
      `outage (wait in place): converged ${outage.convergedAfterRestartMs} ms after Postgres restarted; Job.attempts (starts) ${outage.jobs.map((job) => job.attempts).join(', ')}`,
    );
  }, 180_000);

  it('outlasting the worker’s patience, sends the jobs back to the queue without using an attempt', async () => {
    const worker = startWorker('impatient', { BILINEAR_WORKER_DATABASE_PATIENCE_MS: '2000' });
    await worker.waitForOutput(/started/);
    const outage = await trainThroughAnOutage();
    for (const job of outage.jobs) await expectCompletedOnce(job);
    expect(worker.output()).toMatch(/back to the queue for \d+ ms without using an attempt/);
    expect(worker.child.exitCode).toBeNull();
    console.log(
      `outage (back to the queue): converged ${outage.convergedAfterRestartMs} ms after Postgres restarted; Job.attempts (starts) ${outage.jobs.map((job) => job.attempts).join(', ')}`,
    );
  }, 180_000);
});

describe('rows a worker before this fix left running', () => {
  it('are settled by the next worker at start-up: failed with BullMQ’s reason, or run again when BullMQ lost the job', async () => {
    // As issue 11 left them: BullMQ failed the job after three attempts, the row still says running.
    const failed = await createTrainingJob(platform.db, projectId, SMALL_MODEL, { name: 'failed-in-queue' });
    await enqueue(platform.queue('train'), 'train', failed.payload);
    await finishInQueue(platform.queue('train'), failed.jobId, {
      failed: "Can't reach database server at 127.0.0.1:5432",
    });
    // And one whose BullMQ job is gone (trimmed, or a Redis that lost its data).
    const lost = await createTrainingJob(platform.db, projectId, SMALL_MODEL, { name: 'lost-from-queue' });
    for (const rows of [failed, lost]) {
      await platform.db.job.update({
        where: { id: rows.jobId },
        data: { status: 'running', attempts: 3, workerId: 'pre-fix-worker', startedAt: new Date() },
      });
      await platform.db.model.update({ where: { id: rows.modelId }, data: { status: 'running' } });
    }

    const started = performance.now();
    startWorker('reconciling', {});
    const settled = await waitFor(
      'the reconciler to fail the first row',
      async () => {
        const row = await platform.db.job.findUniqueOrThrow({ where: { id: failed.jobId } });
        return row.status === 'failed' ? row : undefined;
      },
      60_000,
    );
    const settledMs = Math.round(performance.now() - started);
    expect(settled.error).toBe("Can't reach database server at 127.0.0.1:5432");
    expect((await platform.db.model.findUniqueOrThrow({ where: { id: failed.modelId } })).status).toBe(
      'failed',
    );

    const completed = await waitFor(
      'the lost job to run again and complete',
      async () => {
        const row = await platform.db.job.findUniqueOrThrow({ where: { id: lost.jobId } });
        return row.status === 'completed' || row.status === 'failed' ? row : undefined;
      },
      90_000,
    );
    const completedMs = Math.round(performance.now() - started);
    await expectCompletedOnce(completed);
    console.log(
      `stuck rows: failed row settled ${settledMs} ms, lost job completed ${completedMs} ms after the worker was started`,
    );
  }, 180_000);
});
