import { UnrecoverableError } from 'bullmq';

/**
 * Marks an error whose outcome (failed, queued for a retry, cancelled) the sandboxed child already
 * wrote to Postgres. The mark is an own property, so it survives BullMQ's trip from child to parent;
 * the parent records only failures that carry no mark (a child that crashed, a job that stalled).
 */
export const RECORDED_MARK = 'bilinearRecorded';

export function markRecorded<E extends Error>(error: E): E {
  Object.defineProperty(error, RECORDED_MARK, { value: true, enumerable: true });
  return error;
}

export function isRecorded(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as Record<string, unknown>)[RECORDED_MARK] === true
  );
}

/** BullMQ's test, which also holds for an UnrecoverableError rebuilt from a child's message. */
export function isUnrecoverable(error: unknown): boolean {
  return (
    error instanceof UnrecoverableError || (error instanceof Error && error.name === 'UnrecoverableError')
  );
}

/** The job cannot succeed whatever the retries: bad payload, rows gone, a model that cannot be decomposed. */
export function inputError(message: string): UnrecoverableError {
  return new UnrecoverableError(message);
}

/** A user asked to cancel the job; thrown by the handler at the next step or output boundary. */
export class JobCancelledError extends Error {
  override readonly name = 'JobCancelledError';
  constructor(readonly where: string) {
    super(`cancelled ${where}`);
  }
}

/**
 * Another worker took the job over (this one was presumed dead: its lock expired). Nothing this
 * attempt wrote may stand, so the results transaction rolls back.
 */
export class JobSupersededError extends Error {
  override readonly name = 'JobSupersededError';
}

/** The message BullMQ records for a cancelled job: the API and dashboard read it as "cancelled". */
export const CANCELLED_MESSAGE = 'cancelled';
