// The dashboard in a real browser against the real stack (API, two workers, Postgres, Redis):
// sign in, import a checkpoint from the form, manage members and keys, train and watch the curve grow
// live, decompose, read the heatmaps' pixels back, open an eigenvector, explain an input (drawn with
// the mouse and with the keyboard), cancel and retry a job, compare runs, check a viewer's view, and time the
// decomposition page of a d = 512 model. Every page is saved as a screenshot in test-artifacts/; the
// pages of the imported PyTorch-trained d = 64 model (examples/) are the ones worth showing in docs/.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomMnistModelFile } from '@bilinear-lab/core/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { client, type Platform, REPO, startPlatform, waitForJob } from '../platform/harness.js';
import {
  ARTIFACTS,
  browserSuiteObstacle,
  type Dashboard,
  launchChromium,
  startDashboard,
} from './browser.js';

const obstacle = browserSuiteObstacle();
if (obstacle) console.warn(`[web] skipping the dashboard's browser tests: ${obstacle}`);

const SMALL_RUN = { hiddenDim: 32, epochs: 3, batchSize: 500, trainSubset: 2000 };
const UUID = /[0-9a-f-]{36}/;
const TRAINED_MODEL = join(REPO, 'examples', 'mnist-d64.safetensors');

/** A seeded random model in the reference layout (like bench/decompose-mnist.mjs): d = 512, 10 classes. */
/**
 * The mean correlation of horizontally neighbouring pixels over the class view's heatmaps, reading each
 * pixel's signed value as red minus blue: near 0 for noise, well above it for stroke-like eigenvectors.
 */
function classViewSmoothness(page: Page): Promise<number> {
  return page.evaluate(() => {
    const correlations: number[] = [];
    for (const canvas of document.querySelectorAll<HTMLCanvasElement>('#class-panel canvas.heatmap')) {
      const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
      if (!data) continue;
      const value = (x: number, y: number) => {
        const at = 4 * (y * canvas.width + x);
        return (data[at] as number) - (data[at + 2] as number);
      };
      const left: number[] = [];
      const right: number[] = [];
      for (let y = 0; y < canvas.height; y++) {
        for (let x = 0; x + 1 < canvas.width; x++) {
          left.push(value(x, y));
          right.push(value(x + 1, y));
        }
      }
      const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
      const [meanLeft, meanRight] = [mean(left), mean(right)];
      let covariance = 0;
      let varianceLeft = 0;
      let varianceRight = 0;
      for (let i = 0; i < left.length; i++) {
        const a = (left[i] as number) - meanLeft;
        const b = (right[i] as number) - meanRight;
        covariance += a * b;
        varianceLeft += a * a;
        varianceRight += b * b;
      }
      if (varianceLeft > 0 && varianceRight > 0)
        correlations.push(covariance / Math.sqrt(varianceLeft * varianceRight));
    }
    return correlations.length === 0
      ? Number.NaN
      : correlations.reduce((sum, c) => sum + c, 0) / correlations.length;
  });
}

