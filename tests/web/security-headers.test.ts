// The built dashboard (`next start`) sends its security headers (apps/web/src/lib/security-headers.ts)
// on a page, on a static asset and on its API proxy. Plain HTTP: no browser needed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard, WEB_DIR } from './browser.js';

const BUILT = existsSync(join(WEB_DIR, '.next', 'BUILD_ID'));
if (!BUILT)
  console.warn('[web] skipping the security headers check: build the dashboard first (npx turbo run build)');

let dashboard: Dashboard | undefined;

beforeAll(async () => {
  // No API behind it: the pages and headers checked here do not need one.
  if (BUILT) dashboard = await startDashboard('http://127.0.0.1:9');
}, 60_000);

afterAll(async () => {
  await dashboard?.stop();
});

function expectSecurityHeaders(response: Response): void {
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
  const policy = response.headers.get('content-security-policy') ?? '';
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).toContain("default-src 'self'");
  expect(policy).not.toContain('unsafe-eval');
}

describe.skipIf(!BUILT)('the dashboard served by next start', () => {
  it('sends the security headers on a page, a static asset and the API proxy', async () => {
    const url = dashboard?.url ?? '';
    const page = await fetch(`${url}/sign-in`);
    expect(page.status).toBe(200);
    expectSecurityHeaders(page);
    const html = await page.text();
    const asset = html.match(/\/_next\/static\/[^"]+\.js/)?.[0];
    expect(asset).toBeDefined();
    const script = await fetch(`${url}${asset}`);
    expect(script.status).toBe(200);
    expectSecurityHeaders(script);
    const proxied = await fetch(`${url}/api/platform/api/v1/me`);
    expect(proxied.status).toBeGreaterThanOrEqual(400);
    expectSecurityHeaders(proxied);
  });
});
