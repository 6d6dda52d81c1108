// Failed authentications through HTTP: an address gets a few a minute, then 429 with Retry-After
// (even for a valid key: the refusal comes before any key lookup) while other addresses carry on;
// X-Forwarded-For counts only when it comes from a configured proxy.
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../services/api-keys.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';

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
