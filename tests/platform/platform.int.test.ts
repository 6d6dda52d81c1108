// The platform end to end, through HTTP only, with the built API and a real worker process on real
// Postgres and Redis: train → watch live → decompose (deduplicated) → spectra equal the core's own
// decomposition of the stored checkpoint; import the PyTorch fixture → its reference eigenvalues.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decomposeFile, parseSafetensors } from '@bilinear-lab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, collectEvents, type Platform, REPO, startPlatform, waitForJob } from './harness.js';

const FIXTURE = join(REPO, '..', 'shared', 'fixtures', 'torch_mnist_d64.safetensors');
const REFERENCE = join(REPO, '..', 'shared', 'fixtures', 'torch_mnist_d64.reference.json');
const EXAMPLE = join(REPO, 'examples', 'mnist-d64.safetensors');

let platform: Platform;
let api: ReturnType<typeof client>;
let projectId: string;

beforeAll(async () => {
  platform = await startPlatform();
  api = client(platform);
  const created = await api.post('/api/v1/projects', { name: 'end to end' });
  expect(created.status).toBe(201);
  projectId = String(created.body.id);
}, 60_000);

afterAll(async () => {
  await platform?.stop();
}, 30_000);

describe('the platform through HTTP', () => {
  let modelId: string;

  it('trains on the bundled MNIST and streams progress and metrics live', async () => {
    const queued = await api.post(`/api/v1/projects/${projectId}/models/train`, {
      dataset: 'mnist',
      name: 'small',
      config: { hiddenDim: 32, epochs: 3, batchSize: 500, trainSubset: 2000, learningRate: 0.01, seed: 1 },
    });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    modelId = String(queued.body.modelId);
    const jobId = String(queued.body.jobId);

    const events = await collectEvents(platform, jobId);
    const types = events.map((event) => (event.data as { type: string }).type);
    expect(types).toContain('metrics');
    expect(types).toContain('progress');
    const last = events.at(-1)?.data as { type: string; status: string };
    expect(last, platform.logs()).toMatchObject({ type: 'state', status: 'completed' });
    // Stream ids increase: a reconnecting client resumes after the last one it saw.
    const ids = events.map((event) => event.id).filter((id): id is string => Boolean(id));
    expect(ids.length).toBeGreaterThan(3);

    const model = await api.get(`/api/v1/models/${modelId}`);
    expect(model.body).toMatchObject({ status: 'completed', source: 'trained' });
    const metrics = model.body.metrics as { testAccuracy: number };
    expect(metrics.testAccuracy).toBeGreaterThan(0.5);
    const series = await api.get(`/api/v1/models/${modelId}/metrics`);
    expect(series.status).toBe(200);
  }, 180_000);

  it('decomposes it once for identical requests, and the spectra are the core’s own', async () => {
    const request = { topK: 4, truncationK: [1, 4, 16], hosvd: false };
    const first = await api.post(`/api/v1/models/${modelId}/decompositions`, request);
    const again = await api.post(`/api/v1/models/${modelId}/decompositions`, {
      hosvd: false,
      truncationK: [16, 4, 1],
      topK: 4,
    });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      decompositionId: first.body.decompositionId,
      jobId: first.body.jobId,
      deduplicated: true,
    });
    expect(first.body.deduplicated).toBe(false);
    const job = await waitForJob(api, String(first.body.jobId));
    expect(job.status, platform.logs()).toBe('completed');

    const jobs = await api.get(`/api/v1/projects/${projectId}/jobs`);
    const list = (Array.isArray(jobs.body) ? jobs.body : (jobs.body.jobs as unknown[])) as {
      queue: string;
    }[];
    expect(list.filter((entry) => entry.queue === 'decompose')).toHaveLength(1);

    const stored = await api.get(`/api/v1/decompositions/${String(first.body.decompositionId)}`);
    expect(stored.body.status).toBe('completed');
    const outputs = stored.body.outputs as { index: number; eigenvalues: number[] }[];
    expect(outputs).toHaveLength(10);

    // Independent check: download the checkpoint and decompose it here with the core.
    const checkpoint = await api.raw(`/api/v1/models/${modelId}/checkpoint`);
    expect(checkpoint.status).toBe(200);
    const bytes = new Uint8Array(await checkpoint.arrayBuffer());
    const expected = decomposeFile(parseSafetensors(bytes), {}, { topK: 4 });
    for (const output of outputs) {
      // The API and the core both list spectra most positive first.
      const reference = expected.outputs[output.index]?.eigenvalues;
      expect(reference).toBeDefined();
      const scale = Math.max(...Array.from(reference ?? [], Math.abs));
      output.eigenvalues.forEach((value, i) => {
        expect(Math.abs(value - (reference?.[i] ?? Number.NaN))).toBeLessThan(1e-10 * scale);
      });
    }
  }, 180_000);

  it('imports the PyTorch fixture and reproduces its reference eigenvalues and accuracy', async () => {
    const source = existsSync(FIXTURE) ? FIXTURE : EXAMPLE;
    const form = new FormData();
    form.append('name', 'torch fixture');
    form.append('file', new Blob([readFileSync(source)]), 'torch_mnist_d64.safetensors');
    const imported = await api.post(`/api/v1/projects/${projectId}/models/import`, form);
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    const modelId = String(imported.body.modelId);
    const model = await api.get(`/api/v1/models/${modelId}`);
    expect((model.body.metrics as { testAccuracy: number }).testAccuracy).toBeCloseTo(0.9465, 6);

    const queued = await api.post(`/api/v1/models/${modelId}/decompositions`, { topK: 8 });
    expect(queued.status).toBe(202);
    expect((await waitForJob(api, String(queued.body.jobId))).status, platform.logs()).toBe('completed');
    const decompositionId = String(queued.body.decompositionId);
    const stored = await api.get(`/api/v1/decompositions/${decompositionId}`);
    const outputs = stored.body.outputs as { index: number; eigenvalues: number[] }[];

    if (existsSync(REFERENCE)) {
      const reference = JSON.parse(readFileSync(REFERENCE, 'utf8')) as {
        eigenvalues_desc_top8: number[][];
        eigenvalues_asc_bottom8: number[][];
      };
      for (const output of outputs) {
        const descending = output.eigenvalues;
        const top = descending.slice(0, 8);
        const bottom = descending.slice(-8).reverse();
        reference.eigenvalues_desc_top8[output.index]?.forEach((value, i) => {
          expect(Math.abs((top[i] ?? 0) - value)).toBeLessThan(1e-5 * Math.abs(value));
        });
        reference.eigenvalues_asc_bottom8[output.index]?.forEach((value, i) => {
          expect(Math.abs((bottom[i] ?? 0) - value)).toBeLessThan(1e-5 * Math.abs(value));
        });
      }
    }

    // Eigenvectors as a .npy file that numpy loads: 8 positive + 8 negative rows of 784 pixels.
    const npy = await api.raw(
      `/api/v1/decompositions/${decompositionId}/outputs/0/eigenvectors?space=input&k=8&format=npy`,
    );
    expect(npy.status).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), 'npy-'));
    try {
      const file = join(dir, 'vectors.npy');
      writeFileSync(file, new Uint8Array(await npy.arrayBuffer()));
      const shape = execFileSync(
        'python3',
        ['-c', 'import numpy,sys; a=numpy.load(sys.argv[1]); print(a.shape, a.dtype)', file],
        {
          encoding: 'utf8',
        },
      ).trim();
      expect(shape).toBe('(16, 784) float32');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
