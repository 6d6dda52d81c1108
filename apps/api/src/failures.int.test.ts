// What callers see when things go wrong on the server's side: rate limits, an internal error, and
// Redis going away (health degrades; a submission is undone and answers 503).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, createProject, startTestApp, type TestApp } from './testing/test-app.js';

let test: TestApp;
let projectId: string;
let memberKey: string;

beforeAll(async () => {
  test = await startTestApp('failures', { rateLimitPerMinute: 5 });
  projectId = await createProject(test, test.adminKey);
  memberKey = await addUser(test, test.adminKey, projectId, 'mia', 'member');
});

afterAll(async () => {
  await test?.close();
});

describe('server-side failures', () => {
  it('limits requests per key per minute (429) but never /health', async () => {
    for (let i = 0; i < 5; i++)
      expect((await test.call({ url: '/api/v1/me', key: memberKey })).statusCode).toBe(200);
    const limited = await test.call({ url: '/api/v1/me', key: memberKey });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatchObject({ code: 'rate-limited' });
    expect(limited.json().error.message).toContain('5 requests');
    // Another key is counted apart.
    expect((await test.call({ url: '/api/v1/me', key: test.adminKey })).statusCode).toBe(200);
    for (let i = 0; i < 10; i++) expect((await test.call({ url: '/health' })).statusCode).toBe(200);
  });

  it('hides the internals of a 5xx and gives the request id to quote', async () => {
    await test.app.db.$executeRawUnsafe(`DROP TABLE "${test.schema.schema}"."Worker"`);
    const failing = await test.call({
      url: '/api/v1/workers',
      key: test.adminKey,
      headers: { 'x-request-id': 'probe-2' },
    });
    expect(failing.statusCode).toBe(500);
    expect(failing.headers['x-request-id']).toBe('probe-2');
    expect(failing.json().error).toEqual({
      code: 'internal',
      message: 'internal error; quote request id probe-2 when reporting it',
      requestId: 'probe-2',
    });
    expect(failing.body).not.toContain('Worker');
  });

  it('answers 503 and keeps no rows when Redis does not take a job; /health says so', async () => {
    test.app.redis.disconnect();
    const before = await test.app.db.job.count();
    const train = await test.call({
      method: 'POST',
      url: `/api/v1/projects/${projectId}/models/train`,
      key: test.adminKey,
      body: { config: { hiddenDim: 8 } },
    });
    expect(train.statusCode).toBe(503);
    expect(train.json().error.message).toContain('nothing was created');
    expect(await test.app.db.job.count()).toBe(before);
    expect(await test.app.db.model.count()).toBe(0);
    const health = await test.call({ url: '/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toEqual({ status: 'degraded', db: 'ok', redis: 'down' });
  });
});
