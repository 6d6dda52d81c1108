// A language model's decomposition in the browser (chromium against the real stack): the HF folder
// PyTorch wrote, imported with its tokenizer, every token of layer 1 decomposed; the token explorer
// pages through the tokens, finds one by id and by a word, and shows its spectrum and its top
// eigenvectors read as tokens — the same tokens and values the API stores. Also an SAE's features.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
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

const LM = join(REPO, '..', 'shared', 'fixtures', 'lm');
const obstacle =
  browserSuiteObstacle() ??
  (existsSync(join(LM, 'lm_dev', 'model.safetensors')) ? null : '../shared/fixtures/lm is absent here');
if (obstacle) console.warn(`[web] skipping the token explorer's browser test: ${obstacle}`);

describe.skipIf(obstacle !== null)('the token explorer in chromium', () => {
  let platform: Platform;
  let api: ReturnType<typeof client>;
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  let projectId: string;
  let modelId: string;

  const folderForm = (folder: string, withTokenizer: boolean) => {
    const form = new FormData();
    form.append('file', new Blob([readFileSync(join(LM, folder, 'model.safetensors'))]), 'model.safetensors');
    form.append('config', new Blob([readFileSync(join(LM, folder, 'config.json'))]), 'config.json');
    if (withTokenizer) {
      form.append('tokenizer', new Blob([readFileSync(join(LM, 'tokenizer.json'))]), 'tokenizer.json');
    }
    return form;
  };

  async function decompose(body: Record<string, unknown>): Promise<string> {
    const queued = await api.post(`/api/v1/models/${modelId}/decompositions`, body);
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    const job = await waitForJob(api, String(queued.body.jobId), 240_000);
    expect(job.status, String(job.error)).toBe('completed');
    return String(queued.body.decompositionId);
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    platform = await startPlatform();
    api = client(platform);
    const project = await api.post('/api/v1/projects', { name: 'language lab' });
    projectId = String(project.body.id);
    const imported = await api.post(
      `/api/v1/projects/${projectId}/models/import`,
      folderForm('lm_dev', true),
    );
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    modelId = String(imported.body.modelId);
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

  it('pages through every token, finds one by id and by a word, and reads its eigenvectors as tokens', async () => {
    const decompositionId = await decompose({ topK: 4, layer: 1, allTokens: true });
    const url = `${dashboard.url}/projects/${projectId}/decompositions/${decompositionId}`;
    const sizes: number[] = [];
    page.on('response', async (response) => {
      const body = await response.body().catch(() => null);
      if (body) sizes.push(body.length);
    });
    await page.goto(url);
    await page.waitForSelector('[data-testid=token-explorer]');
    expect(await page.locator('.explorer-list tbody tr').count()).toBe(64);
    expect(await page.locator('.explorer-list strong').textContent()).toContain('of 768');
    // The first view stays small: one page of tokens and one token's vectors.
    expect(Math.max(...sizes)).toBeLessThan(1024 * 1024);

    await page.click('a[rel=next]');
    await page.waitForURL(/offset=64/);
    expect(await page.locator('.explorer-list tbody tr').first().textContent()).toContain('token 64');

    // By id: token 99, whose eigenvectors the API stores with their readings.
    await page.fill('#explorer-search', '99');
    await Promise.all([page.waitForURL(/q=99/), page.press('#explorer-search', 'Enter')]);
    expect(await page.locator('[data-testid=explorer-output]').textContent()).toMatch(/^token 99 "/);
    // Its neighbours, though token 99 is not on the page shown: every token is decomposed.
    expect(await page.locator('[data-testid=previous-output]').textContent()).toContain('token 98');
    await Promise.all([page.waitForURL(/output=100/), page.click('[data-testid=next-output]')]);
    expect(await page.locator('[data-testid=explorer-output]').textContent()).toMatch(/^token 100 "/);
    await page.goBack();
    await page.waitForURL(/q=99$/);
    const stored = await api.get(
      `/api/v1/decompositions/${decompositionId}/outputs/99/eigenvectors?space=model`,
    );
    const readings = stored.body.readings as { top: { token?: string; index: number }[] }[];
    const cards = page.locator('.reading-card');
    expect(await cards.count()).toBe(8);
    const firstTokens = await cards.first().locator('ol').first().locator('.reading-token').allTextContents();
    expect(firstTokens.slice(0, 3)).toEqual(
      readings[0]?.top.slice(0, 3).map((entry) => entry.token ?? `#${entry.index}`),
    );
    // The spectrum chart plots every eigenvalue of token 99 (d = 48), drawn on its canvas.
    const chart = page.locator('[data-testid=token-explorer] [data-testid=spectrum-chart]');
    expect(await chart.getAttribute('data-points')).toBe('48');
    await chart.locator('canvas').first().waitFor();
    // Try your own text: its tokens (with [BOS], as in training), coloured; a token picked lists
    // the eigenvectors that add most there.
    const sentence = 'the little dog ran to the park';
    await page.fill('[data-testid=text-activations] textarea', sentence);
    await page.click('[data-testid=text-activations] button:has-text("Read")');
    await page.waitForSelector('[data-testid=text-tokens] .text-token');
    const special = await api.get(
      `/api/v1/models/${modelId}/tokenize?text=${encodeURIComponent(sentence)}&special=true`,
    );
    const shown = await page.locator('[data-testid=text-tokens] .text-token').allTextContents();
    expect(shown).toEqual(special.body.tokens);
    await page.locator('[data-testid=text-tokens] .text-token').nth(3).click();
    expect(await page.locator('[data-testid=position-contributions] caption').textContent()).toMatch(
      /at position 3: output .* of which the stored eigenvectors add/,
    );
    expect(await page.locator('[data-testid=position-contributions] tbody tr').count()).toBe(8);
    await page.selectOption('#text-series', 'p1');
    // Top-activating contexts: the panel starts the activations job and follows it live; then token
    // 99's contexts as the API stores them, each token coloured by its value, the activating one framed.
    await page.fill('#activations-dataset', 'stories:20');
    await page.fill('#activations-tokens', '1000');
    await page.fill('#activations-top', '5');
    await page.click('[data-testid=activation-contexts] button[type=submit]');
    await page.waitForSelector('[data-testid=activation-context]', { timeout: 180_000 });
    const runs = await api.get(`/api/v1/decompositions/${decompositionId}/activations`);
    const runId = String((runs.body as unknown as { id: string }[])[0]?.id);
    const contexts = await api.get(
      `/api/v1/decompositions/${decompositionId}/activations/${runId}?outputs=99`,
    );
    const series = (
      contexts.body.outputs as {
        series: { contexts: { text: string[]; focus: number; values: number[] }[] }[];
      }[]
    )[0]?.series[0]?.contexts;
    const first = series?.[0];
    const rows = page.locator('[data-testid=activation-context]');
    expect(await rows.count()).toBe(5);
    expect(await rows.first().locator('[data-testid=activation-token]').allTextContents()).toEqual(
      first?.text,
    );
    const focus = rows.first().locator('[data-testid=activation-token][data-focus=true]');
    expect(await focus.count()).toBe(1);
    expect(await focus.textContent()).toBe(first?.text[first.focus]);
    // Red for a positive value, as strong as it is against the largest |value| of the series.
    const scale = Math.max(...(series ?? []).flatMap((context) => context.values.map(Math.abs)));
    const focusValue = first?.values[first.focus] as number;
    const colour = await focus.evaluate((node) => getComputedStyle(node).backgroundColor);
    const alpha = Number(/^rgba\(192, 57, 43, ([\d.]+)\)$/.exec(colour)?.[1]);
    expect(Math.abs(alpha - 0.85 * Math.min(1, focusValue / scale)), colour).toBeLessThan(0.01);
    await page.locator('[data-testid=activation-histogram] canvas').first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, '30-token-explorer.png'), fullPage: true });

    // By a word: the tokenizer's ids for it, the first one shown.
    const word = 'the';
    const encoded = await api.get(`/api/v1/models/${modelId}/tokenize?text=${word}`);
    const ids = encoded.body.ids as number[];
    await page.fill('#explorer-search', word);
    await Promise.all([page.waitForURL(/q=the/), page.press('#explorer-search', 'Enter')]);
    expect(await page.locator('[data-testid=explorer-output]').textContent()).toContain(`token ${ids[0]} `);
  }, 300_000);

  it('decomposes from the model page: tokens named as words, against comparison tokens', async () => {
    await page.goto(`${dashboard.url}/projects/${projectId}/models/${modelId}`);
    await page.selectOption('#lm-layer', '1');
    await page.fill('#lm-tokens', 'she');
    await page.fill('#lm-comparison', 'he, they');
    await Promise.all([page.waitForURL(/\/decompositions\//), page.click('[data-testid=decompose-button]')]);
    const decompositionId = /decompositions\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? '';
    const stored = await api.get(`/api/v1/decompositions/${decompositionId}`);
    const [she, he, they] = await Promise.all(
      ['she', 'he', 'they'].map(
        async (word) =>
          (await api.get(`/api/v1/models/${modelId}/tokenize?text=${word}`)).body.ids as number[],
      ),
    );
    expect(stored.body.parameters).toMatchObject({
      layer: 1,
      outputs: [...(she ?? [])].sort((a, b) => a - b),
      comparison: [...new Set([...(he ?? []), ...(they ?? [])])].sort((a, b) => a - b),
    });
    const job = await waitForJob(api, String(stored.body.jobId), 120_000);
    expect(job.status).toBe('completed');
    await page.reload();
    await page.waitForSelector('[data-testid=explorer-eigenvectors]');
    expect(await page.locator('[data-testid=explorer-output]').textContent()).toMatch(/− mean\(tokens/);
  }, 300_000);

  it("shows an SAE's features over an input SAE's features (DᵀQD), read as features", async () => {
    const attach = async (folder: string) => {
      const response = await api.post(`/api/v1/models/${modelId}/saes/import`, folderForm(folder, false));
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      return String(response.body.id);
    };
    const saeOut = await attach('sae_l1_mlp_out');
    const saeIn = await attach('sae_l1_mlp_in');
    const decompositionId = await decompose({ topK: 4, saeOut, saeIn, features: [0, 77, 191] });
    await page.goto(`${dashboard.url}/projects/${projectId}/decompositions/${decompositionId}?output=77`);
    await page.waitForSelector('[data-testid=explorer-eigenvectors]');
    expect(await page.locator('[data-testid=explorer-output]').textContent()).toBe('feature 77');
    expect(await page.locator('[data-testid=explorer-eigenvectors] h3').textContent()).toContain(
      'input features',
    );
    expect(await page.locator('.explorer-list tbody tr').count()).toBe(3);
    // Every feature of the SAE has a page (its weights read without decomposing it): ±1.
    expect(await page.locator('[data-testid=previous-output]').textContent()).toContain('feature 76');
    expect(await page.locator('[data-testid=next-output]').textContent()).toContain('feature 78');
    await page.screenshot({ path: join(ARTIFACTS, '31-feature-explorer.png'), fullPage: true });
  }, 300_000);
});
