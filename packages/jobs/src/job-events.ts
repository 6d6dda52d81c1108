import { type JobEvent, JobEventSchema } from '@bilinear-lab/contracts';
import type { Redis } from 'ioredis';
import { DEFAULT_PREFIX } from './queues.js';

// Per-job event streams in Redis (XADD/XREAD): workers on any host append, any API replica reads —
// from the start, or after the last id a client saw (SSE's Last-Event-ID), blocking for new ones.

export interface StoredJobEvent {
  /** The Redis stream id, e.g. "1732540000000-0": SSE event ids, increasing. */
  id: string;
  event: JobEvent;
}

/** Events kept per job (approximate trim): a long training run's step metrics stay within this. */
const MAX_EVENTS = 20_000;
/** Streams expire a week after their last event. */
const TTL_SECONDS = 7 * 24 * 3600;

export class JobEventLog {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = DEFAULT_PREFIX,
  ) {}

  private key(jobId: string): string {
    return `${this.prefix}:events:${jobId}`;
  }

  async append(jobId: string, event: JobEvent): Promise<string> {
    const key = this.key(jobId);
    const [[, id]] = (await this.redis
      .multi()
      .xadd(key, 'MAXLEN', '~', MAX_EVENTS, '*', 'e', JSON.stringify(event))
      .expire(key, TTL_SECONDS)
      .exec()) as [[Error | null, string], unknown];
    return id;
  }

  /**
   * Several events in order, in one round trip: a worker whose CPU is busy training sends what piled
   * up while the previous write was in flight, instead of one slow round trip per event.
   */
  async appendMany(jobId: string, events: readonly JobEvent[]): Promise<string[]> {
    if (events.length === 0) return [];
    const key = this.key(jobId);
    const transaction = this.redis.multi();
    for (const event of events) {
      transaction.xadd(key, 'MAXLEN', '~', MAX_EVENTS, '*', 'e', JSON.stringify(event));
    }
    transaction.expire(key, TTL_SECONDS);
    const replies = (await transaction.exec()) as [Error | null, unknown][];
    return events.map((_, i) => {
      const [error, id] = replies[i] as [Error | null, unknown];
      if (error) throw error;
      return String(id);
    });
  }

  /**
   * Events after `afterId` ("0" for all). With `blockMs`, waits up to that long for the first new one
   * (use a dedicated connection: a blocked connection serves nobody else).
   */
  async read(
    jobId: string,
    afterId = '0',
    options: { blockMs?: number; count?: number } = {},
  ): Promise<StoredJobEvent[]> {
    const count = options.count ?? 1000;
    const reply =
      options.blockMs !== undefined
        ? await this.redis.xread(
            'COUNT',
            count,
            'BLOCK',
            options.blockMs,
            'STREAMS',
            this.key(jobId),
            afterId,
          )
        : await this.redis.xread('COUNT', count, 'STREAMS', this.key(jobId), afterId);
    if (!reply) return [];
    const [[, entries]] = reply as [[string, [string, string[]][]]];
    const events: StoredJobEvent[] = [];
    for (const [id, fields] of entries) {
      const parsed = JobEventSchema.safeParse(JSON.parse(fields[1] ?? 'null'));
      if (parsed.success) events.push({ id, event: parsed.data });
    }
    return events;
  }
}

/** Cancellation requests, visible to the worker running the job wherever it is. */
export class CancelRequests {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = DEFAULT_PREFIX,
  ) {}

  private key(jobId: string): string {
    return `${this.prefix}:cancel:${jobId}`;
  }

  async request(jobId: string): Promise<void> {
    await this.redis.set(this.key(jobId), '1', 'EX', TTL_SECONDS);
  }

  async clear(jobId: string): Promise<void> {
    await this.redis.del(this.key(jobId));
  }

  async isRequested(jobId: string): Promise<boolean> {
    return (await this.redis.exists(this.key(jobId))) === 1;
  }
}
