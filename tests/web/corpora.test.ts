// The Corpora & tokenizers page in a real browser against the real stack (API, Postgres, Redis, one
// worker): a small corpus uploaded from the form appears in the table with its documents and a
// download link; a malformed jsonl is refused with the API's message naming the line; the fixture
// tokenizer.json uploads and is listed; a tokenizer trained on the uploaded corpus appears once its
// job completes; the language-model form offers the corpus and the tokenizers.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, type Platform, REPO, startPlatform, waitForJob } from '../platform/harness.js';
import {
  ARTIFACTS,
  browserSuiteObstacle,
  type Dashboard,
  launchChromium,
  startDashboard,
} from './browser.js';

const CORPUS_UPLOAD = 'form[aria-label^="Upload a corpus"] button[type=submit]';
/** The tokenizer HF `tokenizers` made (768 tokens): what the page must list as uploaded. */
const TOKENIZER = join(REPO, '..', 'shared', 'fixtures', 'lm', 'tokenizer.json');

const obstacle =
  browserSuiteObstacle() ??
  (existsSync(TOKENIZER) ? null : '../shared/fixtures/lm/tokenizer.json is absent here');
if (obstacle) console.warn(`[web] skipping the corpora page's browser test: ${obstacle}`);

describe.skipIf(obstacle !== null)('corpora page in chromium', () => {
  let platform: Platform;
  let api: ReturnType<typeof client>;
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  let projectId: string;
  const files = join(ARTIFACTS, 'corpora-inputs');

  beforeAll(async () => {
    mkdirSync(files, { recursive: true });
    platform = await startPlatform({ workers: 1 });
    api = client(platform);
    const project = await api.post('/api/v1/projects', { name: 'text lab' });
    projectId = String(project.body.id);
    dashboard = await startDashboard(platform.url);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(`${dashboard.url}/sign-in`);
    await page.fill('#key', platform.adminKey);
    await Promise.all([page.waitForURL(/\/projects/), page.click('button[type=submit]')]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
    await platform?.stop();
  }, 30_000);

  it('uploads a corpus and a tokenizer, shows a refusal naming the line, trains a tokenizer, offers them to LM training', async () => {
    await page.goto(`${dashboard.url}/projects/${projectId}/corpora`);
    await page.getByRole('link', { name: 'Corpora & tokenizers' }).waitFor();
    const table = page.getByTestId('corpora-table');
    await expect(table.textContent()).resolves.toContain('stories');

    const good = join(files, 'tiny-tales.txt');
    writeFileSync(good, 'Once there was a cat.\nIt sat.\n\nA dog ran far.\n\nThe sun set.\n\n'.repeat(20));
    await page.setInputFiles('#corpus-file', good);
    await page.fill('#corpus-name', 'tiny tales');
    await page.locator(CORPUS_UPLOAD).click();
    await page.locator('output', { hasText: 'Uploaded tiny tales.' }).waitFor({ timeout: 30_000 });
    const row = table.locator('tr', { hasText: 'tiny tales' });
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/text.*60/);
    const href = await row.getByRole('link', { name: 'Download' }).getAttribute('href');
    const downloaded = await page.evaluate(async (url) => (await fetch(url as string)).text(), href);
    expect(downloaded.startsWith('Once there was a cat.')).toBe(true);

    const bad = join(files, 'broken.jsonl');
    writeFileSync(bad, '{"text": "fine"}\n{"text": "also fine"}\n{"story": 3}\n');
    await page.setInputFiles('#corpus-file', bad);
    await page.locator(CORPUS_UPLOAD).click();
    const alert = page.locator('form[aria-label^="Upload a corpus"] [role=alert]');
    await alert.waitFor({ timeout: 30_000 });
    await expect(alert.textContent()).resolves.toContain(
      'broken.jsonl:3: the record has no string field "text"',
    );

    await page.setInputFiles('#tokenizer-file', TOKENIZER);
    await page.locator('form[aria-label^="Upload a tokenizer"] button[type=submit]').click();
    await page.getByTestId('tokenizers-table').locator('tr', { hasText: '768' }).waitFor({ timeout: 30_000 });

    const corpora = await api.get(`/api/v1/projects/${projectId}/corpora`);
    const uploaded = (corpora.body as unknown as { name: string; dataset: string }[]).find(
      (corpus) => corpus.name === 'tiny tales',
    );
    expect(uploaded).toBeDefined();
    await page.selectOption('#tokenizer-train-dataset', String(uploaded?.dataset));
    await page.fill('#tokenizer-train-vocab', '64');
    await page.getByRole('button', { name: 'Train a tokenizer' }).click();
    await page.locator('output', { hasText: 'Queued' }).waitFor({ timeout: 30_000 });
    const jobs = await api.get(`/api/v1/projects/${projectId}/jobs`);
    const job = (jobs.body as unknown as { id: string; queue: string }[]).find(
      (item) => item.queue === 'tokenizer-train',
    );
    expect(job).toBeDefined();
    expect((await waitForJob(api, String(job?.id))).status).toBe('completed');
    await page.reload();
    await page
      .getByTestId('tokenizers-table')
      .locator('tr', { hasText: String(uploaded?.dataset) })
      .waitFor();

    const datasets = await page.locator('#lm-train-dataset option').allTextContents();
    expect(datasets.some((text) => text.startsWith('tiny tales'))).toBe(true);
    const tokenizers = await page.locator('#lm-train-tokenizer option').allTextContents();
    expect(tokenizers.some((text) => text.includes('768 tokens'))).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'corpora-page.png'), fullPage: true });

    // Train a language model on the uploaded corpus from the form: the dashboard opens its page.
    await page.selectOption('#lm-train-dataset', String(uploaded?.dataset));
    for (const [field, value] of Object.entries({
      dModel: 16,
      dHidden: 16,
      ctx: 8,
      batchSize: 2,
      steps: 3,
    })) {
      await page.fill(`#lm-train-${field}`, String(value));
    }
    await page.fill('#lm-train-name', 'tales-lm');
    await Promise.all([
      page.waitForURL(/\/models\/[0-9a-f-]{36}$/, { timeout: 30_000 }),
      page.getByRole('button', { name: 'Train the language model' }).click(),
    ]);
    const modelId = page.url().split('/').pop();
    const model = await api.get(`/api/v1/models/${modelId}`);
    expect(model.body).toMatchObject({ name: 'tales-lm', dataset: uploaded?.dataset });
  }, 180_000);
});
