// A language model's page in chromium: a tiny model trained on the bundled stories while the page is
// open — its loss and tokens/s curves grow live from the job's events, the held-out loss joins them —
// then its config at a glance and the sample box (the API's POST /models/{id}/generate: the same text
// the API gives for the same prompt, length, temperature, top-k and seed).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, type Platform, startPlatform, waitForJob } from '../platform/harness.js';
import {
  ARTIFACTS,
  browserSuiteObstacle,
  type Dashboard,
  launchChromium,
  startDashboard,
} from './browser.js';

const obstacle = browserSuiteObstacle();
if (obstacle) console.warn(`[web] skipping the language model page's browser test: ${obstacle}`);

/** Long enough on 2 cores to be watched running; ln(128) ≈ 4.85 nats per token at first. */
const TINY = {
  layers: 1,
  dModel: 16,
  heads: 2,
  dHidden: 32,
  ctx: 16,
  batchSize: 8,
  steps: 300,
  vocab: 128,
  learningRate: 0.01,
  warmupSteps: 5,
  evalEvery: 100,
};

describe.skipIf(obstacle !== null)("a language model's page", () => {
  let platform: Platform;
  let api: ReturnType<typeof client>;
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  let projectId: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    platform = await startPlatform();
    api = client(platform);
    projectId = String((await api.post('/api/v1/projects', { name: 'stories' })).body.id);
    dashboard = await startDashboard(platform.url);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    await page.goto(`${dashboard.url}/sign-in`);
    await page.fill('#key', platform.adminKey);
    await Promise.all([page.waitForURL(/\/projects/), page.click('button[type=submit]')]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
    await platform?.stop();
  }, 60_000);

  const points = async (chart: string) =>
    Number(await page.getAttribute(`[data-testid=${chart}]`, 'data-points'));

  it('draws the loss and tokens/s live, then shows the config and samples text', async () => {
    const queued = await api.post(`/api/v1/projects/${projectId}/models/train-language-model`, {
      dataset: 'stories:400',
      name: 'tiny-stories',
      config: TINY,
    });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    const modelId = String(queued.body.modelId);
    await page.goto(`${dashboard.url}/projects/${projectId}/models/${modelId}`);
    // No accuracy for a language model: tokens per second instead.
    expect(await page.locator('[data-testid=accuracy-chart]').count()).toBe(0);

    // Live: the curves grow while the job runs, from its events (the page is not reloaded).
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid=loss-chart]')?.getAttribute('data-points')) > 0,
      undefined,
      { timeout: 180_000 },
    );
    const first = await points('loss-chart');
    const job = await waitForJob(api, String(queued.body.jobId), 240_000);
    expect(job.status, String(job.error)).toBe('completed');
    await page.waitForFunction(
      (steps) =>
        Number(document.querySelector('[data-testid=loss-chart]')?.getAttribute('data-points')) >= steps,
      TINY.steps,
      { timeout: 30_000 },
    );
    expect(first).toBeLessThan(TINY.steps);
    expect(await points('tokens-per-second-chart')).toBeGreaterThanOrEqual(TINY.steps);
    await expect
      .poll(async () => page.locator('[data-testid=job-log]').textContent(), { timeout: 10_000 })
      .toMatch(/step 300: held-out loss \d\.\d{4}/);

    // Finished: the config at a glance (and the whole record folded away).
    await page.reload();
    const facts = await page.locator('[data-testid=language-model-config]').textContent();
    expect(facts).toContain('d_model16');
    expect(facts).toContain('layers1');
    expect(facts).toContain('vocabulary128');
    expect(facts).toContain('2 heads');
    expect(facts).toContain('16 tokens');
    expect(facts).toMatch(/tokenizer128 tokens/);
    expect(await page.locator('[data-testid=loss-chart]').getAttribute('data-points')).toBe(
      String(TINY.steps),
    );

    // The sample box: the API's own answer for the same request.
    const body = { prompt: 'the little dog', tokens: 12, temperature: 0.8, topK: 20, seed: 7 };
    const direct = await api.post(`/api/v1/models/${modelId}/generate`, body);
    if (
      direct.status === 404 &&
      (direct.body.error as { code?: string } | undefined)?.code === 'route-not-found'
    ) {
      console.warn('[web] POST /models/{id}/generate is not on the API yet: the sample box is not exercised');
    } else {
      expect(direct.status, JSON.stringify(direct.body)).toBe(200);
      // After the reload the form is server-rendered HTML until React takes it over.
      await page.waitForSelector('[data-testid=sample-text][data-live=true]');
      await page.fill('#sample-prompt', body.prompt);
      await page.fill('#sample-tokens', String(body.tokens));
      await page.fill('#sample-temperature', String(body.temperature));
      await page.fill('#sample-top-k', String(body.topK));
      await page.fill('#sample-seed', String(body.seed));
      const [posted] = await Promise.all([
        page.waitForRequest((request) => request.method() === 'POST' && request.url().endsWith('/generate')),
        page.click('[data-testid=sample-text] button[type=submit]'),
      ]);
      // The box sends what was entered, and shows what the API answers for it.
      expect(JSON.parse(posted.postData() ?? 'null')).toEqual(body);
      await page.waitForSelector('[data-testid=sample-output]');
      expect(await page.locator('[data-testid=sample-output]').textContent()).toBe(direct.body.text);
    }
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: join(ARTIFACTS, '34-language-model-page.png'), fullPage: true });
  }, 420_000);
});
