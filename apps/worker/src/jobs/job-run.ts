// One attempt at one job, from the worker's side: the status bookkeeping the API relies on (Job row,
// subject row, state events), progress, cancellation, and the fenced commit of the results.
import { type JobEvent, type JobPayload, jobCatalog, type QueueName } from '@bilinear-lab/contracts';
import { isUuid, type Prisma } from '@bilinear-lab/db';
import { type Subject, setSubjectStatus, subjectOf } from '@bilinear-lab/jobs';
import { UnrecoverableError } from 'bullmq';
import { describeError } from '../log.js';
import type { JobContext } from './job-context.js';
import {
  CANCELLED_MESSAGE,
  inputError,
  isUnrecoverable,
  JobCancelledError,
  JobSupersededError,
  markRecorded,
} from './job-errors.js';
import { throttle } from './progress-throttle.js';

/** The parts of a BullMQ job (in the parent, or as a sandboxed child sees it) an attempt needs. */
export interface QueuedJob {
  id?: string | undefined;
  data: unknown;
  /** Attempts that ended in failure before this one. */
  attemptsMade: number;
  /** Times the job was moved to active, this time included (stalled restarts count too). */
  attemptsStarted?: number;
  opts: { attempts?: number };
}

export type JobHandler<Q extends QueueName, R> = (run: JobRun<Q>) => Promise<R>;

/** How often an active job looks for a cancel request, and how often it reports progress. */
const CANCEL_POLL_MS = 200;
const PROGRESS_INTERVAL_MS = 250;
/** Results transactions write eigenvectors or a checkpoint: allow more than Prisma's 5 s default. */
const COMMIT_TIMEOUT_MS = 120_000;

export class JobRun<Q extends QueueName> {
  readonly signal: AbortSignal;
  readonly subject: Subject;
  private readonly controller = new AbortController();
  private readonly cancelPoll: NodeJS.Timeout;
  private pending: Promise<void> = Promise.resolve();
  readonly progress: (fraction: number, message?: string) => void;

  constructor(
    readonly context: JobContext,
    readonly queue: Q,
    readonly jobId: string,
    readonly payload: JobPayload<Q>,
    readonly attempt: number,
    externalSignal?: AbortSignal,
  ) {
    this.signal = this.controller.signal;
    this.subject = subjectOf(queue, payload);
    externalSignal?.addEventListener('abort', () => this.controller.abort(), { once: true });
    this.cancelPoll = setInterval(() => void this.pollCancel(), CANCEL_POLL_MS);
    this.cancelPoll.unref();
    this.progress = throttle(
      (fraction: number, message?: string) => this.reportProgress(fraction, message),
      PROGRESS_INTERVAL_MS,
      (fraction) => fraction >= 1,
    );
  }

  get workerId(): string {
    return this.context.env.workerId;
  }

  /** The Job row as long as this attempt owns it: another worker's takeover changes workerId or attempts. */
  get fence(): Prisma.JobWhereInput {
    return { id: this.jobId, status: 'running', workerId: this.workerId, attempts: this.attempt };
  }

  /** Appends an event after every earlier one (watchers see them in order); failures are logged. */
  emit(event: JobEvent): void {
    this.defer(() => this.context.events.append(this.jobId, event).then(() => {}), 'append an event');
  }

  /** Waits until every event and progress write so far has reached Redis and Postgres. */
  flush(): Promise<void> {
    return this.pending;
  }

  /** Throws JobCancelledError if a cancel was requested (checked in Redis now, not at the last poll). */
  async throwIfCancelled(where: string): Promise<void> {
    if (this.signal.aborted || (await this.context.cancels.isRequested(this.jobId))) {
      this.controller.abort();
      throw new JobCancelledError(where);
    }
  }

  /**
   * Writes the results and marks the job completed in ONE transaction, only while this attempt still
   * owns the job: if another worker took it over, nothing is written (JobSupersededError).
   */
  async commit(write: (tx: Prisma.TransactionClient) => Promise<void>): Promise<void> {
    await this.flush();
    await this.context.db.$transaction(
      async (tx) => {
        const owned = await tx.job.updateMany({
          where: this.fence,
          data: { status: 'completed', progress: 1, error: null, finishedAt: new Date() },
        });
        if (owned.count !== 1) {
          throw new JobSupersededError(
            `job ${this.jobId}: attempt ${this.attempt} on ${this.workerId} no longer owns the job (another worker took it over); its results are discarded`,
          );
        }
        await write(tx);
        await setSubjectStatus(tx, this.subject, 'completed');
      },
      { timeout: COMMIT_TIMEOUT_MS, maxWait: 10_000 },
    );
  }

