// A language model trained on an uploaded corpus, through HTTP only (the built API and a real worker
// on real Postgres and Redis): the fixture corpus uploaded as a corpus, listed, downloaded byte for
// byte, then named `corpus:<id>` by a training request; the worker reads it from the artifact store,
// trains its tokenizer on it exactly as `bilinear tokenizer train` would, and the loss falls.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainWordPieceFromFile } from '@bilinear-lab/text';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, collectEvents, type Platform, REPO, startPlatform, waitForJob } from './harness.js';

const CORPUS = join(REPO, '..', 'shared', 'fixtures', 'lm', 'corpus.txt');
const present = existsSync(CORPUS);
if (!present)
  console.warn(`skipping: ${CORPUS} is absent (the shared fixtures are not beside the repository)`);

const TINY = {
  layers: 1,
  dModel: 16,
  heads: 2,
  dHidden: 32,
  ctx: 16,
  batchSize: 8,
  steps: 40,
  vocab: 128,
  learningRate: 0.01,
  warmupSteps: 5,
};

let platform: Platform;
let api: ReturnType<typeof client>;
let projectId: string;
/** The fixture corpus once the first test has uploaded it. */
let corpusId = '';

beforeAll(async () => {
  if (!present) return;
  platform = await startPlatform({ workers: 1 });
  api = client(platform);
  const project = await api.post('/api/v1/projects', { name: 'corpora' });
  expect(project.status).toBe(201);
  projectId = String(project.body.id);
}, 60_000);

afterAll(async () => {
  await platform?.stop();
}, 30_000);

describe.skipIf(!present)('a language model trained on an uploaded corpus', () => {
  it('uploads the fixture corpus, trains on corpus:<id>, and stores the tokenizer the CLI trains on the same file', async () => {
    const bytes = readFileSync(CORPUS);
    const form = new FormData();
    form.append('name', 'fixture stories');
    form.append('file', new Blob([bytes]), 'corpus.txt');
    const uploaded = await api.post(`/api/v1/projects/${projectId}/corpora`, form);
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    corpusId = String(uploaded.body.corpusId);
    expect(uploaded.body).toMatchObject({
      name: 'fixture stories',
      format: 'text',
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    expect(Number(uploaded.body.documents)).toBeGreaterThan(100);

    const listed = await api.get(`/api/v1/projects/${projectId}/corpora`);
    expect((listed.body as unknown as { dataset: string }[]).map((item) => item.dataset)).toEqual([
      'stories',
      `corpus:${corpusId}`,
    ]);
    const download = await api.raw(`/api/v1/corpora/${corpusId}/file`);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

    const started = performance.now();
    const train = await api.post(`/api/v1/projects/${projectId}/models/train-language-model`, {
      dataset: `corpus:${corpusId}`,
      config: TINY,
    });
    expect(train.status, JSON.stringify(train.body)).toBe(202);
    const job = await waitForJob(api, String(train.body.jobId), 240_000);
    expect(job.status, `${JSON.stringify(job)}\n${platform.logs().slice(-3000)}`).toBe('completed');
    const seconds = (performance.now() - started) / 1000;

    const model = await api.get(`/api/v1/models/${String(train.body.modelId)}`);
    expect(model.body).toMatchObject({ status: 'completed', dataset: `corpus:${corpusId}` });
    const expected = await trainWordPieceFromFile(CORPUS, { vocabSize: TINY.vocab });
    const tokenizer = (model.body.config as { tokenizer: { sha256: string; vocabSize: number } }).tokenizer;
    expect(tokenizer.sha256).toBe(createHash('sha256').update(expected.json).digest('hex'));

    const metrics = await api.get(`/api/v1/models/${String(train.body.modelId)}/metrics`);
    const steps = (metrics.body as unknown as { kind: string; step: number; loss: number }[]).filter(
      (row) => row.kind === 'step',
    );
    expect(steps.length).toBeGreaterThan(0);
    const first = steps[0]?.loss ?? 0;
    const last = steps[steps.length - 1]?.loss ?? 0;
    console.log(
      `trained on corpus:${corpusId} (${uploaded.body.documents} documents, ${bytes.length} bytes): loss ${first.toFixed(3)} → ${last.toFixed(3)} in ${steps.length} step rows, ${seconds.toFixed(1)} s from request to completion`,
    );
    expect(last).toBeLessThan(first);
  }, 300_000);

  it('trains a tokenizer on the uploaded corpus as a job (progress events), equal to the CLI trainer’s on the same file', async () => {
    expect(corpusId).not.toBe('');
    const submitted = await api.post(`/api/v1/projects/${projectId}/tokenizers/train`, {
      dataset: `corpus:${corpusId}`,
      vocab: 200,
    });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(202);
    const jobId = String(submitted.body.jobId);
    const events = await collectEvents(platform, jobId, 120_000);
    const job = await waitForJob(api, jobId);
    expect(job.status, `${JSON.stringify(job)}\n${platform.logs().slice(-3000)}`).toBe('completed');
    const progress = events.filter((event) => (event.data as { type?: string } | null)?.type === 'progress');
    expect(progress.length).toBeGreaterThan(1);

    const tokenizerId = String(submitted.body.tokenizerId);
    const tokenizer = await api.get(`/api/v1/tokenizers/${tokenizerId}`);
    expect(tokenizer.body).toMatchObject({ source: 'trained', dataset: `corpus:${corpusId}`, jobId });
    const expected = await trainWordPieceFromFile(CORPUS, { vocabSize: 200 });
    expect(tokenizer.body.vocabSize).toBe(expected.vocabulary.length);
    const file = Buffer.from(await (await api.raw(`/api/v1/tokenizers/${tokenizerId}/file`)).arrayBuffer());
    expect(file.toString('utf8')).toBe(expected.json);
    const listed = await api.get(`/api/v1/projects/${projectId}/tokenizers`);
    expect((listed.body as unknown as { tokenizerId: string }[]).map((item) => item.tokenizerId)).toContain(
      tokenizerId,
    );
  }, 300_000);

  it('trains on an uploaded tokenizer.json (config.tokenizerId): the model keeps that very file', async () => {
    const bytes = readFileSync(join(REPO, '..', 'shared', 'fixtures', 'lm', 'tokenizer.json'));
    const form = new FormData();
    form.append('file', new Blob([bytes]), 'tokenizer.json');
    const uploaded = await api.post(`/api/v1/projects/${projectId}/tokenizers`, form);
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    const train = await api.post(`/api/v1/projects/${projectId}/models/train-language-model`, {
      dataset: 'stories:200',
      config: { ...TINY, vocab: undefined, tokenizerId: uploaded.body.tokenizerId, steps: 5, warmupSteps: 1 },
    });
    expect(train.status, JSON.stringify(train.body)).toBe(202);
    const job = await waitForJob(api, String(train.body.jobId), 240_000);
    expect(job.status, `${JSON.stringify(job)}\n${platform.logs().slice(-3000)}`).toBe('completed');
    const model = await api.get(`/api/v1/models/${String(train.body.modelId)}`);
    const tokenizer = (model.body.config as { tokenizer: { sha256: string; vocabSize: number } }).tokenizer;
    expect(tokenizer).toMatchObject({
      sha256: createHash('sha256').update(bytes).digest('hex'),
      vocabSize: uploaded.body.vocabSize,
    });
  }, 300_000);
});
