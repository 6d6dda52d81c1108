// Repairs Job rows (and their Model/Decomposition) that say queued or running while BullMQ has
// finished with the job or lost it: a worker that could not record a failure (the database was down,
// issue 11), a process killed between its write and BullMQ's, a Redis that lost its data. Every
// worker runs it at start-up and then periodically; a Redis lock per key prefix lets one pass run at
// a time across workers and hosts, and each repair is a compare-and-set on the row as it was read,
// so a pass that overlaps another (an expired lock) or a worker or API write changes nothing wrongly.
//
// What a row that says queued/running becomes, by BullMQ's state of its job:
//   waiting, delayed, prioritized, active, waiting-children → left alone (a worker will get to it);
//   failed    → failed with BullMQ's recorded reason (cancelled, if a cancel was requested);
//   completed → failed: the results commit marks the row completed in the same transaction, so a
//               row that did not follow has no results (retry runs it again);
//   gone      → queued again under the same id (the payload is in the row; jobs are idempotent), or
//               cancelled if a cancel was requested. Re-enqueueing rather than failing means a job
//               Redis lost still gets done without anyone asking, and a same-id add is a no-op, so it
//               cannot race the API's own enqueue into a duplicate. A queued row younger than
//               `queuedGraceMs` is left alone: the API writes the rows first and enqueues after.
import { randomUUID } from 'node:crypto';
import { type JobStatus, jobCatalog, QUEUE_NAMES, type QueueName } from '@bilinear-lab/contracts';
import { type Database, isDatabaseUnavailable, type Job } from '@bilinear-lab/db';
import {
  enqueue,
  type JobEventLog,
  openQueue,
  type PlatformQueue,
  type QueueJobSnapshot,
  type Redis,
  readQueueJob,
  setSubjectStatus,
} from '@bilinear-lab/jobs';
import { describeError, type Logger } from '../log.js';

export interface ReconcilerOptions {
  db: Database;
  /** A connection for plain commands (the lock, BullMQ reads); not a blocking one. */
  redis: Redis;
  prefix: string;
  events: JobEventLog;
  log: Logger;
  /** A queued row whose job is not in BullMQ is left alone this long after its creation. */
  queuedGraceMs?: number;
}

export type Repair =
  | { jobId: string; action: 'failed'; reason: string }
  | { jobId: string; action: 'cancelled' }
  | { jobId: string; action: 'requeued' };

export interface ReconcileReport {
  /** Job rows that said queued or running. */
  checked: number;
  repairs: Repair[];
}

/** Long enough for any API request between writing the rows and enqueueing (it gives up after 5 s). */
const QUEUED_GRACE_MS = 120_000;
/** Rows read per page: a pass walks all queued/running rows, a page at a time. */
const PAGE = 500;
/** The lock outlives any sane pass; if a holder dies, the next pass after this long takes over. */
const LOCK_MS = 60_000;
const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

export const COMPLETED_WITHOUT_RESULTS =
  'the queue recorded this job as completed, but its results were never stored; retry it';

