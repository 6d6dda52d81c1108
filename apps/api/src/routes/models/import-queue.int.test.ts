// Model files are read by a bounded pool of threads (services/model-inspection-pool.ts): imports
// beyond its queue answer 503 with Retry-After and leave nothing behind; idle threads end.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelInspectionPool } from '../../services/model-inspection-pool.js';
import { createProject, multipartBody, startTestApp, type TestApp } from '../../testing/test-app.js';

const EXAMPLE_MODEL = new URL('../../../../../examples/mnist-d64.safetensors', import.meta.url);

let test: TestApp;
let projectId: string;

beforeAll(async () => {
  test = await startTestApp('import-queue', {
    uploadLimitMb: 1,
    tuning: {
      sseHeartbeatMs: 300,
      databaseConnections: 4,
      modelInspection: { threads: 1, queueLength: 1, idleMs: 200 },
    },
  });
  projectId = await createProject(test, test.adminKey);
});

afterAll(async () => {
  await test?.close();
});

describe('model import queue', () => {
  it('answers 503 unavailable with Retry-After past one running and one waiting import, storing nothing for them', async () => {
    const bytes = await readFile(EXAMPLE_MODEL);
    const before = { models: await test.app.db.model.count(), artifacts: await test.app.db.artifact.count() };
    // The first import starts the thread, which takes seconds to load TensorFlow.js and the digits:
    // the other three arrive while it does.
    const responses = await Promise.all(
      Array.from({ length: 4 }, (_, i) => {
        const upload = multipartBody([
          { field: 'name', value: `queued-${i}` },
          { field: 'file', fileName: 'mnist-d64.safetensors', bytes },
        ]);
        return test.call({
          method: 'POST',
          url: `/api/v1/projects/${projectId}/models/import`,
          key: test.adminKey,
          payload: upload.payload,
          headers: upload.headers,
        });
      }),
    );
    const statuses = responses.map((response) => response.statusCode).sort();
    expect(statuses).toEqual([201, 201, 503, 503]);
    for (const response of responses.filter((r) => r.statusCode === 503)) {
      expect(response.json()).toEqual({
        error: {
          code: 'unavailable',
          message: expect.stringMatching(/^2 model files are being read or waiting, .* try again in \d+ s$/),
        },
      });
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    for (const response of responses.filter((r) => r.statusCode === 201)) {
      expect(response.json().metrics.testAccuracy).toBeCloseTo(1893 / 2000, 10);
    }
    expect(await test.app.db.model.count()).toBe(before.models + 2);
    expect(await test.app.db.artifact.count()).toBe(before.artifacts + 2);
  });
});

describe('ModelInspectionPool', () => {
  it('hands the bytes back unchanged, ends a thread idle for idleMs and starts a fresh one when needed', async () => {
    const pool = new ModelInspectionPool({ threads: 2, queueLength: 4, idleMs: 100 });
    try {
      const file = new Uint8Array(await readFile(EXAMPLE_MODEL));
      const copy = new Uint8Array(file);
      const first = await pool.inspect(copy, null);
      expect(copy.byteLength).toBe(0); // transferred, not copied
      expect(Buffer.compare(first.bytes, file)).toBe(0);
      expect(first.result).toMatchObject({ ok: true, config: { hiddenDim: 64 } });
      expect(pool.threadCount).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(pool.threadCount).toBe(0);
      const again = await pool.inspect(new Uint8Array(file), false);
      expect(again.result).toMatchObject({ ok: true, config: { residual: false } });
      const bad = await pool.inspect(new Uint8Array([1, 2, 3]), null);
      expect(bad.result).toMatchObject({ ok: false, name: 'SafetensorsError' });
    } finally {
      await pool.close();
    }
    expect(pool.threadCount).toBe(0);
  });
});
