import { Redis } from 'ioredis';

export interface RedisOptions {
  /** redis://host:port/db */
  url: string;
}

/**
 * A connection as BullMQ wants it: `maxRetriesPerRequest: null` so blocking commands of workers wait
 * through a Redis restart instead of failing. Each Queue, Worker and event reader gets its own.
 */
export function connectRedis(options: RedisOptions): Redis {
  return new Redis(options.url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
}

export type { Redis };
