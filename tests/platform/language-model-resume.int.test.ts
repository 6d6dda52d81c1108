// A worker SIGKILLed while it decomposes every token of a language model: another worker takes the
// job over, decomposes only what was not stored yet, and the decomposition ends with every token
// exactly once. Real processes, a real signal, real Postgres and Redis.
import { randomLanguageModelFolder } from '@bilinear-lab/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { client, collectEvents, type Platform, startPlatform, waitForJob } from './harness.js';

const VOCAB = 2048;

let platform: Platform;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  platform = await startPlatform({ workers: 0 });
  api = client(platform);
}, 60_000);

afterAll(async () => {
  await platform?.stop();
}, 30_000);

/** Outputs stored so far: the page total of GET /decompositions/{id}. */
async function storedOutputs(decompositionId: string): Promise<number> {
  const { body } = await api.get(`/api/v1/decompositions/${decompositionId}?limit=1`);
  return (body.page as { total: number } | undefined)?.total ?? 0;
}

it('resumes all tokens after a worker is killed mid-way, with no output missing or repeated', async () => {
  const project = await api.post('/api/v1/projects', { name: 'resume' });
  const lm = randomLanguageModelFolder({ vocab: VOCAB, d: 96, hidden: 192, layers: 1 });
  const form = new FormData();
  form.append('file', new Blob([lm.weights]), 'model.safetensors');
  form.append('config', new Blob([JSON.stringify(lm.config)]), 'config.json');
  const imported = await api.post(`/api/v1/projects/${project.body.id}/models/import`, form);
  expect(imported.status, JSON.stringify(imported.body)).toBe(201);

  const first = platform.startWorker();
  const queued = await api.post(`/api/v1/models/${imported.body.modelId}/decompositions`, {
    topK: 4,
    allTokens: true,
  });
  expect(queued.status).toBe(202);
  const decompositionId = String(queued.body.decompositionId);
  const jobId = String(queued.body.jobId);

  // Kill once a few parts are stored and most are not.
  const deadline = Date.now() + 120_000;
  let before = await storedOutputs(decompositionId);
  while (before < 256) {
    if (Date.now() > deadline) throw new Error(`nothing stored in 120 s:\n${platform.logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    before = await storedOutputs(decompositionId);
  }
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  const atKill = await storedOutputs(decompositionId);
  expect(atKill).toBeLessThan(VOCAB);

  platform.startWorker();
  const job = await waitForJob(api, jobId, 240_000);
  expect(job.status, platform.logs()).toBe('completed');

  const seen: number[] = [];
  for (let offset = 0; offset < VOCAB; offset += 512) {
    const page = await api.get(`/api/v1/decompositions/${decompositionId}?offset=${offset}&limit=512`);
    expect(page.body.page).toMatchObject({ total: VOCAB });
    seen.push(...(page.body.outputs as { index: number }[]).map((output) => output.index));
  }
  expect(seen).toEqual(Array.from({ length: VOCAB }, (_, token) => token));

  // The second attempt started from what the first had stored, not from scratch.
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
    `[resume] killed the worker with ${before}–${atKill} of ${VOCAB} outputs stored; the next attempt began from ${resumed?.[1]}`,
  );
}, 400_000);