export class JobReconciler {
  private readonly queues = new Map<QueueName, PlatformQueue<QueueName>>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: ReconcilerOptions) {}

  /** Runs a pass now and then every `intervalMs` (never two at once in this process). */
  start(intervalMs: number): void {
    const tick = () => {
      this.running = this.reconcileSafely().finally(() => {
        if (!this.stopped) {
          this.timer = setTimeout(tick, intervalMs);
          this.timer.unref();
        }
      });
    };
    tick();
  }

  /** Stops the schedule and waits for a pass under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
  }

  /** One pass; null when another worker holds the lock. */
  async reconcileOnce(): Promise<ReconcileReport | null> {
    const { redis, prefix } = this.options;
    const lockKey = `${prefix}:reconciler:lock`;
    const token = randomUUID();
    if ((await redis.set(lockKey, token, 'PX', LOCK_MS, 'NX')) !== 'OK') return null;
    try {
      return await this.pass();
    } finally {
      await redis.eval(RELEASE_LOCK, 1, lockKey, token).catch(() => {});
    }
  }

  private async reconcileSafely(): Promise<void> {
    try {
      const report = await this.reconcileOnce();
      if (report && report.repairs.length > 0) {
        this.options.log.info(
          `reconciler: ${report.repairs.length} of ${report.checked} queued/running jobs repaired`,
        );
      }
    } catch (error) {
      // Postgres or Redis is away: the next pass tries again.
      this.options.log.warn(`reconciler: pass failed: ${describeError(error)}`);
    }
  }

  private async pass(): Promise<ReconcileReport> {
    const { db } = this.options;
    const report: ReconcileReport = { checked: 0, repairs: [] };
    let after: string | undefined;
    for (;;) {
      const rows = await db.job.findMany({
        where: { status: { in: ['queued', 'running'] }, ...(after ? { id: { gt: after } } : {}) },
        orderBy: { id: 'asc' },
        take: PAGE,
      });
      for (const row of rows) {
        report.checked += 1;
        try {
          const repair = await this.reconcileRow(row);
          if (repair) report.repairs.push(repair);
        } catch (error) {
          // One row's trouble (a failed enqueue) does not hold up the others; the next pass retries it.
          if (isDatabaseUnavailable(error)) throw error;
          this.options.log.warn(`reconciler: job ${row.id}: ${describeError(error)}`);
        }
      }
      if (rows.length < PAGE) break;
      after = rows.at(-1)?.id;
    }
    return report;
  }

  private async reconcileRow(row: Job): Promise<Repair | null> {
    const queueName = QUEUE_NAMES.find((name) => name === row.queue);
    if (!queueName) return this.settle(row, 'failed', `job names an unknown queue ${row.queue}`);
    const queued = await readQueueJob(this.queue(queueName), row.id);
    if (queued.state !== 'failed' && queued.state !== 'completed' && queued.state !== 'gone') return null;
    if (row.cancelRequestedAt !== null) return this.settle(row, 'cancelled', null);
    if (queued.state === 'gone') {
      const grace = this.options.queuedGraceMs ?? QUEUED_GRACE_MS;
      if (row.status === 'queued' && Date.now() - row.createdAt.getTime() < grace) return null;
      return this.requeue(row, queueName);
    }
    return this.settle(row, 'failed', reasonOf(queued));
  }

  /** The row (and its subject) to a final status, if it is still as this pass read it. */
  private async settle(
    row: Job,
    status: Extract<JobStatus, 'failed' | 'cancelled'>,
    reason: string | null,
  ): Promise<Repair | null> {
    const { db, events, log } = this.options;
    const changed = await db.$transaction(async (tx) => {
      const updated = await tx.job.updateMany({
        where: unchangedSince(row),
        data: { status, error: reason, finishedAt: new Date() },
      });
      if (updated.count === 1) await setSubjectStatus(tx, row.subject, status, reason);
      return updated.count === 1;
    });
    if (!changed) return null;
    log.warn(`reconciler: job ${row.id} said ${row.status} but the queue is done with it: now ${status}`);
    await events.append(row.id, { type: 'state', status, ...(reason === null ? {} : { error: reason }) });
    return status === 'failed'
      ? { jobId: row.id, action: 'failed', reason: reason ?? '' }
      : { jobId: row.id, action: 'cancelled' };
  }

  /** The row back to queued and its job into BullMQ again under the same id. */
  private async requeue(row: Job, queueName: QueueName): Promise<Repair | null> {
    const { db, events, log } = this.options;
    const payload = jobCatalog[queueName].payload.safeParse(row.payload);
    if (!payload.success) {
      return this.settle(
        row,
        'failed',
        `lost from the queue, and its stored payload is not a valid ${queueName} payload`,
      );
    }
    const changed = await db.$transaction(async (tx) => {
      const updated = await tx.job.updateMany({
        where: unchangedSince(row),
        data: { status: 'queued', progress: 0, finishedAt: null },
      });
      if (updated.count === 1) await setSubjectStatus(tx, row.subject, 'queued');
      return updated.count === 1;
    });
    if (!changed) return null;
    // If this add fails the row stays queued with no BullMQ job, and the next pass tries again.
    await enqueue(this.queue(queueName), queueName, payload.data);
    log.warn(`reconciler: job ${row.id} said ${row.status} but the queue had lost it: queued again`);
    await events.append(row.id, { type: 'state', status: 'queued' });
    return { jobId: row.id, action: 'requeued' };
  }

  private queue(name: QueueName): PlatformQueue<QueueName> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = openQueue(name, { connection: this.options.redis, prefix: this.options.prefix });
      this.queues.set(name, queue);
    }
    return queue;
  }
}

/** The row exactly as it was read: another writer since (a worker, the API, another pass) wins. */
function unchangedSince(row: Job) {
  return { id: row.id, status: row.status, attempts: row.attempts, workerId: row.workerId };
}

function reasonOf(queued: QueueJobSnapshot): string {
  if (queued.state === 'completed') return COMPLETED_WITHOUT_RESULTS;
  return queued.failedReason ?? 'the queue recorded this job as failed';
}
