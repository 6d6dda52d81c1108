// @bilinear-lab/jobs: Redis connections, BullMQ queues built from the contracts' job catalog, the
// per-job event streams and cancel flags that API replicas and workers share, and the bookkeeping of
// what each job produces (its subject) and how that subject's status follows the job's.
export { CancelRequests, JobEventLog, type StoredJobEvent } from './job-events.js';
export { isAbandoned, type QueueJobSnapshot, type QueueJobState, readQueueJob } from './queue-state.js';
export { DEFAULT_PREFIX, enqueue, openQueue, type PlatformQueue, type QueueOptions } from './queues.js';
export { connectRedis, type Redis, type RedisOptions } from './redis.js';
export { formatSubject, jobSubjects, parseSubject, type Subject, subjectOf } from './subject.js';
export { type SubjectClient, setSubjectStatus } from './subject-status.js';
export { finishInQueue, type QueueOutcome } from './testing/finish-in-queue.js';
