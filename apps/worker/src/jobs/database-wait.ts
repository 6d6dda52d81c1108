// A database restart must not cost a job its attempts (issue 11: BullMQ spent all three in six
// seconds of a fourteen-second outage and the rows stayed "running"). A job's own writes (marking it
// running, the results commit, the failure record) therefore wait for Postgres to come back, up to
// the worker's patience; past it, the job goes back to BullMQ's delayed set without using an
// attempt (moveToDelayed + DelayedError, see runJob in job-run.ts).
import { isDatabaseUnavailable } from '@bilinear-lab/db';
import { describeError, type Logger } from '../log.js';

/** Pause between tries while Postgres is away: short at first, then every 2 s. */
const FIRST_PAUSE_MS = 250;
const LONGEST_PAUSE_MS = 2_000;

export interface DatabaseWaitOptions {
  log: Logger;
  /** How long to keep trying after the first failure. */
  patienceMs: number;
  /** What the work is, for the log ("job 1234: mark running"). */
  what: string;
  /** Stops the waiting early (the job was cancelled or the worker is shutting down). */
  signal?: AbortSignal | undefined;
}

/**
 * Runs `work`; while it fails because the database is unavailable, runs it again until it succeeds
 * or `patienceMs` have passed (then the last error is thrown). Other errors are thrown at once.
 * `work` must be safe to repeat: a transaction, or a write guarded by a condition.
 */
export async function whileDatabaseAway<T>(work: () => Promise<T>, options: DatabaseWaitOptions): Promise<T> {
  const { log, patienceMs, what, signal } = options;
  let firstFailure: number | undefined;
  let pause = FIRST_PAUSE_MS;
  for (;;) {
    try {
      const result = await work();
      if (firstFailure !== undefined) {
        log.info(`${what}: the database is back after ${Math.round(performance.now() - firstFailure)} ms`);
      }
      return result;
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      const now = performance.now();
      if (firstFailure === undefined) {
        firstFailure = now;
        log.warn(
          `${what}: the database is unavailable (${describeError(error)}); waiting up to ${patienceMs} ms for it`,
        );
      }
      if (now - firstFailure + pause > patienceMs || signal?.aborted) throw error;
      await sleep(pause, signal);
      pause = Math.min(LONGEST_PAUSE_MS, pause * 2);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