  stop(): void {
    clearInterval(this.cancelPoll);
  }

  private reportProgress(fraction: number, message?: string): void {
    const progress = Math.min(1, Math.max(0, fraction));
    this.emit({ type: 'progress', progress, ...(message === undefined ? {} : { message }) });
    this.defer(async () => {
      await this.context.db.job.updateMany({ where: this.fence, data: { progress } });
    });
  }

  /**
   * Runs a write after every earlier event and write, without waiting for it (progress, live metric
   * rows); a failure is logged, not thrown: watchers miss an update, the job goes on. commit() and
   * the failure records wait for all of them first.
   */
  defer(task: () => Promise<void>, what = 'report progress'): void {
    this.pending = this.pending.then(task).catch((error: unknown) => {
      this.context.log.warn(`job ${this.jobId}: could not ${what}: ${describeError(error)}`);
    });
  }

  private async pollCancel(): Promise<void> {
    if (this.signal.aborted) return;
    try {
      if (await this.context.cancels.isRequested(this.jobId)) this.controller.abort();
    } catch (error) {
      this.context.log.warn(`job ${this.jobId}: cancel check failed: ${describeError(error)}`);
    }
  }
}

/**
 * Runs one attempt of a job: validates the payload (invalid → UnrecoverableError, recorded), marks
 * the job running, runs the handler and records how it ended. Errors are rethrown for BullMQ
 * (retry or fail) with the mark that says Postgres already knows.
 */
export async function runJob<Q extends QueueName, R>(
  context: JobContext,
  queue: Q,
  job: QueuedJob,
  handler: JobHandler<Q, R>,
  signal?: AbortSignal,
): Promise<R | null> {
  const jobId = job.id ?? '';
  const attempt = Math.max(job.attemptsMade + 1, job.attemptsStarted ?? 0);
  const parsed = jobCatalog[queue].payload.safeParse(job.data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'payload'}: ${issue.message}`,
    );
    const reason = `invalid ${queue} payload (${problems.join('; ')})`;
    await recordRejected(context, jobId, attempt, reason);
    throw markRecorded(new UnrecoverableError(reason));
  }
  const payload = parsed.data as JobPayload<Q>;
  if (payload.jobId !== jobId) {
    const reason = `payload jobId ${payload.jobId} differs from the queued job's id ${jobId}`;
    await recordRejected(context, jobId, attempt, reason);
    throw markRecorded(new UnrecoverableError(reason));
  }

  const run = new JobRun(context, queue, jobId, payload, attempt, signal);
  try {
    if (!(await markRunning(run))) return null;
    const result = await handler(run);
    run.emit({ type: 'progress', progress: 1, message: 'completed' });
    run.emit({ type: 'state', status: 'completed', attempt, workerId: run.workerId });
    await run.flush();
    context.log.info(`job ${jobId} (${queue}) completed on attempt ${attempt}`);
    return result;
  } catch (error) {
    throw await recordOutcome(run, job, error);
  } finally {
    run.stop();
  }
}

/** Job running, subject running, state event. False when the job is already done (a duplicate run). */
async function markRunning<Q extends QueueName>(run: JobRun<Q>): Promise<boolean> {
  const { db, log } = run.context;
  const row = await db.job.findUnique({ where: { id: run.jobId } });
  if (!row) throw markRecorded(inputError(`job ${run.jobId} has no row in the database (was it deleted?)`));
  if (row.status === 'completed') {
    log.warn(`job ${run.jobId} is already completed; this run does nothing`);
    return false;
  }
  if (row.status === 'cancelled') throw markRecorded(new UnrecoverableError(CANCELLED_MESSAGE));
  const now = new Date();
  await db.$transaction(async (tx) => {
    await tx.job.update({
      where: { id: run.jobId },
      data: {
        status: 'running',
        attempts: run.attempt,
        workerId: run.workerId,
        startedAt: now,
        finishedAt: null,
        error: null,
        progress: 0,
      },
    });
    await setSubjectStatus(tx, run.subject, 'running');
    if (run.subject.kind === 'model') {
      await tx.trainingRun.updateMany({ where: { modelId: run.subject.id }, data: { startedAt: now } });
    }
  });
  run.emit({ type: 'state', status: 'running', attempt: run.attempt, workerId: run.workerId });
  log.info(`job ${run.jobId} (${run.queue}) running, attempt ${run.attempt}`);
  return true;
}

