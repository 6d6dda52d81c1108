// Rows first, then the queue: a job is enqueued only after its rows are committed (a worker never
// receives a job it cannot find). When Redis does not take it, the caller's rows are undone and
// the request answers 503.
import { type JobPayload, jobCatalog, type QueueName } from '@bilinear-lab/contracts';
import { enqueue } from '@bilinear-lab/jobs';
import type { FastifyInstance } from 'fastify';
import { serviceUnavailable } from '../errors.js';

const ENQUEUE_TIMEOUT_MS = 5_000;

export async function enqueueOrUndo<Q extends QueueName>(
  app: FastifyInstance,
  queue: Q,
  payload: JobPayload<Q>,
  undo: () => Promise<unknown>,
): Promise<void> {
  try {
    await withTimeout(enqueue(app.queues[queue], queue, payload), ENQUEUE_TIMEOUT_MS);
  } catch (error) {
    app.log.error({ err: error, jobId: payload.jobId, queue }, 'could not enqueue a job');
    await undo().catch((undoError: unknown) =>
      app.log.error({ err: undoError, jobId: payload.jobId }, 'could not undo the rows of a job'),
    );
    throw serviceUnavailable(
      `the ${queue} queue (Redis) did not accept the job, so nothing was created; try again shortly`,
    );
  }
}

/** The job's maxAttempts row value, from the catalog. */
export function maxAttemptsOf(queue: QueueName): number {
  return jobCatalog[queue].attempts;
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
