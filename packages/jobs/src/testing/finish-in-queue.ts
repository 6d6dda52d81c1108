// Tests of what happens when BullMQ and the Job row disagree need BullMQ to have taken, failed or
// completed a job that no worker ran: this takes it by hand (BullMQ's manual fetch), as a worker
// would, and leaves it in the asked-for state with the rows untouched.
import { randomUUID } from 'node:crypto';
import { type Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

export type QueueOutcome = { active: true } | { failed: string } | { completed: unknown };

// biome-ignore lint/suspicious/noExplicitAny: any queue of the catalog, whatever its payload type
type AnyQueue = Queue<any, any, any>;

/** Moves the (waiting) job `jobId` to active, then to failed or completed as `outcome` says. */
export async function finishInQueue(queue: AnyQueue, jobId: string, outcome: QueueOutcome): Promise<void> {
  const job = await queue.getJob(jobId);
  if (!job) throw new Error(`finishInQueue: no job ${jobId} in ${queue.name}`);
  // Added again at the head of the wait list, so the manual fetch takes this job and no other.
  await job.remove();
  await queue.add(job.name, job.data, { jobId, attempts: 1, lifo: true });
  // A worker's connection must wait through Redis errors (BullMQ refuses one that fails fast).
  const connection = (queue.opts.connection as Redis).duplicate({ maxRetriesPerRequest: null });
  const hand = new Worker(queue.name, null, { connection, prefix: queue.opts.prefix, autorun: false });
  try {
    const token = randomUUID();
    const taken = await hand.getNextJob(token, { block: false });
    if (taken?.id !== jobId) throw new Error(`finishInQueue: took ${taken?.id} instead of ${jobId}`);
    if ('failed' in outcome) await taken.moveToFailed(new UnrecoverableError(outcome.failed), token);
    if ('completed' in outcome) await taken.moveToCompleted(outcome.completed, token, false);
  } finally {
    await hand.close();
    await connection.quit();
  }
}
