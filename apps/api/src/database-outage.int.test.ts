// Issue 11: with Postgres down, data routes answered 500 internal. A database that refuses or cuts
// connections is not the request's fault and passes: 503 unavailable with Retry-After, then 2xx once
// it is back. The Postgres here is the test's own cluster, stopped and started by the test.
import { createOwnPostgres, type OwnPostgres } from '@bilinear-lab/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from './services/api-keys.js';
import { createProject, startTestApp, type TestApp } from './testing/test-app.js';

let postgres: OwnPostgres;
let test: TestApp;
let projectId: string;
let down = false;

beforeAll(async () => {
  postgres = await createOwnPostgres();
  test = await startTestApp('outage', { databaseUrl: postgres.url });
  projectId = await createProject(test, test.adminKey);
}, 120_000);

afterAll(async () => {
  if (down) await postgres?.start();
  await test?.close();
  await postgres?.destroy();
});

describe('Postgres down', () => {
  it('answers 503 unavailable with Retry-After on data routes while it is down, and 2xx once it is back', async () => {
    expect((await test.call({ url: '/api/v1/projects', key: test.adminKey })).statusCode).toBe(200);

    await postgres.stop();
    down = true;
    const requests = [
      { url: '/api/v1/projects', key: test.adminKey },
      { url: `/api/v1/projects/${projectId}/datasets`, key: test.adminKey },
      { method: 'POST' as const, url: '/api/v1/projects', key: test.adminKey, body: { name: 'while down' } },
      // A key the API has not seen: its lookup is the query that fails.
      { url: '/api/v1/me', key: generateApiKey() },
    ];
    for (const request of requests) {
      const response = await test.call(request);
      expect(response.statusCode, `${request.url}: ${response.body}`).toBe(503);
      expect(response.json()).toEqual({
        error: {
          code: 'unavailable',
          message: 'the database is not reachable right now; try again in 5 s',
        },
      });
      expect(response.headers['retry-after']).toBe('5');
    }
    const health = await test.call({ url: '/health' });
    expect(health.json()).toMatchObject({ status: 'degraded', db: 'down' });

    await postgres.start();
    down = false;
    const again = await test.call({ url: '/api/v1/projects', key: test.adminKey });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().map((project: { id: string }) => project.id)).toEqual([projectId]);
  }, 120_000);
});
