// What a job needs from the outside world: the database, the artifact store, Redis event streams and
// cancel flags. A sandboxed child opens one context on its first job and reuses it for every later one.
import { type Database, openDatabase, PostgresArtifactStore } from '@bilinear-lab/db';
import { CancelRequests, connectRedis, JobEventLog, type Redis } from '@bilinear-lab/jobs';
import type { WorkerEnv } from '../env.js';
import { createLogger, type Logger } from '../log.js';

export interface JobContext {
  env: WorkerEnv;
  db: Database;
  redis: Redis;
  store: PostgresArtifactStore;
  events: JobEventLog;
  cancels: CancelRequests;
  log: Logger;
}

export function openJobContext(env: WorkerEnv, logName = 'worker'): JobContext {
  // A job runs one query at a time; a small pool per child keeps many workers within Postgres' limits.
  const db = openDatabase({ url: env.databaseUrl, schema: env.databaseSchema, maxConnections: 3 });
  const redis = connectRedis({ url: env.redisUrl });
  return {
    env,
    db,
    redis,
    store: new PostgresArtifactStore(db),
    events: new JobEventLog(redis, env.redisPrefix),
    cancels: new CancelRequests(redis, env.redisPrefix),
    log: createLogger(env.logLevel, logName),
  };
}

export async function closeJobContext(context: JobContext): Promise<void> {
  await Promise.allSettled([context.db.$disconnect(), context.redis.quit()]);
}
