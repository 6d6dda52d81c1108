// One attempt at one job, from the worker's side: the status bookkeeping the API relies on (Job row,
// subject row, state events), progress, cancellation, and the fenced commit of the results.
import { type JobEvent, type JobPayload, jobCatalog, type QueueName } from '@bilinear-lab/contracts';
import { isDatabaseUnavailable, isUuid, type Prisma } from '@bilinear-lab/db';
import { type Subject, setSubjectStatus, subjectOf } from '@bilinear-lab/jobs';
import { DelayedError, UnrecoverableError } from 'bullmq';
import { describeError } from '../log.js';
import { type DatabaseWaitOptions, whileDatabaseAway } from './database-wait.js';
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
  /** BullMQ's: puts the active job back in the delayed set without counting an attempt. */
  moveToDelayed?(timestamp: number, token?: string): Promise<void>;
}

export interface RunJobOptions {
  /** BullMQ's abort signal: the worker is closing or the job was cancelled in BullMQ. */
  signal?: AbortSignal | undefined;
  /** The lock token of this run, which moveToDelayed needs. */
  token?: string | undefined;
}

export type JobHandler<Q extends QueueName, R> = (run: JobRun<Q>) => Promise<R>;

/** How often an active job looks for a cancel request, and how often it reports progress. */
const CANCEL_POLL_MS = 200;
const PROGRESS_INTERVAL_MS = 250;
/** Results transactions write eigenvectors or a checkpoint: allow more than Prisma's 5 s default. */
const COMMIT_TIMEOUT_MS = 120_000;
/** How long a job waits in BullMQ's delayed set when the database outlasted the worker's patience. */
export const DATABASE_RETRY_DELAY_MS = 10_000;

export class JobRun<Q extends QueueName> {
  readonly signal: AbortSignal;
  readonly subject: Subject;
  private readonly controller = new AbortController();
  private readonly cancelPoll: NodeJS.Timeout;
  private pending: Promise<void> = Promise.resolve();
  /** Events waiting to be sent together (see emit). */
  private openBatch: JobEvent[] | null = null;
  /** The newest progress not yet written to the Job row, while a write of it waits. */
  private unwrittenProgress: number | null = null;
  private databaseAwayLogged = false;
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

  /**
   * Appends an event after every earlier one (watchers see them in order); failures are logged.
   * Events emitted while the previous write waits join one batch, sent in one round trip: a training
   * run emits one per step, and on a CPU busy with the gradients each round trip is slow — one by one,
   * the writes fell ever further behind (the bar stood at 46 % when training had finished, then
   * jumped to 95 %).
   */
  emit(event: JobEvent): void {
    if (this.openBatch) {
      this.openBatch.push(event);
      return;
    }
    const batch = [event];
    this.openBatch = batch;
    this.chain(async () => {
      // Sending now: later events start a batch of their own, behind this one.
      if (this.openBatch === batch) this.openBatch = null;
      await this.context.events.appendMany(this.jobId, batch);
    }, 'append an event');
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
    let tries = 0;
    const commitOnce = async () => {
      tries += 1;
      try {
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
      } catch (error) {
        // A retry after a cut connection finds the row no longer running when the earlier COMMIT
        // did reach the server: that commit was this attempt's own.
        if (error instanceof JobSupersededError && tries > 1 && (await this.committedByThisAttempt())) return;
        throw error;
      }
    };
    await whileDatabaseAway(commitOnce, this.databaseWait('store its results'));
  }

  /**
   * Writes part of the results in one transaction while this attempt still owns the job, without
   * completing it: a long job stores as it goes, and a retry after a crash keeps what was stored.
   * The writes must be idempotent (a retry may repeat the last of them).
   */
  async storePart(write: (tx: Prisma.TransactionClient) => Promise<void>): Promise<void> {
    const storeOnce = () =>
      this.context.db.$transaction(
        async (tx) => {
          if ((await tx.job.count({ where: this.fence })) !== 1) {
            throw new JobSupersededError(
              `job ${this.jobId}: attempt ${this.attempt} on ${this.workerId} no longer owns the job (another worker took it over); its results are discarded`,
            );
          }
          await write(tx);
        },
        { timeout: COMMIT_TIMEOUT_MS, maxWait: 10_000 },
      );
    await whileDatabaseAway(storeOnce, this.databaseWait('store part of its results'));
  }

  /** How this run's own writes wait for an unavailable database. */
  databaseWait(what: string): DatabaseWaitOptions {
    return databaseWaitOf(this.context, `job ${this.jobId}: ${what}`);
  }

  private async committedByThisAttempt(): Promise<boolean> {
    const row = await this.context.db.job.findFirst({
      where: { id: this.jobId, status: 'completed', workerId: this.workerId, attempts: this.attempt },
    });
    return row !== null;
  }

  stop(): void {
    clearInterval(this.cancelPoll);
  }

  private reportProgress(fraction: number, message?: string): void {
    const progress = Math.min(1, Math.max(0, fraction));
    this.emit({ type: 'progress', progress, ...(message === undefined ? {} : { message }) });
    // One progress write waits at a time and writes the latest value when its turn comes.
    const waiting = this.unwrittenProgress !== null;
    this.unwrittenProgress = progress;
    if (waiting) return;
    this.defer(async () => {
      const latest = this.unwrittenProgress ?? progress;
      this.unwrittenProgress = null;
      await this.context.db.job.updateMany({ where: this.fence, data: { progress: latest } });
    });
  }

