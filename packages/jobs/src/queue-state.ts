// What BullMQ says about a job, as the API's retry/cancel and the worker's reconciler read it. A Job
// row that says queued or running is only true while BullMQ still has the job waiting, delayed or
// active; once BullMQ finished it (or lost it) no worker will ever update that row again.
import type { JobState, Queue } from 'bullmq';

/** BullMQ's state of a job; "gone" when Redis has no such job (removed, trimmed, or never added). */
export type QueueJobState = JobState | 'gone';

export interface QueueJobSnapshot {
  state: QueueJobState;
  /** The error of its last failed attempt, as BullMQ recorded it. */
  failedReason: string | null;
}

// biome-ignore lint/suspicious/noExplicitAny: any queue of the catalog, whatever its payload type
type AnyQueue = Queue<any, any, any>;

export async function readQueueJob(queue: AnyQueue, jobId: string): Promise<QueueJobSnapshot> {
  const job = await queue.getJob(jobId);
  if (!job) return { state: 'gone', failedReason: null };
  const state = await job.getState();
  return { state: state === 'unknown' ? 'gone' : state, failedReason: job.failedReason || null };
}

/** No worker holds the job or will take it later: BullMQ completed or failed it, or has no such job. */
export function isAbandoned(state: QueueJobState): boolean {
  return state === 'completed' || state === 'failed' || state === 'gone';
}
