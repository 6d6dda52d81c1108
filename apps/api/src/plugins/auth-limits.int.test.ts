// Failed authentications through HTTP: an address gets a few a minute, then 429 with Retry-After
// (even for a valid key: the refusal comes before any key lookup) while other addresses carry on;
// X-Forwarded-For counts only when it comes from a configured proxy. And the real server's log
// under a burst of bad keys: one warning, no line per request.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestSchema } from '@bilinear-lab/db';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../services/api-keys.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The built server (npx turbo run build --filter=@bilinear-lab/api). */
const SERVER = fileURLToPath(new URL('../../dist/server.js', import.meta.url));
const LIMIT = 5;
const PROXY = '10.1.2.3';
let test: TestApp;

beforeAll(async () => {
  test = await startTestApp('auth-limits', { authFailuresPerMinute: LIMIT, trustProxy: [PROXY] });
});

afterAll(async () => {
  await test?.close();
});

function me(
  remoteAddress: string,
  key: string | null,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return test.app.inject({
    url: '/api/v1/me',
    remoteAddress,
    headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...headers },
  });
}

describe('failed authentications per address', () => {
  it('answers 401 up to the limit, then 429 with Retry-After, valid key or not; other addresses carry on', async () => {
    const guesser = '203.0.113.7';
    for (let attempt = 0; attempt < LIMIT; attempt++) {
      // Missing, malformed and unknown keys all count.
      const key = attempt === 0 ? null : generateApiKey();
      expect((await me(guesser, key)).statusCode).toBe(401);
    }
    const refused = await me(guesser, generateApiKey());
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('too-many-failed-authentications');
    expect(refused.json().error.message).toMatch(/more than 5 requests with a missing or invalid API key/);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await me(guesser, test.adminKey)).statusCode).toBe(429);
    // Public routes are not behind a key.
    expect((await test.app.inject({ url: '/health', remoteAddress: guesser })).statusCode).toBe(200);

    const neighbour = '203.0.113.8';
    expect((await me(neighbour, generateApiKey())).statusCode).toBe(401);
    expect((await me(neighbour, test.adminKey)).statusCode).toBe(200);
  });

  it('valid keys do not count', async () => {
    const busy = '203.0.113.20';
    for (let request = 0; request < LIMIT * 2; request++) {
      expect((await me(busy, test.adminKey)).statusCode).toBe(200);
    }
    expect((await me(busy, generateApiKey())).statusCode).toBe(401);
  });

  it('ignores X-Forwarded-For from a client: a new forged address per request changes nothing', async () => {
    const client = '198.51.100.4';
    for (let attempt = 0; attempt < LIMIT; attempt++) {
      const forged = { 'x-forwarded-for': `192.0.2.${attempt + 1}` };
      expect((await me(client, generateApiKey(), forged)).statusCode).toBe(401);
    }
    expect((await me(client, generateApiKey(), { 'x-forwarded-for': '192.0.2.200' })).statusCode).toBe(429);
  });

  it('counts by the forwarded address behind a configured proxy', async () => {
    const behind = { 'x-forwarded-for': '192.0.2.77' };
    for (let attempt = 0; attempt < LIMIT; attempt++) {
      expect((await me(PROXY, generateApiKey(), behind)).statusCode).toBe(401);
    }
    expect((await me(PROXY, generateApiKey(), behind)).statusCode).toBe(429);
    // Another client behind the same proxy is another address.
    expect((await me(PROXY, generateApiKey(), { 'x-forwarded-for': '192.0.2.78' })).statusCode).toBe(401);
    expect((await me(PROXY, test.adminKey, { 'x-forwarded-for': '192.0.2.78' })).statusCode).toBe(200);
  });
});

describe('the real server under a key-guessing burst', () => {
  it('logs one warning for the address instead of an info line per refused key', async () => {
    const schema = await createTestSchema(DATABASE_URL, 'api');
    const server = spawn(process.execPath, [SERVER], {
      env: {
        ...process.env,
        DATABASE_URL,
        DATABASE_SCHEMA: schema.schema,
        REDIS_URL,
        BILINEAR_REDIS_PREFIX: `test-api-burst-${process.pid}`,
        BILINEAR_ADMIN_KEY: generateApiKey(),
        BILINEAR_AUTH_FAILURES_PER_MINUTE: String(LIMIT),
        LOG_LEVEL: 'info',
        PORT: '0',
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    for (const stream of [server.stdout, server.stderr]) stream.on('data', (chunk) => (output += chunk));
    try {
      const port = await waitForPort(() => output, server);
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 40; attempt++) {
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/me`, {
          headers: { authorization: `Bearer ${generateApiKey()}` },
        });
        statuses.push(response.status);
      }
      expect(statuses.filter((status) => status === 401)).toHaveLength(LIMIT);
      expect(statuses.filter((status) => status === 429)).toHaveLength(40 - LIMIT);
      await new Promise((resolve) => setTimeout(resolve, 200)); // let the last lines arrive
      const lines = output.split('\n').filter((line) => line.startsWith('{'));
      const requestLines = lines.filter((line) => JSON.parse(line).msg === 'request');
      expect(requestLines).toEqual([]);
      const warnings = lines.filter((line) => /too many failed authentications/.test(line));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0] ?? '{}')).toMatchObject({
        level: 40,
        address: '127.0.0.1',
        failures: LIMIT,
      });
    } finally {
      server.kill('SIGKILL');
      await schema.drop();
    }
  }, 60_000);
});

/** The port the server logged it listens on. */
async function waitForPort(output: () => string, server: ChildProcess): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const port = output().match(/Server listening at http:\/\/127\.0\.0\.1:(\d+)/)?.[1];
    if (port) return Number(port);
    if (server.exitCode !== null) throw new Error(`the API exited (${server.exitCode}):\n${output()}`);
    if (Date.now() > deadline) throw new Error(`the API did not listen within 30 s:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