describe.skipIf(obstacle !== null)('dashboard in chromium', () => {
  let platform: Platform;
  let api: ReturnType<typeof client>;
  let dashboard: Dashboard;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let projectId: string;
  let viewerKey: string;
  let modelB: { modelId: string; jobId: string };
  let bigDecomposition: Promise<{ decompositionId: string }>;
  let smallModelId: string;
  let smallDecompositionId: string;
  let trainedDecomposition: Promise<{ decompositionId: string; testAccuracy: number }>;

  const shot = (target: Page, name: string) =>
    target.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  async function signIn(target: Page, key: string) {
    await target.goto(`${dashboard.url}/sign-in`);
    await target.fill('#key', key);
    await Promise.all([target.waitForURL(/\/projects/), target.click('button[type=submit]')]);
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    platform = await startPlatform({ workers: 2 });
    api = client(platform);
    const project = await api.post('/api/v1/projects', { name: 'browser lab' });
    expect(project.status).toBe(201);
    projectId = String(project.body.id);
    const viewer = await api.post(`/api/v1/projects/${projectId}/members`, {
      user: 'vera-viewer',
      role: 'viewer',
    });
    expect(viewer.status, JSON.stringify(viewer.body)).toBeLessThan(300);
    viewerKey = String(viewer.body.apiKey);

    // Work the later tests need, queued now so it runs while the first tests drive the browser.
    const trained = await api.post(`/api/v1/projects/${projectId}/models/train`, {
      name: 'seed-7',
      config: { ...SMALL_RUN, seed: 7 },
    });
    expect(trained.status, JSON.stringify(trained.body)).toBe(202);
    modelB = trained.body as unknown as { modelId: string; jobId: string };
    bigDecomposition = (async () => {
      const form = new FormData();
      form.set('name', 'random-d512');
      form.set('file', new Blob([randomMnistModelFile(512)]), 'random-d512.safetensors');
      const imported = await api.post(`/api/v1/projects/${projectId}/models/import`, form);
      expect(imported.status, JSON.stringify(imported.body)).toBe(201);
      const decomposed = await api.post(`/api/v1/models/${String(imported.body.modelId)}/decompositions`, {
        topK: 16,
        truncationK: [1, 4, 16],
      });
      expect(decomposed.status, JSON.stringify(decomposed.body)).toBeLessThan(300);
      const job = await waitForJob(api, String(decomposed.body.jobId), 180_000);
      expect(job.status, String(job.error)).toBe('completed');
      return { decompositionId: String(decomposed.body.decompositionId) };
    })();
    bigDecomposition.catch(() => undefined);
    // A real trained model, so its heatmaps show strokes rather than the noise of a 3-epoch run.
    trainedDecomposition = (async () => {
      const form = new FormData();
      form.set('name', 'mnist-d64');
      form.set('file', new Blob([readFileSync(TRAINED_MODEL)]), 'mnist-d64.safetensors');
      const imported = await api.post(`/api/v1/projects/${projectId}/models/import`, form);
      expect(imported.status, JSON.stringify(imported.body)).toBe(201);
      const metrics = imported.body.metrics as { testAccuracy?: number } | null;
      const decomposed = await api.post(`/api/v1/models/${String(imported.body.modelId)}/decompositions`, {
        topK: 8,
        hosvd: true,
        adversarial: true,
      });
      expect(decomposed.status, JSON.stringify(decomposed.body)).toBeLessThan(300);
      const job = await waitForJob(api, String(decomposed.body.jobId), 180_000);
      expect(job.status, String(job.error)).toBe('completed');
      return {
        decompositionId: String(decomposed.body.decompositionId),
        testAccuracy: Number(metrics?.testAccuracy),
      };
    })();
    trainedDecomposition.catch(() => undefined);

    dashboard = await startDashboard(platform.url);
    browser = await launchChromium();
    admin = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await admin.newPage();
  }, 120_000);

  beforeEach(({ onTestFailed }) => {
    onTestFailed(async () => {
      console.log(`[web] dashboard output:\n${dashboard?.logs().slice(-4000)}`);
      await page?.screenshot({ path: join(ARTIFACTS, 'failure.png'), fullPage: true }).catch(() => undefined);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
    await platform?.stop();
  }, 60_000);

  it('signs in with an API key kept in an httpOnly cookie', async () => {
    await page.goto(`${dashboard.url}/`);
    await page.waitForURL(/\/sign-in/);
    await shot(page, '01-sign-in');
    await page.fill('#key', 'bl_not-a-real-key');
    await page.click('button[type=submit]');
    await page.waitForSelector('#sign-in-error');
    await signIn(page, platform.adminKey);
    await page.waitForURL(new RegExp(`/projects/${projectId}/models`));
    const cookies = await admin.cookies();
    const session = cookies.find((cookie) => cookie.name === 'bilinear_session');
    expect(session?.httpOnly).toBe(true);
    expect(await page.evaluate(() => document.cookie)).not.toContain('bl_');
    await shot(page, '02-models');
    await page.goto(`${dashboard.url}/projects`);
    await shot(page, '03-projects');
    await page.goto(`${dashboard.url}/projects/${projectId}/settings`);
    await page.waitForSelector('text=vera-viewer');
    await shot(page, '04-members-and-keys');
    await page.goto(`${dashboard.url}/projects/${projectId}/models/import`);
    await shot(page, '05-import');
  }, 60_000);

  it('imports a checkpoint from the form and shows the API’s reason for refusing a malformed one', async () => {
    await page.goto(`${dashboard.url}/projects/${projectId}/models/import`);
    const malformed = randomBytes(16);
    await page.fill('#import-name', 'malformed-upload');
    await page.setInputFiles('#import-file', {
      name: 'bad.safetensors',
      mimeType: 'application/octet-stream',
      buffer: malformed,
    });
    // Scoped to the form: the top bar's Sign out is a submit button too.
    const importButton = page.locator('form:has(#import-file) button[type=submit]');
    await importButton.click();
    const alert = page.locator('form [role=alert]');
    await alert.waitFor();
    // The message is the API's own, passed through unchanged.
    const direct = new FormData();
    direct.set('file', new Blob([malformed]), 'bad.safetensors');
    const refused = await api.post(`/api/v1/projects/${projectId}/models/import`, direct);
    expect(refused.status).toBe(400);
    const apiMessage = String((refused.body.error as { message?: unknown } | undefined)?.message);
    expect(apiMessage).toMatch(/^bad\.safetensors: /);
    expect(await alert.textContent()).toBe(apiMessage);
    await shot(page, '05b-import-refused');

    await page.fill('#import-name', 'form-d64');
    await page.setInputFiles('#import-file', TRAINED_MODEL);
    await Promise.all([page.waitForURL(/\/models\/[0-9a-f-]{36}$/), importButton.click()]);
    await page.goto(`${dashboard.url}/projects/${projectId}/models`);
    const row = page.locator('[data-testid=models-table] tr', {
      has: page.getByRole('link', { name: 'form-d64', exact: true }),
    });
    // Width d, then test accuracy; the row links to the model's decompositions.
    expect(await row.locator('td.num').nth(0).textContent()).toBe('64');
    expect(await row.locator('td.num').nth(1).textContent()).toBe('94.65 %');
    expect(await row.getByRole('link', { name: 'decompositions' }).getAttribute('href')).toMatch(
      /\/models\/[0-9a-f-]{36}#run-decompositions$/,
    );
    const models = await api.get(`/api/v1/projects/${projectId}/models`);
    const names = (models.body as unknown as { name: string }[]).map((model) => model.name);
    expect(names).toContain('form-d64');
    expect(names).not.toContain('malformed-upload');
    expect(names).not.toContain('bad');
  }, 60_000);

  it('adds a member, changes the role and removes them; creates, lists and revokes a key', async () => {
    const settings = `${dashboard.url}/projects/${projectId}/settings`;
    await page.goto(settings);
    const memberForm = page.locator('form', { has: page.locator('#member-user') });
    const memberRow = page.locator('tr', { has: page.locator('td', { hasText: /^walt-new$/ }) });
    const status = (key: string) =>
      fetch(`${platform.url}/api/v1/projects/${projectId}/models`, {
        headers: { authorization: `Bearer ${key}` },
      }).then((response) => response.status);

    // A new user name creates the user: its first key is shown once, and it opens the project.
    await page.fill('#member-user', 'walt-new');
    await page.selectOption('#member-role', 'viewer');
    await memberForm.locator('button[type=submit]').click();
    const firstKey = String(await memberForm.locator('[data-testid=new-secret]').textContent()).trim();
    expect(firstKey).toMatch(/^bl_/);
    expect(await status(firstKey)).toBe(200);
    await memberRow.locator('.badge', { hasText: 'viewer' }).waitFor();
    await shot(page, '04b-member-added');

    // The same name again changes the role, and no key is shown this time.
    await page.fill('#member-user', 'walt-new');
    await page.selectOption('#member-role', 'member');
    await memberForm.locator('button[type=submit]').click();
    await memberRow.locator('.badge', { hasText: 'member' }).waitFor();
    expect(await memberForm.locator('[data-testid=new-secret]').count()).toBe(0);

    page.once('dialog', (dialog) => void dialog.accept());
    await memberRow.getByRole('button', { name: 'Remove' }).click();
    await memberRow.waitFor({ state: 'detached' });
    // No longer a member: the project is closed to that key (404, as if it did not exist).
    expect(await status(firstKey)).toBe(404);

    // A key for me: shown once, listed by its prefix, and dead once revoked.
    const keyForm = page.locator('form', { has: page.locator('#key-name') });
    const keyRow = page.locator('tr', { has: page.locator('td', { hasText: /^laptop$/ }) });
    await page.fill('#key-name', 'laptop');
    await keyForm.locator('button[type=submit]').click();
    const key = String(await keyForm.locator('[data-testid=new-secret]').textContent()).trim();
    expect(key).toMatch(/^bl_/);
    const prefix = String(await keyRow.locator('td.mono').textContent()).replace(/…$/, '');
    expect(prefix.length).toBeGreaterThan(3);
    expect(key.startsWith(prefix)).toBe(true);
    expect(await page.locator('body').textContent()).toContain(key);
    expect(await status(key)).toBe(200);
    await shot(page, '04c-key-created');

    page.once('dialog', (dialog) => void dialog.accept());
    await keyRow.getByRole('button', { name: 'Revoke' }).click();
    await keyRow.locator('.badge', { hasText: 'revoked' }).waitFor();
    expect(await status(key)).toBe(401);
    // Shown once: after a reload the secret is gone from the page.
    await page.reload();
    await keyRow.waitFor();
    expect(await page.locator('body').textContent()).not.toContain(key);
  }, 60_000);

  it('trains a small model from the form and its curve gains points live', async () => {
    await page.goto(`${dashboard.url}/projects/${projectId}/models/train`);
    // Every option of the contract is on the form with its default.
    for (const option of [
      'hiddenDim',
      'layers',
      'residual',
      'gate',
      'epochs',
      'batchSize',
      'learningRate',
      'weightDecay',
      'warmupSteps',
      'inputNoise',
      'inputNoiseProbability',
      'latentNoise',
      'seed',
      'trainSubset',
    ]) {
      expect(await page.locator(`#option-${option}`).count(), option).toBe(1);
    }
    expect(await page.inputValue('#option-weightDecay')).toBe('0.5');
    await shot(page, '06-train-form');
    await page.fill('#train-name', 'seed-42');
    for (const [name, value] of Object.entries(SMALL_RUN)) await page.fill(`#option-${name}`, String(value));
    await Promise.all([
      page.waitForURL(/\/models\/[0-9a-f-]{36}$/),
      page.click('[data-testid=start-training]'),
    ]);
    smallModelId = UUID.exec(page.url().split('/models/')[1] ?? '')?.[0] ?? '';
    expect(smallModelId).not.toBe('');

    // Mark this document: if the page reloaded, the mark would be gone.
    await page.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    const seen = new Set<number>();
    // While the bar moves, the header's badge and the bar's text must tell the same story.
    const moving: { badge: string | null; text: string }[] = [];
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const points = Number(await page.getAttribute('[data-testid=loss-chart]', 'data-points'));
      seen.add(points);
      const [badge, value, text] = await page.evaluate(() => [
        document.querySelector('h1 [data-status]')?.getAttribute('data-status') ?? null,
        document.querySelector('[aria-label="Training progress"]')?.getAttribute('aria-valuenow') ?? '0',
        document.querySelector('[data-testid=progress-text]')?.textContent ?? '',
      ]);
      if (Number(value) > 0 && Number(value) < 95) moving.push({ badge, text });
      if ((await page.locator('[data-testid=test-accuracy]').textContent())?.includes('%')) break;
      await page.waitForTimeout(50);
    }
    console.log(
      `[web] ${moving.length} samples with the bar between 0 and 95 %; e.g. ${JSON.stringify(moving.at(-1))}`,
    );
    expect(moving.length).toBeGreaterThan(0);
    expect(moving.filter((sample) => sample.badge !== 'running')).toEqual([]);
    // One step count, not the curves' and the worker's message side by side.
    for (const sample of moving) expect(sample.text.match(/step/g)?.length ?? 0).toBeLessThanOrEqual(1);
    const final = Number(await page.getAttribute('[data-testid=loss-chart]', 'data-points'));
    console.log(
      `[web] loss curve point counts seen while training: ${[...seen].sort((a, b) => a - b).join(', ')}`,
    );
    expect(final).toBeGreaterThan(0);
    expect(seen.size).toBeGreaterThan(1);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(
      true,
    );
    await shot(page, '07-run');

    // Opened again once completed: the Log is the stored events, replayed, and the duration counts.
    await page.reload();
    await page.locator('[data-testid=job-log]', { hasText: 'state completed' }).waitFor({ timeout: 15_000 });
    const log = (await page.textContent('[data-testid=job-log]')) ?? '';
    expect(log).toContain('state running');
    expect(log).not.toContain('No events yet');
    expect(await page.textContent('[data-testid=run-duration]')).toMatch(/^\d+ s$|min/);
    expect(await page.getAttribute('h1 [data-status]', 'data-status')).toBe('completed');
    // The checkpoint downloads through the dashboard with the session's key.
    const checkpoint = await page.request.get(
      new URL(
        (await page.getAttribute('[data-testid=download-checkpoint]', 'href')) ?? '',
        dashboard.url,
      ).toString(),
    );
    expect(checkpoint.status()).toBe(200);
    expect(checkpoint.headers()['content-type']).toMatch(/octet-stream|safetensors/);
    expect(checkpoint.headers()['content-disposition']).toContain('attachment');
    // A safetensors file begins with its header's length, then the JSON header.
    expect((await checkpoint.body()).subarray(8, 9).toString()).toBe('{');
  }, 120_000);

  it('decomposes the model and draws the class view heatmaps in both colours', async () => {
    // The Adversarial checkbox's words start beside the box, on its line, however they wrap.
    const box = await page.locator('[data-testid=adversarial-checkbox]').boundingBox();
    const words = await page.locator('label:has([data-testid=adversarial-checkbox]) > span').boundingBox();
    if (!box || !words) throw new Error('no Adversarial checkbox');
    expect(words.x).toBeGreaterThanOrEqual(box.x + box.width);
    expect(words.y).toBeLessThanOrEqual(box.y + box.height);
    await page.fill('#decompose-topk', '8');
    await Promise.all([
      page.waitForURL(/\/decompositions\/[0-9a-f-]{36}/),
      page.click('[data-testid=decompose-button]'),
    ]);
    smallDecompositionId = UUID.exec(page.url().split('/decompositions/')[1] ?? '')?.[0] ?? '';
    await page.waitForSelector('[data-testid=decomposition-view][data-ready=true]', { timeout: 90_000 });
    await page.waitForSelector('#class-panel canvas[data-drawn=true]');
    // The spectrum comes most positive first: its first eigenvalue is p1's, read from the f32 block.
    const largest = await page.textContent('[data-testid=largest-eigenvalue]');
    expect(await page.textContent('#class-panel a.heatmap-cell >> nth=0')).toContain(`p1 · λ ${largest}`);
    const pixels = await page.evaluate(() => {
      let red = 0;
      let blue = 0;
      let drawn = 0;
      const canvases = document.querySelectorAll<HTMLCanvasElement>('#class-panel canvas.heatmap');
      for (const canvas of canvases) {
        const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
        if (!data) continue;
        for (let i = 0; i < data.length; i += 4) {
          const [r, g, b] = [data[i] as number, data[i + 1] as number, data[i + 2] as number];
          if (r > b + 40) red++;
          else if (b > r + 40) blue++;
          if (!(r > 240 && g > 240 && b > 240)) drawn++;
        }
      }
      return { canvases: canvases.length, red, blue, drawn };
    });
    console.log(
      `[web] class view canvases: ${JSON.stringify(pixels)}, neighbouring-pixel correlation ${(await classViewSmoothness(page)).toFixed(2)}`,
    );
    expect(pixels.canvases).toBe(16);
    expect(pixels.red).toBeGreaterThan(100);
    expect(pixels.blue).toBeGreaterThan(100);
    // Keyboard: the arrow key moves to the next class.
    await page.focus('[role=tab][aria-selected=true]');
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('[role=tab][data-index="1"][aria-selected=true]');
    await page.waitForSelector('[data-testid=overview-grid] canvas[data-drawn=true]');
    await shot(page, '08-decomposition');

    // Downloads: the spectra as CSV (every eigenvalue of every class) and eigenvectors as npy / JSON.
    const download = async (testId: string) => {
      const href = await page.getAttribute(`[data-testid=${testId}]`, 'href');
      return page.request.get(new URL(href ?? '', dashboard.url).toString());
    };
    const spectra = await download('download-spectra-csv');
    expect(spectra.status()).toBe(200);
    expect(spectra.headers()['content-type']).toContain('text/csv');
    const lines = (await spectra.text()).trim().split('\r\n');
    expect(lines[0]).toBe('output,label,rank,rank_fraction,eigenvalue');
    expect(lines.length).toBe(1 + 10 * SMALL_RUN.hiddenDim);
    expect(Number(lines[1]?.split(',')[4])).toBeCloseTo(Number(largest), 2);
    const truncation = await download('download-truncation-csv');
    expect(truncation.status()).toBe(200);
    expect((await truncation.text()).split('\r\n')[0]).toBe('k,accuracy,full_accuracy,drop');
    const npy = await download('download-eigenvectors-0-input-npy');
    expect(npy.status()).toBe(200);
    expect((await npy.body()).subarray(1, 6).toString()).toBe('NUMPY');
    const json = await download('download-eigenvectors-0-model-json');
    expect(json.status()).toBe(200);
    expect(json.headers()['content-type']).toContain('application/json');
    expect((await json.json()).dimension).toBe(SMALL_RUN.hiddenDim);
  }, 120_000);

  it('opens an eigenvector page with its top-activating images and histogram', async () => {
    await Promise.all([
      page.waitForURL(/\/eigenvectors\/1\/p1$/),
      page.click('#class-panel a.heatmap-cell >> nth=0'),
    ]);
    await page.waitForSelector('[data-testid=eigenvalue]');
    await page.waitForSelector('canvas[data-drawn=true]');
    expect(Number(await page.getAttribute('[data-testid=activation-histogram-chart]', 'data-points'))).toBe(
      40,
    );
    await shot(page, '09-eigenvector');
  }, 60_000);

  it('explains a test image and a drawn one', async () => {
    await page.goto(`${dashboard.url}/projects/${projectId}/decompositions/${smallDecompositionId}/explain`);
    await page.waitForSelector('[data-testid=explain-view][data-ready=true]', { timeout: 30_000 });
    expect(await page.locator('[data-testid=logits] button').count()).toBe(10);
    expect(await page.locator('[data-testid=contributions] .bar-row').count()).toBeGreaterThan(0);
    await page.fill('#test-index', '7');
    await page.waitForSelector('text=Test image #7');
    const pad = await page.locator('[data-testid=draw-pad]').boundingBox();
    if (!pad) throw new Error('no drawing pad');
    await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * 0.8, { steps: 12 });
    await page.mouse.up();
    await page.waitForSelector('text=Your drawing');
    await page.waitForSelector('[data-testid=explain-view][data-ready=true]');
    await shot(page, '10-explain');
    await page.goto(`${dashboard.url}/projects/${projectId}/decompositions/${smallDecompositionId}/analyses`);
    await page.waitForSelector('[data-testid=truncation-chart]');
    await shot(page, '11-analyses');
  }, 60_000);

  it('draws a vertical stroke on the explain page with the keyboard alone', async () => {
    await page.goto(`${dashboard.url}/projects/${projectId}/decompositions/${smallDecompositionId}/explain`);
    await page.waitForSelector('[data-testid=explain-view][data-ready=true]', { timeout: 30_000 });
    const pad = page.locator('[data-testid=draw-pad]');
    expect(await pad.getAttribute('aria-label')).toMatch(/arrow keys.*Space or Enter.*Delete or Backspace/);
    expect(await page.getByRole('button', { name: 'Clear drawing' }).count()).toBe(1);
    // Reached with Tab after the test-image buttons, with a visible focus ring and the cursor outlined.
    await page.getByRole('button', { name: 'Random' }).focus();
    await page.keyboard.press('Tab');
    expect(await pad.evaluate((element) => element === document.activeElement)).toBe(true);
    expect(await pad.evaluate((element) => getComputedStyle(element).outlineStyle)).not.toBe('none');
    await page.locator('[data-testid=draw-pad-cursor]').waitFor();
    expect(await pad.getAttribute('data-cursor')).toBe('14,14');

    for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowUp');
    for (let row = 6; row < 22; row++) {
      await page.keyboard.press(row % 2 === 0 ? 'Space' : 'Enter');
      await page.keyboard.press('ArrowDown');
    }
    expect(await pad.getAttribute('data-cursor')).toBe('22,14');
    // Erase one painted cell again: the cursor's cell (row 21 after going up) turns white.
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Delete');
    // Each painted cell's centre is full ink (black); the erased cell and the rest of the pad are white.
    const ink = await pad.evaluate((canvas: HTMLCanvasElement) => {
      const data = canvas.getContext('2d')?.getImageData(0, 0, 28, 28).data;
      const at = (row: number, column: number) => data?.[4 * (row * 28 + column)] ?? -1;
      return { stroke: [6, 10, 14, 20].map((row) => at(row, 14)), erased: at(21, 14), away: at(14, 4) };
    });
    expect(ink.stroke.every((value) => value === 0)).toBe(true);
    expect(ink.erased).toBe(255);
    expect(ink.away).toBe(255);

    await page.waitForSelector('text=Your drawing');
    await page.waitForSelector('[data-testid=explain-view][data-ready=true]');
    expect(await page.locator('[data-testid=logits] button').count()).toBe(10);
    await shot(page, '10b-explain-keyboard');
  }, 60_000);

  it('cancels a job from the jobs page and retries it', async () => {
    const long = await api.post(`/api/v1/projects/${projectId}/models/train`, {
      name: 'too-long',
      config: { hiddenDim: 64, epochs: 500, batchSize: 100 },
    });
    expect(long.status).toBe(202);
    const jobId = String(long.body.jobId);
    await page.goto(`${dashboard.url}/projects/${projectId}/jobs`);
    const row = page.locator(`tr[data-job-id="${jobId}"]`);
    await row.locator('[data-testid=cancel-job]').click();
    await row.locator('[data-status=cancelled]').waitFor({ timeout: 30_000 });
    const job = await waitForJob(api, jobId, 30_000);
    expect(job.status).toBe('cancelled');
    await page.waitForSelector('[data-testid=workers-table]');
    await shot(page, '12-jobs');

    // Retry puts it back in the queue (and a worker may pick it up at once); then cancel it for good,
    // so the 500 epochs do not hold a worker for the rest of the suite.
    await row.locator('[data-testid=retry-job]').click();
    await row.locator('[data-status=queued], [data-status=running]').waitFor({ timeout: 30_000 });
    const retried = await api.get(`/api/v1/jobs/${jobId}`);
    expect(['queued', 'running']).toContain(retried.body.status);
    expect(retried.body.error ?? null).toBeNull();
    await shot(page, '12b-jobs-retried');
    await row.locator('[data-testid=cancel-job]').click();
    await row.locator('[data-status=cancelled]').waitFor({ timeout: 30_000 });
    expect((await waitForJob(api, jobId, 30_000)).status).toBe('cancelled');
  }, 60_000);

  it('compares two runs: spectra, eigenvector similarity and accuracy', async () => {
    const trainedB = await waitForJob(api, modelB.jobId, 60_000);
    expect(trainedB.status).toBe('completed');
    const decomposedB = await api.post(`/api/v1/models/${modelB.modelId}/decompositions`, {
      topK: 8,
      hosvd: true,
    });
    expect((await waitForJob(api, String(decomposedB.body.jobId), 60_000)).status).toBe('completed');
    await page.goto(
      `${dashboard.url}/projects/${projectId}/compare?models=${smallModelId}&models=${modelB.modelId}`,
    );
    await page.waitForSelector('[data-testid=compare-view]');
    expect(await page.locator('[data-testid=compare-table] tbody tr').count()).toBe(2);
    expect(
      Number(await page.getAttribute('[data-testid=compare-similarity]', 'data-points')),
    ).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid=compare-reference]')).toBe('seed-42');
    expect(await page.textContent('[data-testid=compare-table] tbody tr >> nth=0')).toContain('reference');
    // Every eigenvalue is drawn (the negative tail too), by rank and by rank / d.
    expect(Number(await page.getAttribute('[data-testid=compare-spectra]', 'data-points'))).toBe(
      SMALL_RUN.hiddenDim,
    );
    await page.check('[data-testid=rank-axis-fraction]');
    expect(Number(await page.getAttribute('[data-testid=compare-spectra]', 'data-points'))).toBe(
      SMALL_RUN.hiddenDim,
    );
    await shot(page, '13-compare');
    // The second run's decomposition has the HOSVD: its analyses page shows it.
    await page.goto(
      `${dashboard.url}/projects/${projectId}/decompositions/${String(decomposedB.body.decompositionId)}/analyses`,
    );
    await page.waitForSelector('[data-testid=hosvd-singular-values]');
    await page.waitForSelector('canvas[data-drawn=true]');
    await shot(page, '14-analyses-hosvd');
  }, 90_000);

  it('hides the Train button from a viewer', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const viewerPage = await context.newPage();
    await signIn(viewerPage, viewerKey);
    await viewerPage.goto(`${dashboard.url}/projects/${projectId}/models`);
    await viewerPage.waitForSelector('[data-testid=models-table]');
    expect(await viewerPage.locator('[data-testid=train-button]').count()).toBe(0);
    expect(await page.locator('[data-testid=train-button]').count()).toBeLessThanOrEqual(1);
    await shot(viewerPage, '15-viewer-models');
    await viewerPage.goto(
      `${dashboard.url}/projects/${projectId}/models/00000000-0000-4000-8000-000000000000`,
    );
    await viewerPage.waitForSelector('text=Not found');
    await shot(viewerPage, '16-not-found');
    await context.close();
  }, 60_000);

  it('shows the decomposition of the PyTorch-trained d = 64 MNIST model (the README screenshots)', async () => {
    const { decompositionId, testAccuracy } = await trainedDecomposition;
    expect(testAccuracy).toBeCloseTo(0.9465, 3);
    const base = `${dashboard.url}/projects/${projectId}/decompositions/${decompositionId}`;

    await page.goto(`${base}?class=0`);
    await page.waitForSelector('[data-testid=decomposition-view][data-ready=true]', { timeout: 30_000 });
    await page.waitForSelector('#class-panel canvas[data-drawn=true]');
    await page.waitForSelector('[data-testid=overview-grid] canvas[data-drawn=true]');
    // A trained model's eigenvectors are smooth strokes: neighbouring pixels agree, unlike noise.
    const smoothness = await classViewSmoothness(page);
    console.log(`[web] trained model's class view: neighbouring-pixel correlation ${smoothness.toFixed(2)}`);
    expect(smoothness).toBeGreaterThan(0.3);
    await shot(page, '18-trained-decomposition');

    await Promise.all([
      page.waitForURL(/\/eigenvectors\/0\/p1$/),
      page.click('#class-panel a.heatmap-cell >> nth=0'),
    ]);
    await page.waitForSelector('[data-testid=eigenvalue]');
    await page.waitForSelector('canvas[data-drawn=true]');
    await shot(page, '19-trained-eigenvector');

    await page.goto(`${base}/explain`);
    await page.waitForSelector('[data-testid=explain-view][data-ready=true]', { timeout: 30_000 });
    await page.fill('#test-index', '7');
    await page.waitForSelector('text=Test image #7');
    await page.waitForSelector('[data-testid=explain-view][data-ready=true]');
    await page.locator('#test-index').blur();
    await shot(page, '20-trained-explain');

    await page.goto(`${base}/analyses`);
    await page.waitForSelector('[data-testid=truncation-chart]');
    await page.waitForSelector('[data-testid=hosvd-singular-values]');
    await page.waitForSelector('[data-testid=adversarial-chart] canvas');
    await page.waitForSelector('[data-testid=adversarial-masks] canvas[data-drawn=true]');
    // The ten masks, read back: each is drawn, not blank, and uses both sides of the diverging scale.
    const masks = await page.evaluate(() =>
      Array.from(
        document.querySelectorAll<HTMLCanvasElement>('[data-testid=adversarial-masks] canvas.heatmap'),
        (canvas) => {
          const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
          let red = 0;
          let blue = 0;
          for (let at = 0; data && at < data.length; at += 4) {
            const r = data[at] as number;
            const b = data[at + 2] as number;
            if (r - b > 60) red++;
            else if (b - r > 60) blue++;
          }
          return { side: canvas.width, drawn: canvas.dataset.drawn === 'true', red, blue };
        },
      ),
    );
    expect(masks).toHaveLength(10);
    for (const mask of masks) {
      expect(mask).toMatchObject({ side: 28, drawn: true });
      expect(mask.red).toBeGreaterThan(10);
      expect(mask.blue).toBeGreaterThan(10);
    }
    expect(await page.locator('[data-testid=adversarial-table] tbody tr').count()).toBeGreaterThan(3);
    await shot(page, '21-trained-analyses');
  }, 240_000);

  // Speed is reported here, never asserted: a timed assertion fails on a loaded machine (this one took
  // 1.6 s once while the rest of the suite ran beside it). The 1.5 s target is judged from the log line.
  it('makes the decomposition page of a d = 512, 10-class, top-16 model interactive, and reports how fast', async () => {
    const { decompositionId } = await bigDecomposition;
    const measure = async () => {
      // Its own sign-in, through the form: no state borrowed from the tests before it.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const fresh = await context.newPage();
      await signIn(fresh, platform.adminKey);
      // Signing in loaded the dashboard's shared scripts; a first visit is measured with them cold.
      await (await context.newCDPSession(fresh)).send('Network.clearBrowserCache');
      const sizes: { url: string; bytes: number }[] = [];
      fresh.on('response', async (response) => {
        if ((response.headers()['content-type'] ?? '').startsWith('text/event-stream')) return;
        const body = await response.body().catch(() => null);
        if (body) sizes.push({ url: response.url().replace(dashboard.url, ''), bytes: body.length });
      });
      await fresh.goto(`${dashboard.url}/projects/${projectId}/decompositions/${decompositionId}`);
      await fresh.waitForSelector('[data-testid=decomposition-view][data-ready=true]', { timeout: 15_000 });
      const interactiveMs = await fresh.evaluate(
        () => performance.getEntriesByName('decomposition-interactive')[0]?.startTime ?? Number.NaN,
      );
      await fresh.waitForSelector('[data-testid=overview-grid] canvas[data-drawn=true]');
      await fresh.waitForTimeout(300);
      return { context, fresh, interactiveMs, sizes };
    };
    const first = await measure();
    await shot(first.fresh, '17-decomposition-d512');
    const second = await measure();
    const largest = [...first.sizes].sort((a, b) => b.bytes - a.bytes).slice(0, 5);
    const total = first.sizes.reduce((sum, entry) => sum + entry.bytes, 0);
    console.log(
      `[web] d=512 decomposition page interactive after ${first.interactiveMs.toFixed(0)} ms (first visit), ${second.interactiveMs.toFixed(0)} ms (second); ` +
        `${first.sizes.length} responses, ${(total / 1024).toFixed(0)} KiB decoded in all; largest: ${largest.map((entry) => `${entry.url.slice(0, 90)} ${(entry.bytes / 1024).toFixed(0)} KiB`).join('; ')}`,
    );
    expect(Number.isFinite(first.interactiveMs)).toBe(true);
    expect(largest[0]?.bytes ?? 0).toBeLessThan(1024 * 1024);
    await first.context.close();
    await second.context.close();
  }, 200_000);
});