/** Records how a failed attempt ended and returns the error to hand to BullMQ. */
async function recordOutcome<Q extends QueueName>(
  run: JobRun<Q>,
  job: QueuedJob,
  error: unknown,
): Promise<Error> {
  const { log } = run.context;
  if (error instanceof JobSupersededError) {
    log.warn(error.message);
    return markRecorded(error);
  }
  if (error instanceof JobCancelledError) {
    await finish(run, 'cancelled', null);
    log.info(`job ${run.jobId} (${run.queue}) ${error.message}`);
    return markRecorded(new UnrecoverableError(CANCELLED_MESSAGE));
  }
  const message = describeError(error);
  const willRetry = !isUnrecoverable(error) && job.attemptsMade + 1 < (job.opts.attempts ?? 1);
  await finish(run, willRetry ? 'queued' : 'failed', message);
  log.warn(
    `job ${run.jobId} (${run.queue}) attempt ${run.attempt} failed${willRetry ? ', will retry' : ''}: ${message}`,
  );
  const thrown = error instanceof Error ? error : new Error(message);
  return markRecorded(thrown);
}

/** Ends an attempt that did not complete: Job and subject to `status`, a state event. */
async function finish<Q extends QueueName>(
  run: JobRun<Q>,
  status: 'queued' | 'failed' | 'cancelled',
  error: string | null,
): Promise<void> {
  await run.flush();
  const { db } = run.context;
  const owned = await db.$transaction(async (tx) => {
    const updated = await tx.job.updateMany({
      where: run.fence,
      data: { status, error, finishedAt: status === 'queued' ? null : new Date() },
    });
    if (updated.count === 1) await setSubjectStatus(tx, run.subject, status, error);
    return updated.count === 1;
  });
  if (!owned) return;
  await run.context.events.append(run.jobId, {
    type: 'state',
    status,
    attempt: run.attempt,
    workerId: run.workerId,
    ...(error === null ? {} : { error }),
  });
}

/** A payload that fails validation: the Job row it names (if any) and its subject fail with the reason. */
async function recordRejected(
  context: JobContext,
  jobId: string,
  attempt: number,
  reason: string,
): Promise<void> {
  context.log.warn(`job ${jobId || '(no id)'} rejected: ${reason}`);
  if (!isUuid(jobId)) return;
  const row = await context.db.job.findUnique({ where: { id: jobId } });
  if (!row) return;
  await context.db.$transaction(async (tx) => {
    await tx.job.update({
      where: { id: jobId },
      data: {
        status: 'failed',
        error: reason,
        attempts: attempt,
        workerId: context.env.workerId,
        finishedAt: new Date(),
      },
    });
    await setSubjectStatus(tx, row.subject, 'failed', reason);
  });
  await context.events.append(jobId, { type: 'state', status: 'failed', attempt, error: reason });
}

/**
 * For the parent process: a failure the child could not record (it crashed, or the job stalled too
 * often). Only a Job row still marked running or queued is touched.
 */
export async function recordUnhandledFailure(
  context: JobContext,
  jobId: string,
  final: boolean,
  reason: string,
): Promise<void> {
  if (!isUuid(jobId)) return;
  const status = final ? 'failed' : 'queued';
  const changed = await context.db.$transaction(async (tx) => {
    const row = await tx.job.findUnique({ where: { id: jobId } });
    if (!row || (row.status !== 'running' && row.status !== 'queued')) return false;
    await tx.job.update({
      where: { id: jobId },
      data: { status, error: reason, finishedAt: final ? new Date() : null },
    });
    await setSubjectStatus(tx, row.subject, status, reason);
    return true;
  });
  if (changed) await context.events.append(jobId, { type: 'state', status, error: reason });
}
