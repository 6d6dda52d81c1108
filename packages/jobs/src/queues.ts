import { type JobPayload, jobCatalog, type QueueName } from '@bilinear-lab/contracts';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** Every key the platform writes to Redis starts with this (BullMQ's own keys too). */
export const DEFAULT_PREFIX = 'bilinear';

export interface QueueOptions {
  connection: Redis;
  prefix?: string;
}

export type PlatformQueue<Q extends QueueName> = Queue<JobPayload<Q>, unknown, Q>;

export function openQueue<Q extends QueueName>(name: Q, options: QueueOptions): PlatformQueue<Q> {
  return new Queue<JobPayload<Q>, unknown, Q>(name, {
    connection: options.connection,
    prefix: options.prefix ?? DEFAULT_PREFIX,
    defaultJobOptions: {
      attempts: jobCatalog[name].attempts,
      backoff: jobCatalog[name].backoff,
      // Postgres keeps the durable record; Redis keeps a bounded tail for BullMQ's own tools.
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 5000 },
    },
  });
}

/**
 * Validates the payload against the catalog (throws the zod error) and enqueues it under the
 * platform's job id, so the Postgres row, the BullMQ job and the event stream share one id and a
 * repeated enqueue of the same id is a no-op.
 */
export async function enqueue<Q extends QueueName>(
  queue: PlatformQueue<Q>,
  name: Q,
  payload: JobPayload<Q>,
): Promise<void> {
  const data = jobCatalog[name].payload.parse(payload) as JobPayload<Q>;
  // biome-ignore lint/suspicious/noExplicitAny: BullMQ's name generic cannot be narrowed from Q here
  await queue.add(name as any, data as any, { jobId: data.jobId });
}
