// Cancel and retry, as the platform contract describes them: a job still waiting in BullMQ is
// removed and cancelled here; a running one gets a cancel request its worker honours between
// steps. Retry resets the rows and enqueues the same job id again.
//
// A row that says queued or running while BullMQ has failed, completed or lost the job (a worker
// that could not record how it ended, issue 11) has no worker left to honour a request: cancel
// settles it at once, and retry takes it like a failed one. Both write only if the row is still as
// they read it, so they never overwrite what a worker or the reconciler wrote meanwhile.
import { FINISHED_STATUSES, jobCatalog, QUEUE_NAMES, type QueueName } from '@bilinear-lab/contracts';
import type { Job } from '@bilinear-lab/db';
import { isAbandoned, readQueueJob, setSubjectStatus } from '@bilinear-lab/jobs';
import type { FastifyInstance } from 'fastify';
import { conflict } from '../errors.js';
import { enqueueOrUndo } from './enqueue-job.js';

/** BullMQ states in which no worker holds the job (finished ones included): it can be removed outright. */
const REMOVABLE_STATES = new Set([
  'waiting',
  'delayed',
  'prioritized',
  'waiting-children',
  'paused',
  'unknown',
  'completed',
  'failed',
]);

export interface CancelOutcome {
  job: Job;
  /** True when the job was cancelled here; false when its worker was asked to stop. */
  immediate: boolean;
}

export async function cancelJob(app: FastifyInstance, job: Job): Promise<CancelOutcome> {
  if (FINISHED_STATUSES.includes(job.status)) {
    throw conflict(
      'job-finished',
      `job ${job.id} is already ${job.status}; only queued or running jobs can be cancelled`,
    );
  }
  const queue = queueOf(app, job);
  const queued = await queue.getJob(job.id);
  let removed = queued === undefined;
  if (queued !== undefined && REMOVABLE_STATES.has(await queued.getState())) {
    // Fails when a worker took the job in the meantime (it is locked): then ask that worker.
    removed = await queued.remove().then(
      () => true,
      () => false,
    );
  }
  if (!removed) {
    await app.cancelRequests.request(job.id);
    const updated = await app.db.job.update({
      where: { id: job.id },
      data: { cancelRequestedAt: new Date() },
    });
    return { job: updated, immediate: false };
  }
  const now = new Date();
  const updated = await app.db.$transaction(async (tx) => {
    const changed = await tx.job.updateMany({
      where: { id: job.id, status: { in: ['queued', 'running'] } },
      data: { status: 'cancelled', cancelRequestedAt: now, finishedAt: now },
    });
    if (changed.count === 0) return null;
    await setSubjectStatus(tx, job.subject, 'cancelled');
    return tx.job.findUniqueOrThrow({ where: { id: job.id } });
  });
  if (updated === null) {
    // Its worker finished it between our read and our write.
    const current = await app.db.job.findUniqueOrThrow({ where: { id: job.id } });
    throw conflict(
      'job-finished',
      `job ${job.id} is already ${current.status}; only queued or running jobs can be cancelled`,
    );
  }
  await app.jobEvents.append(job.id, { type: 'state', status: 'cancelled' });
  return { job: updated, immediate: true };
}

export async function retryJob(app: FastifyInstance, job: Job): Promise<Job> {
  const queueName = queueNameOf(job);
  const queue = queueOf(app, job);
  if (job.status !== 'failed' && job.status !== 'cancelled') {
    const stuck = job.status !== 'completed' && isAbandoned((await readQueueJob(queue, job.id)).state);
    if (!stuck) {
      throw conflict(
        'job-not-retryable',
        `job ${job.id} is ${job.status}; only failed or cancelled jobs can be retried (or a queued or running one the queue has already finished with or lost)`,
      );
    }
  }
  const payload = jobCatalog[queueName].payload.parse(job.payload);
  const previous = await queue.getJob(job.id);
  if (previous !== undefined) {
    if ((await previous.getState()) === 'active') {
      throw conflict(
        'job-still-active',
        `job ${job.id} is still held by a worker that is stopping it; retry once it has let go`,
      );
    }
    // The old BullMQ job would make the new add a no-op (same id).
    await previous.remove();
  }
  await app.cancelRequests.clear(job.id);
  const reset = await app.db.$transaction(async (tx) => {
    const changed = await tx.job.updateMany({
      where: { id: job.id, status: job.status },
      data: {
        status: 'queued',
        error: null,
        progress: 0,
        attempts: 0,
        workerId: null,
        startedAt: null,
        finishedAt: null,
        cancelRequestedAt: null,
      },
    });
    if (changed.count === 0) return null;
    await setSubjectStatus(tx, job.subject, 'queued');
    return tx.job.findUniqueOrThrow({ where: { id: job.id } });
  });
  if (reset === null) {
    throw conflict(
      'job-changed',
      `job ${job.id} changed while it was being retried; look at it again and retry`,
    );
  }
  await enqueueOrUndo(app, queueName, payload, async () => {
    await app.db.$transaction(async (tx) => {
      await tx.job.update({
        where: { id: job.id },
        data: { status: job.status, error: job.error, finishedAt: job.finishedAt },
      });
      await setSubjectStatus(tx, job.subject, job.status, job.error);
    });
  });
  await app.jobEvents.append(job.id, { type: 'state', status: 'queued' });
  return reset;
}

function queueNameOf(job: Job): QueueName {
  if (!(QUEUE_NAMES as string[]).includes(job.queue)) {
    throw new Error(`job ${job.id} names an unknown queue ${job.queue}`);
  }
  return job.queue as QueueName;
}

function queueOf(app: FastifyInstance, job: Job) {
  return app.queues[queueNameOf(job)];
}
