// A language model's SAEs on its page, in chromium against the real stack: the PyTorch fixture
// imported with its tokenizer and its mlp-out SAE; the SAE measured from its row's Evaluate button,
// a new SAE trained from the "Train an SAE" form (its row follows it from queued to completed on its
// own), and the model's held-out loss measured — each figure on the page the one the API stores.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { number as shown } from '../../apps/web/src/lib/format';
import { client, type Platform, REPO, startPlatform, waitForJob } from '../platform/harness.js';
import {
  ARTIFACTS,
  browserSuiteObstacle,
  type Dashboard,
  launchChromium,
  startDashboard,
} from './browser.js';

const LM = join(REPO, '..', 'shared', 'fixtures', 'lm');
const obstacle =
  browserSuiteObstacle() ??
  (existsSync(join(LM, 'lm_dev', 'model.safetensors')) ? null : '../shared/fixtures/lm is absent here');
if (obstacle) console.warn(`[web] skipping the SAE panel's browser test: ${obstacle}`);

describe.skipIf(obstacle !== null)("a language model's SAEs on its page, in chromium", () => {
  let platform: Platform;
  let api: ReturnType<typeof client>;
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  let projectId: string;
  let modelId: string;
  let fixtureSaeId: string;

  const part = (path: string, name: string): [Blob, string] => [new Blob([readFileSync(path)]), name];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    platform = await startPlatform();
    api = client(platform);
    const project = await api.post('/api/v1/projects', { name: 'sae lab' });
    projectId = String(project.body.id);
    const form = new FormData();
    form.append('file', ...part(join(LM, 'lm_dev', 'model.safetensors'), 'model.safetensors'));
    form.append('config', ...part(join(LM, 'lm_dev', 'config.json'), 'config.json'));
    form.append('tokenizer', ...part(join(LM, 'tokenizer.json'), 'tokenizer.json'));
    const imported = await api.post(`/api/v1/projects/${projectId}/models/import`, form);
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    modelId = String(imported.body.modelId);
    const saeForm = new FormData();
    saeForm.append('file', ...part(join(LM, 'sae_l1_mlp_out', 'model.safetensors'), 'model.safetensors'));
    saeForm.append('config', ...part(join(LM, 'sae_l1_mlp_out', 'config.json'), 'config.json'));
    const sae = await api.post(`/api/v1/models/${modelId}/saes/import`, saeForm);
    expect(sae.status, JSON.stringify(sae.body)).toBe(201);
    fixtureSaeId = String(sae.body.id);
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

  /** Waits for the API's figure, then reloads the page until it shows it. */
  async function untilShown(selector: string, text: string, timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await page
        .locator(selector)
        .first()
        .textContent()
        .catch(() => null);
      if (found?.includes(text)) return;
      if (Date.now() > deadline) throw new Error(`${selector} never showed ${text} (last: ${found})`);
      await page.waitForTimeout(1000);
      await page.reload();
    }
  }

  it('evaluates the fixture SAE from its row, trains a new one from the form, and measures the model', async () => {
    const url = `${dashboard.url}/projects/${projectId}/models/${modelId}`;
    await page.goto(url);
    const fixtureRow = page.locator(`[data-testid="sae-${fixtureSaeId}"]`);
    await expect.poll(() => fixtureRow.textContent()).toContain('mlp-out');
    expect(await fixtureRow.locator('[data-testid="sae-mse"]').textContent()).toBe('—');

    // Evaluate the fixture SAE on a few stories.
    await fixtureRow.locator('input[name="dataset"]').fill('stories:20');
    await fixtureRow.locator('input[name="maxTokens"]').fill('800');
    await fixtureRow.locator(`[data-testid="evaluate-${fixtureSaeId}"]`).click();
    await expect.poll(() => fixtureRow.textContent(), { timeout: 30_000 }).toContain('queued');
    const jobs = await api.get(`/api/v1/projects/${projectId}/jobs?queue=evaluate`);
    const evaluateJob = (jobs.body as unknown as { id: string }[])[0];
    expect((await waitForJob(api, String(evaluateJob?.id), 120_000)).status).toBe('completed');
    const measured = (await api.get(`/api/v1/saes/${fixtureSaeId}`)).body.metrics as {
      mse: number;
      lossRecovered: number;
    };
    await untilShown(`[data-testid="sae-${fixtureSaeId}"] [data-testid="sae-mse"]`, shown(measured.mse));
    await untilShown(
      `[data-testid="sae-${fixtureSaeId}"] [data-testid="sae-loss-recovered"]`,
      shown(measured.lossRecovered),
    );

    // Train a small SAE from the form: its row appears, refreshes itself, and ends with its measures.
    await page.locator('summary', { hasText: 'Train an SAE' }).click();
    const form = page.locator('[data-testid="train-sae-form"]');
    await form.locator('#sae-layer').selectOption('1');
    await form.locator('#sae-point').selectOption('mlp-out');
    await form.locator('#sae-expansion').fill('2');
    await form.locator('#sae-k').fill('8');
    await form.locator('#sae-dataset').fill('stories:40');
    await form.locator('#sae-maxTokens').fill('3000');
    await form.locator('#sae-steps').fill('40');
    await form.locator('#sae-batchSize').fill('128');
    await form.locator('#sae-learningRate').fill('0.003');
    await form.locator('#sae-evalTokens').fill('480');
    await form.locator('[data-testid="start-sae-training"]').click();
    await expect.poll(() => form.textContent(), { timeout: 30_000 }).toContain('Queued');
    const saes = (await api.get(`/api/v1/models/${modelId}/saes`)).body as unknown as {
      id: string;
      source: string;
      jobId: string | null;
    }[];
    const trained = saes.find((sae) => sae.source === 'trained');
    expect(trained?.jobId).toBeTruthy();
    const row = page.locator(`[data-testid="sae-${trained?.id}"]`);
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    // The page refreshes itself while the SAE trains: no reload here.
    await expect.poll(() => row.textContent(), { timeout: 180_000, interval: 1000 }).toContain('completed');
    const trainedMetrics = (await api.get(`/api/v1/saes/${trained?.id}`)).body.metrics as { mse: number };
    await untilShown(
      `[data-testid="sae-${trained?.id}"] [data-testid="sae-mse"]`,
      shown(trainedMetrics.mse),
      30_000,
    );
    await page.screenshot({ path: join(ARTIFACTS, '40-language-model-saes.png'), fullPage: true });

    // The model's held-out loss.
    await page.locator('[aria-label="Evaluate the model"] input[name="dataset"]').fill('stories:20');
    await page.locator('[aria-label="Evaluate the model"] input[name="maxTokens"]').fill('800');
    await page.locator('[data-testid="evaluate-model"]').click();
    await expect
      .poll(() => page.locator('[aria-label="Evaluate the model"]').textContent(), { timeout: 30_000 })
      .toContain('queued');
    const modelJobs = (await api.get(`/api/v1/projects/${projectId}/jobs?queue=evaluate`))
      .body as unknown as {
      id: string;
      createdAt: string;
    }[];
    const newest = modelJobs.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    expect((await waitForJob(api, String(newest?.id), 120_000)).status).toBe('completed');
    const evaluation = (
      (await api.get(`/api/v1/models/${modelId}`)).body.metrics as { evaluation: { loss: number } }
    ).evaluation;
    await untilShown('[data-testid="model-evaluation"]', `Held-out loss ${shown(evaluation.loss)} nats`);
  }, 400_000);
});
