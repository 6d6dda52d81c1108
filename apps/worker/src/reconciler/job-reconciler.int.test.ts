// The reconciler against a real Postgres schema and real BullMQ queues: every combination of what the
// Job row says (queued, running, a cancel requested) and what BullMQ says (waiting, delayed, active,
// failed, completed, gone), for both kinds of subject; the lock that keeps passes apart; and a row
// that changed after the pass read it.
import { randomUUID } from 'node:crypto';
import type { JobStatus, QueueName } from '@bilinear-lab/contracts';
import { type Queue, UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { createDecompositionJob, createProject, createTrainingJob } from '../testing/platform-rows.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { waitFor } from '../testing/wait-for.js';
import { COMPLETED_WITHOUT_RESULTS, JobReconciler } from './job-reconciler.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let platform: TestPlatform;
let projectId: string;
/** Takes jobs into the active state by hand (no processor), as a worker that then died would. */
const hands = new Map<QueueName, Worker>();

beforeAll(async () => {
  platform = await createTestPlatform(DATABASE_URL, REDIS_URL, 'reconciler');
  projectId = await createProject(platform.db);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([...hands.values()].map((worker) => worker.close(true)));
  await platform?.close();
});

/** The tests' rows are seconds old: no grace for queued rows unless a test asks for it. */
function reconciler(queuedGraceMs = 0): JobReconciler {
  return new JobReconciler({
    db: platform.db,
    redis: platform.redis,
    prefix: platform.prefix,
    events: platform.events,
    log: createLogger('silent'),
    queuedGraceMs,
  });
}

function hand(queue: QueueName): Worker {
  let worker = hands.get(queue);
  if (!worker) {
    worker = new Worker(queue, null, { connection: platform.redis.duplicate(), prefix: platform.prefix });
    hands.set(queue, worker);
  }
  return worker;
}

type QueueSetup = 'waiting' | 'delayed' | 'active' | 'failed' | 'completed' | 'gone';

interface Case {
  row: 'queued' | 'running';
  queue: QueueSetup;
  cancelRequested?: boolean;
}

interface Subjects {
  queue: QueueName;
  jobId: string;
  payload: { jobId: string };
  subjectStatus(): Promise<JobStatus>;
}

async function createJob(queue: QueueName): Promise<Subjects> {
  const training = await createTrainingJob(platform.db, projectId, { hiddenDim: 4, epochs: 1 });
  if (queue === 'train') {
    return {
      queue,
      jobId: training.jobId,
      payload: training.payload,
      subjectStatus: async () =>
        (await platform.db.model.findUniqueOrThrow({ where: { id: training.modelId } })).status,
    };
  }
  const rows = await createDecompositionJob(platform.db, projectId, training.modelId, { topK: 2 });
  return {
    queue,
    jobId: rows.jobId,
    payload: rows.payload,
    subjectStatus: async () =>
      (await platform.db.decomposition.findUniqueOrThrow({ where: { id: rows.decompositionId } })).status,
  };
}

/** Puts the job's rows and its BullMQ job in the states of the case. */
async function arrange(queue: QueueName, setup: Case): Promise<Subjects> {
  const job = await createJob(queue);
  // Untyped: one path adds both queues' payloads.
  const bull = platform.queue(queue) as unknown as Queue;
  const add = (options: object) => bull.add(queue, job.payload, { jobId: job.jobId, ...options });
  if (setup.queue === 'waiting') await add({});
  if (setup.queue === 'delayed') await add({ delay: 600_000 });
  if (setup.queue === 'active' || setup.queue === 'failed' || setup.queue === 'completed') {
    // lifo: ahead of the waiting cases' jobs, so the hand takes this one.
    await add({ attempts: 1, lifo: true });
    const token = randomUUID();
    const taken = await hand(queue).getNextJob(token, { block: false });
    expect(taken?.id).toBe(job.jobId);
    if (setup.queue === 'failed') await taken?.moveToFailed(new UnrecoverableError('out of memory'), token);
    if (setup.queue === 'completed') await taken?.moveToCompleted({ ok: true }, token, false);
  }
  await platform.db.job.update({
    where: { id: job.jobId },
    data: {
      status: setup.row,
      attempts: setup.row === 'running' ? 1 : 0,
      workerId: setup.row === 'running' ? 'gone-worker' : null,
      ...(setup.cancelRequested ? { cancelRequestedAt: new Date() } : {}),
    },
  });
  if (queue === 'train') {
    await platform.db.model.updateMany({
      where: { trainingRun: { jobId: job.jobId } },
      data: { status: setup.row },
    });
  } else {
    await platform.db.decomposition.updateMany({ where: { jobId: job.jobId }, data: { status: setup.row } });
  }
  expect(await platform.queue(queue).getJobState(job.jobId)).toBe(
    setup.queue === 'gone' ? 'unknown' : setup.queue,
  );
  return job;
}

interface Expected {
  status: JobStatus;
  error?: string | null;
  /** BullMQ's state afterwards (default: unchanged). */
  queueAfter?: string;
}

const CASES: [Case, Expected][] = [
  [{ row: 'queued', queue: 'waiting' }, { status: 'queued' }],
  [{ row: 'queued', queue: 'delayed' }, { status: 'queued' }],
  [{ row: 'running', queue: 'delayed' }, { status: 'running' }],
  [{ row: 'running', queue: 'active' }, { status: 'running' }],
  [{ row: 'queued', queue: 'active' }, { status: 'queued' }],
  [{ row: 'running', queue: 'active', cancelRequested: true }, { status: 'running' }],
  [
    { row: 'running', queue: 'failed' },
    { status: 'failed', error: 'out of memory' },
  ],
  [
    { row: 'queued', queue: 'failed' },
    { status: 'failed', error: 'out of memory' },
  ],
  [
    { row: 'running', queue: 'failed', cancelRequested: true },
    { status: 'cancelled', error: null },
  ],
  [
    { row: 'running', queue: 'completed' },
    { status: 'failed', error: COMPLETED_WITHOUT_RESULTS },
  ],
  [
    { row: 'queued', queue: 'completed' },
    { status: 'failed', error: COMPLETED_WITHOUT_RESULTS },
  ],
  [
    { row: 'running', queue: 'gone' },
    { status: 'queued', error: null, queueAfter: 'waiting' },
  ],
  [
    { row: 'queued', queue: 'gone' },
    { status: 'queued', error: null, queueAfter: 'waiting' },
  ],
  [
    { row: 'running', queue: 'gone', cancelRequested: true },
    { status: 'cancelled', queueAfter: 'unknown' },
  ],
];

describe('the job reconciler', () => {
  for (const queue of ['train', 'decompose'] as const) {
    it(`repairs ${queue} rows by what BullMQ says, and leaves the rest alone`, async () => {
      const arranged = [];
      for (const [setup, expected] of CASES)
        arranged.push({ setup, expected, job: await arrange(queue, setup) });

      const report = await reconciler().reconcileOnce();
      expect(report).not.toBeNull();

      for (const { setup, expected, job } of arranged) {
        const label = `row ${setup.row}, BullMQ ${setup.queue}${setup.cancelRequested ? ', cancel requested' : ''}`;
        const row = await platform.db.job.findUniqueOrThrow({ where: { id: job.jobId } });
        expect({ label, status: row.status }).toEqual({ label, status: expected.status });
        if (expected.error !== undefined)
          expect({ label, error: row.error }).toEqual({ label, error: expected.error });
        // The subject follows its job, and a final status has a finish time.
        expect({ label, subject: await job.subjectStatus() }).toEqual({ label, subject: expected.status });
        if (expected.status === 'failed' || expected.status === 'cancelled') {
          expect(row.finishedAt).not.toBeNull();
          const events = await platform.events.read(job.jobId);
          expect(events.at(-1)?.event).toMatchObject({ type: 'state', status: expected.status });
        }
        const stateAfter = await platform.queue(queue).getJobState(job.jobId);
        expect({ label, stateAfter }).toEqual({
          label,
          stateAfter: expected.queueAfter ?? (setup.queue === 'gone' ? 'unknown' : setup.queue),
        });
        const repaired = report?.repairs.find((repair) => repair.jobId === job.jobId);
        const changed = expected.status !== setup.row || setup.queue === 'gone';
        expect({ label, repaired: repaired !== undefined }).toEqual({ label, repaired: changed });
      }

      // A second pass finds nothing left to do: the requeued jobs are waiting now.
      const again = await reconciler().reconcileOnce();
      const mine = new Set(arranged.map(({ job }) => job.jobId));
      expect(again?.repairs.filter((repair) => mine.has(repair.jobId))).toEqual([]);
      // Leave nothing behind for the other queue's case: the hand-taken jobs finish.
      await platform.queue(queue).obliterate({ force: true });
    });
  }

  it('leaves a fresh queued row whose job is not in BullMQ yet (the API enqueues after writing it)', async () => {
    const fresh = await arrange('train', { row: 'queued', queue: 'gone' });
    const report = await reconciler(60_000).reconcileOnce();
    expect(report?.repairs.map((repair) => repair.jobId)).not.toContain(fresh.jobId);
    expect(await platform.queue('train').getJobState(fresh.jobId)).toBe('unknown');
    // A running row gets no grace: a worker had it, so it was enqueued long ago.
    const lost = await arrange('train', { row: 'running', queue: 'gone' });
    const again = await reconciler(60_000).reconcileOnce();
    expect(again?.repairs).toContainEqual({ jobId: lost.jobId, action: 'requeued' });
    await platform.queue('train').obliterate({ force: true });
  });

  it('lets one pass run at a time across reconcilers (the Redis lock)', async () => {
    const job = await arrange('train', { row: 'running', queue: 'failed' });
    const reports = await Promise.all([reconciler().reconcileOnce(), reconciler().reconcileOnce()]);
    expect(reports.filter((report) => report === null)).toHaveLength(1);
    const row = await platform.db.job.findUniqueOrThrow({ where: { id: job.jobId } });
    expect(row.status).toBe('failed');
    const failedEvents = (await platform.events.read(job.jobId)).filter(
      (entry) => entry.event.type === 'state' && entry.event.status === 'failed',
    );
    expect(failedEvents).toHaveLength(1);

    // A lock someone else holds: the pass does nothing.
    await platform.redis.set(`${platform.prefix}:reconciler:lock`, 'another-worker', 'PX', 5_000);
    const blocked = await arrange('train', { row: 'running', queue: 'failed' });
    expect(await reconciler().reconcileOnce()).toBeNull();
    expect((await platform.db.job.findUniqueOrThrow({ where: { id: blocked.jobId } })).status).toBe(
      'running',
    );
    await platform.redis.del(`${platform.prefix}:reconciler:lock`);
    await platform.queue('train').obliterate({ force: true });
  });

  it('leaves a row that a worker changed while the pass was deciding', async () => {
    const job = await arrange('train', { row: 'running', queue: 'failed' });
    // Another attempt takes the row (a transaction that holds its lock); the pass read it before.
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => {
      commit = resolve;
    });
    const takeover = platform.db.$transaction(
      async (tx) => {
        await tx.job.update({ where: { id: job.jobId }, data: { attempts: 2, workerId: 'other' } });
        await committed;
      },
      { timeout: 30_000 },
    );
    const pass = reconciler().reconcileOnce();
    await waitFor('the pass to wait for the row lock', async () => {
      const [{ waiting }] = await platform.db.$queryRaw<[{ waiting: number }]>`
        SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE cardinality(pg_blocking_pids(pid)) > 0 AND query LIKE ${`%${platform.schema}%`}`;
      return waiting > 0;
    });
    commit();
    await takeover;
    const report = await pass;
    expect(report?.repairs.map((repair) => repair.jobId)).not.toContain(job.jobId);
    const row = await platform.db.job.findUniqueOrThrow({ where: { id: job.jobId } });
    expect(row).toMatchObject({ status: 'running', attempts: 2, workerId: 'other' });
    await platform.queue('train').obliterate({ force: true });
  });
});
