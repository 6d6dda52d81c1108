// Redis: one shared command connection for the queues, event log and cancel flags, and a factory
// of dedicated connections for blocking event reads (one per SSE stream, closed with it).
import { QUEUE_NAMES, type QueueName } from '@bilinear-lab/contracts';
import {
  CancelRequests,
  connectRedis,
  JobEventLog,
  openQueue,
  type PlatformQueue,
  type Redis,
} from '@bilinear-lab/jobs';
import { Redis as IORedis } from 'ioredis';
import type { ApiConfig } from '../env.js';
import { globalPlugin } from './global-plugin.js';

export type PlatformQueues = { [Q in QueueName]: PlatformQueue<Q> };

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
    queues: PlatformQueues;
    jobEvents: JobEventLog;
    cancelRequests: CancelRequests;
    /** A new connection for blocking reads; the caller disconnects it. */
    openEventReader(): Redis;
    redisPrefix: string;
  }
}

export const redisPlugin = globalPlugin('redis', async (app, config: ApiConfig) => {
  // Requests fail fast while Redis is away (the caller answers 503) instead of queueing forever.
  const redis = new IORedis(config.redisUrl, { maxRetriesPerRequest: 2, connectTimeout: 5_000 });
  redis.on('error', (error) => app.log.warn({ err: error }, 'redis connection error'));
  // One queue per catalog entry: a queue added to the catalog is open here with nothing else to change.
  const queues = Object.fromEntries(
    QUEUE_NAMES.map((name) => [name, openQueue(name, { connection: redis, prefix: config.redisPrefix })]),
  ) as PlatformQueues;
  const readers = new Set<Redis>();
  app.decorate('redis', redis);
  app.decorate('redisPrefix', config.redisPrefix);
  app.decorate('queues', queues);
  app.decorate('jobEvents', new JobEventLog(redis, config.redisPrefix));
  app.decorate('cancelRequests', new CancelRequests(redis, config.redisPrefix));
  app.decorate('openEventReader', () => {
    const reader = connectRedis({ url: config.redisUrl });
    reader.on('error', (error) => app.log.warn({ err: error }, 'redis event reader error'));
    readers.add(reader);
    reader.once('end', () => readers.delete(reader));
    return reader;
  });
  app.addHook('onClose', async () => {
    for (const reader of readers) reader.disconnect();
    await Promise.all(Object.values(queues).map((queue) => queue.close()));
    await redis.quit().catch(() => redis.disconnect());
  });
});