  /**
   * Runs a write after every earlier event and write, without waiting for it (progress, live metric
   * rows); a failure is logged, not thrown: watchers miss an update, the job goes on. commit() and
   * the failure records wait for all of them first. While the database is away only the first
   * failure is logged (a training run reports several times a second).
   */
  defer(task: () => Promise<void>, what = 'report progress'): void {
    // Events emitted after this write go after it, not into a batch queued before it.
    this.openBatch = null;
    this.chain(task, what);
  }

  private chain(task: () => Promise<void>, what: string): void {
    this.pending = this.pending.then(task).then(
      () => {
        this.databaseAwayLogged = false;
      },
      (error: unknown) => {
        const away = isDatabaseUnavailable(error);
        if (away && this.databaseAwayLogged) return;
        this.databaseAwayLogged = away;
        const skipped = away ? '; progress and live metric rows are skipped until it is back' : '';
        this.context.log.warn(`job ${this.jobId}: could not ${what}: ${describeError(error)}${skipped}`);
      },
    );
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
 *
 * A database that stays unavailable beyond the worker's patience ends the run without using an
 * attempt: the job goes back to BullMQ's delayed set (DelayedError) and runs again later, so its
 * Job row ends completed or failed once Postgres is back instead of staying "running".
 */
export async function runJob<Q extends QueueName, R>(
  context: JobContext,
  queue: Q,
  job: QueuedJob,
  handler: JobHandler<Q, R>,
  options: RunJobOptions = {},
): Promise<R | null> {
  try {
    return await attemptJob(context, queue, job, handler, options.signal);
  } catch (error) {
    if (!isDatabaseUnavailable(error) || !job.moveToDelayed) throw error;
    await job.moveToDelayed(Date.now() + DATABASE_RETRY_DELAY_MS, options.token);
    context.log.warn(
      `job ${job.id} (${queue}): the database is still unavailable (${describeError(error)}); back to the queue for ${DATABASE_RETRY_DELAY_MS} ms without using an attempt`,
    );
    await context.events
      .append(job.id ?? '', {
        type: 'log',
        level: 'warn',
        message: 'the database is unavailable; the job waits for it without using an attempt',
      })
      .catch(() => {});
    throw new DelayedError(`job ${job.id} waits for the database`);
  }
}

async function attemptJob<Q extends QueueName, R>(
  context: JobContext,
  queue: Q,
  job: QueuedJob,
  handler: JobHandler<Q, R>,
  signal: AbortSignal | undefined,
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
    if (isDatabaseUnavailable(error)) {
      // Nothing can be recorded now: runJob puts the job back for later.
      await run.flush();
      throw error;
    }
    throw await recordOutcome(run, job, error);
  } finally {
    run.stop();
  }
}

/** Job running, subject running, state event. False when the job is already done (a duplicate run). */
async function markRunning<Q extends QueueName>(run: JobRun<Q>): Promise<boolean> {
  const { db, log } = run.context;
  const row = await whileDatabaseAway(
    () => db.job.findUnique({ where: { id: run.jobId } }),
    run.databaseWait('read its row'),
  );
  if (!row) throw markRecorded(inputError(`job ${run.jobId} has no row in the database (was it deleted?)`));
  if (row.status === 'completed') {
    log.warn(`job ${run.jobId} is already completed; this run does nothing`);
    return false;
  }
  if (row.status === 'cancelled') throw markRecorded(new UnrecoverableError(CANCELLED_MESSAGE));
  const now = new Date();
  const markOnce = () =>
    db.$transaction(async (tx) => {
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
  await whileDatabaseAway(markOnce, run.databaseWait('mark it running'));
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
  const finishOnce = () =>
    db.$transaction(async (tx) => {
      const updated = await tx.job.updateMany({
        where: run.fence,
        data: { status, error, finishedAt: status === 'queued' ? null : new Date() },
      });
      if (updated.count === 1) await setSubjectStatus(tx, run.subject, status, error);
      return updated.count === 1;
    });
  const owned = await whileDatabaseAway(finishOnce, run.databaseWait(`record it ${status}`));
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
  const wait = databaseWaitOf(context, `job ${jobId}: record its rejection`);
  const row = await whileDatabaseAway(() => context.db.job.findUnique({ where: { id: jobId } }), wait);
  if (!row) return;
  const rejectOnce = () =>
    context.db.$transaction(async (tx) => {
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
  await whileDatabaseAway(rejectOnce, wait);
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
  const recordOnce = () =>
    context.db.$transaction(async (tx) => {
      const row = await tx.job.findUnique({ where: { id: jobId } });
      if (!row || (row.status !== 'running' && row.status !== 'queued')) return false;
      await tx.job.update({
        where: { id: jobId },
        data: { status, error: reason, finishedAt: final ? new Date() : null },
      });
      await setSubjectStatus(tx, row.subject, status, reason);
      return true;
    });
  const changed = await whileDatabaseAway(
    recordOnce,
    databaseWaitOf(context, `job ${jobId}: record its failure`),
  );
  if (changed) await context.events.append(jobId, { type: 'state', status, error: reason });
}

function databaseWaitOf(context: JobContext, what: string): DatabaseWaitOptions {
  return { log: context.log, patienceMs: context.env.databasePatienceMs, what };
}
