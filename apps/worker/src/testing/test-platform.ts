// Per test file: a fresh migrated Postgres schema, a Redis key prefix of its own, the connections
// the tests use, and the environment a worker process needs to join them. Cleaned up by close().
import { randomBytes } from 'node:crypto';
import type { QueueName } from '@bilinear-lab/contracts';
import { createTestSchema, type Database, openDatabase, PostgresArtifactStore } from '@bilinear-lab/db';
import {
  CancelRequests,
  connectRedis,
  JobEventLog,
  openQueue,
  type PlatformQueue,
  type Redis,
} from '@bilinear-lab/jobs';

export interface TestPlatform {
  db: Database;
  redis: Redis;
  store: PostgresArtifactStore;
  events: JobEventLog;
  cancels: CancelRequests;
  prefix: string;
  schema: string;
  queue<Q extends QueueName>(name: Q): PlatformQueue<Q>;
  /** Environment for a worker process on this schema and prefix (short timings for tests). */
  workerEnv(overrides?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

export async function createTestPlatform(
  databaseUrl: string,
  redisUrl: string,
  name: string,
): Promise<TestPlatform> {
  const testSchema = await createTestSchema(databaseUrl, 'worker');
  const db = openDatabase({ url: databaseUrl, schema: testSchema.schema, maxConnections: 4 });
  const redis = connectRedis({ url: redisUrl });
  const prefix = `test-worker-${name}-${randomBytes(4).toString('hex')}`;
  const queues = new Map<QueueName, { close(): Promise<void> }>();
  return {
    db,
    redis,
    store: new PostgresArtifactStore(db),
    events: new JobEventLog(redis, prefix),
    cancels: new CancelRequests(redis, prefix),
    prefix,
    schema: testSchema.schema,
    queue<Q extends QueueName>(queueName: Q) {
      let queue = queues.get(queueName) as PlatformQueue<Q> | undefined;
      if (!queue) {
        queue = openQueue(queueName, { connection: redis, prefix });
        queues.set(queueName, queue);
      }
      return queue;
    },
    workerEnv(overrides = {}) {
      return {
        DATABASE_URL: databaseUrl,
        DATABASE_SCHEMA: testSchema.schema,
        REDIS_URL: redisUrl,
        BILINEAR_REDIS_PREFIX: prefix,
        BILINEAR_BACKEND: 'wasm',
        BILINEAR_WORKER_HEARTBEAT_MS: '300',
        LOG_LEVEL: 'info',
        ...overrides,
      };
    },
    async close() {
      await Promise.allSettled([...queues.values()].map((queue) => queue.close()));
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      await db.$disconnect();
      await testSchema.drop();
    },
  };
}
