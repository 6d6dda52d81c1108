// Cancel and retry, as the platform contract describes them: a job still waiting in BullMQ is
// removed and cancelled here; a running one gets a cancel request its worker honours between
// steps. Retry resets the rows and enqueues the same job id again.
import { FINISHED_STATUSES, jobCatalog, QUEUE_NAMES, type QueueName } from '@bilinear-lab/contracts';
import type { Job } from '@bilinear-lab/db';
import { setSubjectStatus } from '@bilinear-lab/jobs';
import type { FastifyInstance } from 'fastify';
import { conflict } from '../errors.js';
import { enqueueOrUndo } from './enqueue-job.js';

/** BullMQ states in which no worker holds the job: it can be removed outright. */
const REMOVABLE_STATES = new Set([
  'waiting',
  'delayed',
  'prioritized',
  'waiting-children',
  'paused',
  'unknown',
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
    const row = await tx.job.update({
      where: { id: job.id },
      data: { status: 'cancelled', cancelRequestedAt: now, finishedAt: now },
    });
    await setSubjectStatus(tx, job.subject, 'cancelled');
    return row;
  });
  await app.jobEvents.append(job.id, { type: 'state', status: 'cancelled' });
  return { job: updated, immediate: true };
}

export async function retryJob(app: FastifyInstance, job: Job): Promise<Job> {
  if (job.status !== 'failed' && job.status !== 'cancelled') {
    throw conflict(
      'job-not-retryable',
      `job ${job.id} is ${job.status}; only failed or cancelled jobs can be retried`,
    );
  }
  const queueName = queueNameOf(job);
  const payload = jobCatalog[queueName].payload.parse(job.payload);
  const queue = queueOf(app, job);
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
    const row = await tx.job.update({
      where: { id: job.id },
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
    await setSubjectStatus(tx, job.subject, 'queued');
    return row;
  });
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
