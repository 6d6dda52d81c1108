// @bilinear-lab/jobs: Redis connections, BullMQ queues built from the contracts' job catalog, and the
// per-job event streams and cancel flags that API replicas and workers share.
export { CancelRequests, JobEventLog, type StoredJobEvent } from './job-events.js';
export { DEFAULT_PREFIX, enqueue, openQueue, type PlatformQueue, type QueueOptions } from './queues.js';
export { connectRedis, type Redis, type RedisOptions } from './redis.js';
