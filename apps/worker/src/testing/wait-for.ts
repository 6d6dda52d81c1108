import type { Job, Queue } from 'bullmq';

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * BullMQ's record of a job once it has failed, read after its state says so: a job read first and
 * asked for its state second can be the record from before the failure (attemptsMade 0, no reason)
 * when the failure lands in between.
 */
export async function failedJob(queue: Queue, jobId: string, timeoutMs?: number): Promise<Job> {
  return waitFor(
    `BullMQ to fail job ${jobId}`,
    async () => ((await queue.getJobState(jobId)) === 'failed' ? queue.getJob(jobId) : undefined),
    timeoutMs,
  );
}
