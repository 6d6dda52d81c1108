// An activations job whose worker is SIGKILLed mid-way: the next attempt (another worker) keeps the
// outputs already stored, reads the rest, and the run ends with every output of the decomposition
// stored exactly once. lm_dev (the PyTorch fixture) with every token of layer 1 decomposed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, collectEvents, type Platform, REPO, startPlatform, waitForJob } from './harness.js';

const LM = join(REPO, '..', 'shared', 'fixtures', 'lm');
const present = existsSync(join(LM, 'lm_dev', 'model.safetensors'));
const VOCAB = 768;

describe.skipIf(!present)(
  'an activations job resumed (skipped: ../shared/fixtures/lm is absent here)',
  () => {
    let platform: Platform;
    let api: ReturnType<typeof client>;

    beforeAll(async () => {
      platform = await startPlatform({ workers: 0 });
      api = client(platform);
    }, 60_000);

    afterAll(async () => {
      await platform?.stop();
    }, 30_000);

    it('keeps what a killed worker stored and stores every other output once', async () => {
      const project = await api.post('/api/v1/projects', { name: 'activations resume' });
      const form = new FormData();
      form.append(
        'file',
        new Blob([readFileSync(join(LM, 'lm_dev', 'model.safetensors'))]),
        'model.safetensors',
      );
      form.append('config', new Blob([readFileSync(join(LM, 'lm_dev', 'config.json'))]), 'config.json');
      form.append('tokenizer', new Blob([readFileSync(join(LM, 'tokenizer.json'))]), 'tokenizer.json');
      const imported = await api.post(`/api/v1/projects/${project.body.id}/models/import`, form);
      expect(imported.status, JSON.stringify(imported.body)).toBe(201);

      const first = platform.startWorker();
      const decomposed = await api.post(`/api/v1/models/${imported.body.modelId}/decompositions`, {
        topK: 4,
        layer: 1,
        allTokens: true,
      });
      expect(decomposed.status).toBe(202);
      const decompositionId = String(decomposed.body.decompositionId);
      expect((await waitForJob(api, String(decomposed.body.jobId), 240_000)).status).toBe('completed');

      const queued = await api.post(`/api/v1/decompositions/${decompositionId}/activations`, {
        dataset: 'stories:100',
        maxTokens: 4000,
        top: 10,
      });
      expect(queued.status, JSON.stringify(queued.body)).toBe(202);
      const jobId = String(queued.body.jobId);
      const stored = async () =>
        (
          (await api.get(`/api/v1/decompositions/${decompositionId}/activations`)).body as unknown as {
            stored: number;
          }[]
        )[0]?.stored ?? 0;
      const deadline = Date.now() + 120_000;
      while ((await stored()) < 64) {
        if (Date.now() > deadline) throw new Error(`nothing stored in 120 s:\n${platform.logs()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));
      const atKill = await stored();
      expect(atKill).toBeLessThan(VOCAB);

      platform.startWorker();
      const job = await waitForJob(api, jobId, 240_000);
      expect(job.status, platform.logs()).toBe('completed');
      expect(job.attempts as number).toBeGreaterThanOrEqual(2);

      const seen: number[] = [];
      for (let offset = 0; offset < VOCAB; offset += 32) {
        const page = await api.get(
          `/api/v1/decompositions/${decompositionId}/activations/${queued.body.activationsId}?offset=${offset}&limit=32`,
        );
        expect(page.body.page).toMatchObject({ total: VOCAB });
        seen.push(...(page.body.outputs as { index: number }[]).map((output) => output.index));
      }
      expect(seen).toEqual(Array.from({ length: VOCAB }, (_, token) => token));

      const events = await collectEvents(platform, jobId);
      const resumed = events
        .map((event) => (event.data as { message?: string }).message ?? '')
        .map((message) =>
          new RegExp(`^(\\d+) of ${VOCAB} outputs already stored by an earlier attempt$`).exec(message),
        )
        .find((match) => match !== null);
      expect(resumed, JSON.stringify(events.slice(-5))).toBeDefined();
      expect(Number(resumed?.[1])).toBeGreaterThanOrEqual(atKill);
      console.log(
        `[activations resume] killed the worker with ${atKill} of ${VOCAB} outputs stored; the next attempt began from ${resumed?.[1]}`,
      );
    }, 400_000);
  },
);
