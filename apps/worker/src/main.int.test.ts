// Worker processes as an operator sees them: registration and heartbeat, a graceful SIGTERM that
// lets the running job finish, and a SIGKILL mid-training whose job another worker recovers
// (BullMQ's stalled check) and completes exactly once. Needs the built worker (dist/).
import type { JobEvent } from '@bilinear-lab/contracts';
import { enqueue } from '@bilinear-lab/jobs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProject, createTrainingJob } from './testing/platform-rows.js';
import { createTestPlatform, type TestPlatform } from './testing/test-platform.js';
import { waitFor } from './testing/wait-for.js';
import { isAlive, spawnWorker, stopProcess, type WorkerProcess } from './testing/worker-process.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let platform: TestPlatform;
let projectId: string;
const spawned: WorkerProcess[] = [];

beforeAll(async () => {
  platform = await createTestPlatform(DATABASE_URL, REDIS_URL, 'main');
  projectId = await createProject(platform.db);
}, 60_000);

afterEach(async () => {
  await Promise.all(spawned.splice(0).map(stopProcess));
});

afterAll(async () => {
  await platform?.close();
});

/**
 * Short lock and stalled-check timings for every worker here: BullMQ runs one stalled check per
 * queue per interval, so a worker with the default 30 s would hold off the others' checks.
 */
const TIMINGS = { BILINEAR_WORKER_LOCK_MS: '2000', BILINEAR_WORKER_STALLED_INTERVAL_MS: '1000' };

function start(id: string, overrides: Record<string, string> = {}): WorkerProcess {
  const worker = spawnWorker(
    platform.workerEnv({ BILINEAR_WORKER_ID: id, BILINEAR_WORKER_QUEUES: 'train', ...TIMINGS, ...overrides }),
  );
  spawned.push(worker);
  return worker;
}

async function events(jobId: string): Promise<JobEvent[]> {
  return (await platform.events.read(jobId, '0', { count: 100_000 })).map((entry) => entry.event);
}

describe('worker processes', () => {
  it('register with a heartbeat, and on SIGTERM finish the running job, record the stop and exit 0', async () => {
    const worker = start('graceful', {
      BILINEAR_WORKER_HEARTBEAT_MS: '200',
      BILINEAR_WORKER_CONCURRENCY: '2',
    });
    const line = await worker.waitForOutput(/started/);
    expect(line).toMatch(/worker graceful started: queues train, backend wasm/);
    const registered = await platform.db.worker.findUniqueOrThrow({ where: { id: 'graceful' } });
    expect(registered).toMatchObject({
      pid: worker.pid,
      backend: 'wasm',
      concurrency: 2,
      queues: ['train'],
      stoppedAt: null,
    });
    expect(registered.device.length).toBeGreaterThan(0);
    const beat = await waitFor('a heartbeat', async () => {
      const row = await platform.db.worker.findUniqueOrThrow({ where: { id: 'graceful' } });
      return row.lastHeartbeatAt > registered.lastHeartbeatAt ? row : undefined;
    });
    expect(beat.stoppedAt).toBeNull();

    const rows = await createTrainingJob(platform.db, projectId, {
      hiddenDim: 16,
      epochs: 8,
      batchSize: 100,
      trainSubset: 2000,
    });
    await enqueue(platform.queue('train'), 'train', rows.payload);
    await waitFor('training to start', async () =>
      (await events(rows.jobId)).some((event) => event.type === 'metrics'),
    );
    expect((await platform.db.job.findUniqueOrThrow({ where: { id: rows.jobId } })).status).toBe('running');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });

    const job = await platform.db.job.findUniqueOrThrow({ where: { id: rows.jobId } });
    expect(job).toMatchObject({ status: 'completed', attempts: 1, workerId: 'graceful' });
    const stopped = await platform.db.worker.findUniqueOrThrow({ where: { id: 'graceful' } });
    expect(stopped.stoppedAt).not.toBeNull();
  });

  it('recover a job from a SIGKILLed worker in another worker, completing it exactly once', async () => {
    const doomed = start('doomed');
    await doomed.waitForOutput(/started/);
    const rows = await createTrainingJob(platform.db, projectId, {
      hiddenDim: 16,
      epochs: 4,
      batchSize: 100,
      trainSubset: 3000,
    });
    const stepsPerEpoch = 30;
    await enqueue(platform.queue('train'), 'train', rows.payload);
    await waitFor('a few training steps', async () =>
      (await events(rows.jobId)).some((event) => event.type === 'metrics' && event.step >= 5),
    );
    const jobProcesses = doomed.jobProcesses();
    expect(jobProcesses.length).toBeGreaterThan(0);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    // The orphaned job process notices its parent is gone and stops instead of finishing the job.
    await waitFor(
      'the orphaned job process to exit',
      () => jobProcesses.every((pid) => !isAlive(pid)),
      10_000,
    );
    expect((await platform.db.job.findUniqueOrThrow({ where: { id: rows.jobId } })).status).toBe('running');

    const rescuer = start('rescuer');
    await rescuer.waitForOutput(/started/);
    const job = await waitFor(
      'the rescuer to complete the job',
      async () => {
        const row = await platform.db.job.findUniqueOrThrow({ where: { id: rows.jobId } });
        return row.status === 'completed' || row.status === 'failed' ? row : undefined;
      },
      60_000,
    );
    expect(job.error).toBeNull();
    expect(job).toMatchObject({ status: 'completed', workerId: 'rescuer' });
    expect(job.attempts).toBeGreaterThanOrEqual(2);

    const model = await platform.db.model.findUniqueOrThrow({ where: { id: rows.modelId } });
    expect(model.status).toBe('completed');
    const checkpoints = await platform.db.artifact.findMany({ where: { kind: 'checkpoint' } });
    expect(checkpoints.map((artifact) => artifact.id)).toContain(model.checkpointArtifactId);
    const modelsWithCheckpoints = await platform.db.model.count({
      where: { checkpointArtifactId: { not: null } },
    });
    expect(checkpoints).toHaveLength(modelsWithCheckpoints);

    const series = await platform.db.trainingMetric.findMany({ where: { runId: rows.runId } });
    const steps = series.filter((row) => row.kind === 'step').map((row) => row.step);
    expect(steps.sort((a, b) => a - b)).toEqual(Array.from({ length: 4 * stepsPerEpoch }, (_, i) => i + 1));
    expect(series.filter((row) => row.kind === 'epoch')).toHaveLength(4);

    const bull = await platform.queue('train').getJob(rows.jobId);
    expect(await bull?.getState()).toBe('completed');
    const log = await events(rows.jobId);
    const running = log.filter((event) => event.type === 'state' && event.status === 'running');
    expect(running.map((event) => (event.type === 'state' ? event.workerId : ''))).toEqual([
      'doomed',
      'rescuer',
    ]);
    expect(log.filter((event) => event.type === 'state' && event.status === 'completed')).toHaveLength(1);
    expect(log.some((event) => event.type === 'log' && /stopped responding/.test(event.message))).toBe(true);
  });
});
