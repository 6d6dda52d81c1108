// Queues, event streams and cancel flags on a real Redis, each test under its own key prefix.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelRequests, JobEventLog } from './job-events.js';
import { enqueue, openQueue } from './queues.js';
import { connectRedis, type Redis } from './redis.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `test-jobs-${randomUUID().slice(0, 8)}`;
let redis: Redis;
let reader: Redis;

beforeAll(() => {
  redis = connectRedis({ url: REDIS_URL });
  reader = connectRedis({ url: REDIS_URL });
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await Promise.all([redis.quit(), reader.quit()]);
});

describe('enqueue', () => {
  it('validates the payload against the catalog and uses the job id as the BullMQ id, once', async () => {
    const queue = openQueue('decompose', { connection: redis, prefix });
    const payload = { jobId: randomUUID(), projectId: randomUUID(), decompositionId: randomUUID() };
    await enqueue(queue, 'decompose', payload);
    await enqueue(queue, 'decompose', payload);
    const job = await queue.getJob(payload.jobId);
    expect(job?.data).toEqual(payload);
    expect(job?.opts.attempts).toBe(3);
    expect(await queue.count()).toBe(1);

    await expect(enqueue(queue, 'decompose', { ...payload, jobId: 'not-a-uuid' })).rejects.toThrow(/jobId/);
    await expect(
      // biome-ignore lint/suspicious/noExplicitAny: an invalid payload on purpose
      enqueue(queue, 'decompose', { ...payload, tensor: [1, 2, 3] } as any),
    ).rejects.toThrow(/tensor/);
    expect(await queue.count()).toBe(1);
    await queue.obliterate({ force: true });
    await queue.close();
  });
});

describe('JobEventLog', () => {
  it('replays events in order and resumes after a given id', async () => {
    const log = new JobEventLog(redis, prefix);
    const jobId = randomUUID();
    const first = await log.append(jobId, { type: 'state', status: 'running', attempt: 1 });
    await log.append(jobId, { type: 'progress', progress: 0.5 });
    const all = await log.read(jobId);
    expect(all.map((entry) => entry.event.type)).toEqual(['state', 'progress']);
    expect((await log.read(jobId, first)).map((entry) => entry.event)).toEqual([
      { type: 'progress', progress: 0.5 },
    ]);
    expect(await redis.ttl(`${prefix}:events:${jobId}`)).toBeGreaterThan(0);
  });

  it('appends many events in order in one call, after the earlier ones', async () => {
    const log = new JobEventLog(redis, prefix);
    const jobId = randomUUID();
    await log.append(jobId, { type: 'state', status: 'running' });
    const events = Array.from({ length: 50 }, (_, i) => ({ type: 'progress' as const, progress: i / 50 }));
    const ids = await log.appendMany(jobId, events);
    expect(ids).toHaveLength(50);
    expect(await log.appendMany(jobId, [])).toEqual([]);
    const stored = await log.read(jobId);
    expect(stored.map((entry) => entry.event)).toEqual([{ type: 'state', status: 'running' }, ...events]);
    expect(stored.slice(1).map((entry) => entry.id)).toEqual(ids);
  });

  it('wakes a blocked reader when an event arrives', async () => {
    const log = new JobEventLog(redis, prefix);
    const readerLog = new JobEventLog(reader, prefix);
    const jobId = randomUUID();
    const waiting = readerLog.read(jobId, '$', { blockMs: 5000 });
    setTimeout(() => void log.append(jobId, { type: 'log', level: 'info', message: 'hello' }), 100);
    const started = Date.now();
    const events = await waiting;
    expect(Date.now() - started).toBeLessThan(4000);
    expect(events.map((entry) => entry.event)).toEqual([{ type: 'log', level: 'info', message: 'hello' }]);
  });
});

describe('CancelRequests', () => {
  it('is seen by any connection until cleared', async () => {
    const jobId = randomUUID();
    const here = new CancelRequests(redis, prefix);
    const there = new CancelRequests(reader, prefix);
    expect(await there.isRequested(jobId)).toBe(false);
    await here.request(jobId);
    expect(await there.isRequested(jobId)).toBe(true);
    await there.clear(jobId);
    expect(await here.isRequested(jobId)).toBe(false);
  });
});
