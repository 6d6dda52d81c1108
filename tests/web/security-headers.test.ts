// The built dashboard (`next start`) sends its security headers (apps/web/src/lib/security-headers.ts)
// on a page, on a static asset and on its API proxy; and where Chromium is installed, a real browser
// runs the dashboard's sign-in page and the API's swagger-ui (/api/docs) under their policies without
// a single violation.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Platform, startPlatform } from '../platform/harness.js';
import { CHROMIUM, type Dashboard, launchChromium, startDashboard, WEB_DIR } from './browser.js';

const BUILT = existsSync(join(WEB_DIR, '.next', 'BUILD_ID'));
if (!BUILT)
  console.warn('[web] skipping the security headers check: build the dashboard first (npx turbo run build)');

let platform: Platform | undefined;
let dashboard: Dashboard | undefined;

beforeAll(async () => {
  if (!BUILT) return;
  platform = await startPlatform({ workers: 0 });
  dashboard = await startDashboard(platform.url);
}, 60_000);

afterAll(async () => {
  await dashboard?.stop();
  await platform?.stop();
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

/** Opens `url` in a fresh page and collects every Content-Security-Policy violation it reports. */
async function openWatched(browser: Browser, url: string): Promise<{ page: Page; violations: string[] }> {
  const page = await browser.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  await page.goto(url, { waitUntil: 'networkidle' });
  return { page, violations };
}

describe.skipIf(!BUILT || !existsSync(CHROMIUM))('Chromium under the policies', () => {
  let browser: Browser | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('runs the dashboard sign-in page with no violation', async () => {
    if (!browser) throw new Error('no browser');
    const { page, violations } = await openWatched(browser, `${dashboard?.url}/sign-in`);
    // Next's client runtime ran (its scripts were allowed) and React took over the form.
    await page.waitForFunction(() => (window as { next?: { version?: string } }).next?.version !== undefined);
    expect(await page.locator('form').count()).toBeGreaterThan(0);
    expect(violations).toEqual([]);
  }, 60_000);

  it("renders the API's swagger-ui with every route, with no violation", async () => {
    if (!browser) throw new Error('no browser');
    const { page, violations } = await openWatched(browser, `${platform?.url}/api/docs`);
    // The UI's scripts ran and fetched the OpenAPI document: one block per operation.
    await page.waitForSelector('.opblock', { timeout: 30_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThan(20);
    expect(violations).toEqual([]);
  }, 60_000);
});
