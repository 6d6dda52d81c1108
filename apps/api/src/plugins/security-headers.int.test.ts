// Security headers through HTTP: on an API route (answered, refused, unknown) a policy that allows
// nothing and no framing; on the swagger-ui pages a policy that still lets the UI load its own
// scripts, styles and the OpenAPI document, and nothing else.
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testing/test-app.js';

let test: TestApp;

beforeAll(async () => {
  test = await startTestApp('headers');
});

afterAll(async () => {
  await test?.close();
});

/** The CSP as directive → sources. */
function policy(response: LightMyRequestResponse): Map<string, string[]> {
  const header = String(response.headers['content-security-policy'] ?? '');
  return new Map(
    header
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name = '', ...sources]) => [name, sources]),
  );
}

function expectCommonHeaders(response: LightMyRequestResponse): void {
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['x-frame-options']).toBe('DENY');
  expect(response.headers['referrer-policy']).toBe('no-referrer');
  expect(policy(response).get('frame-ancestors')).toEqual(["'none'"]);
}

describe('security headers', () => {
  it('API responses allow nothing to load and no page to frame them, errors included', async () => {
    const answered = await test.call({ url: '/api/v1/me', key: test.adminKey });
    const refused = await test.call({ url: '/api/v1/me' });
    const unknown = await test.call({ url: '/api/v1/nothing-here', key: test.adminKey });
    const health = await test.call({ url: '/health' });
    expect([answered.statusCode, refused.statusCode, unknown.statusCode, health.statusCode]).toEqual([
      200, 401, 404, 200,
    ]);
    for (const response of [answered, refused, unknown, health]) {
      expectCommonHeaders(response);
      expect(policy(response).get('default-src')).toEqual(["'none'"]);
    }
  });

  it('/api/docs lets swagger-ui load its own scripts, styles and the OpenAPI document, nothing else', async () => {
    let page = await test.call({ url: '/api/docs' });
    if (page.statusCode === 302) page = await test.call({ url: String(page.headers.location) });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expectCommonHeaders(page);
    const csp = policy(page);
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.has('upgrade-insecure-requests')).toBe(false);

    // Under script-src 'self' the page must have no inline script, and load only same-origin files.
    const html = page.body;
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes = '', body = ''] of scripts) {
      expect(body.trim()).toBe('');
      expect(attributes).toMatch(/src="\.?\/[^/]/);
    }
    const base = new URL('/api/docs/', 'http://api.test');
    for (const [, src = ''] of [...html.matchAll(/src="([^"]+)"/g), ...html.matchAll(/href="([^"]+)"/g)]) {
      const url = new URL(src, base);
      expect(url.origin).toBe(base.origin);
      const file = await test.call({ url: url.pathname });
      expect(file.statusCode, url.pathname).toBe(200);
      expect(file.headers['x-content-type-options']).toBe('nosniff');
    }
    // The initializer asks this origin for the document (a relative URL: connect-src 'self').
    expect((await test.call({ url: '/api/docs/json' })).statusCode).toBe(200);
  });
});
