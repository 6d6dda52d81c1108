// Training requests become rows and a queued BullMQ job; imported models are parsed, stored and
// evaluated; bad input leaves nothing behind.
import { readFile } from 'node:fs/promises';
import { jobCatalog } from '@bilinear-lab/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, multipartBody, startTestApp, type TestApp } from '../../testing/test-app.js';

const EXAMPLE_MODEL = new URL('../../../../../examples/mnist-d64.safetensors', import.meta.url);

let test: TestApp;
let projectId: string;

beforeAll(async () => {
  test = await startTestApp('models', { uploadLimitMb: 1 });
  projectId = await createProject(test, test.adminKey);
});

afterAll(async () => {
  await test?.close();
});

/** The same safetensors file with `metadata` in its header (the tensors' bytes untouched). */
function withMetadata(file: Uint8Array, metadata: Record<string, string>): Uint8Array {
  const length = Number(Buffer.from(file).readBigUInt64LE(0));
  const header = JSON.parse(Buffer.from(file.subarray(8, 8 + length)).toString('utf8'));
  const text = Buffer.from(JSON.stringify({ ...header, __metadata__: metadata }), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(text.length));
  return Buffer.concat([prefix, text, file.subarray(8 + length)]);
}

async function rowCounts() {
  const db = test.app.db;
  const [models, runs, jobs, artifacts] = await Promise.all([
    db.model.count(),
    db.trainingRun.count(),
    db.job.count(),
    db.artifact.count(),
  ]);
  return { models, runs, jobs, artifacts };
}

describe('POST /projects/:id/models/train', () => {
  it('creates the model, its run and its job in one go, and queues the job (202)', async () => {
    const response = await test.call({
      method: 'POST',
      url: `/api/v1/projects/${projectId}/models/train`,
      key: test.adminKey,
      body: { dataset: 'mnist', config: { hiddenDim: 32, epochs: 2, trainSubset: 500 } },
    });
    expect(response.statusCode).toBe(202);
    const { modelId, jobId } = response.json();

    const model = await test.app.db.model.findUniqueOrThrow({
      where: { id: modelId },
      include: { trainingRun: true },
    });
    expect(model).toMatchObject({
      projectId,
      source: 'trained',
      status: 'queued',
      datasetSpec: 'mnist',
      name: 'mnist-d32',
    });
    // The full training config, defaults filled in.
    expect(model.config).toMatchObject({
      hiddenDim: 32,
      epochs: 2,
      trainSubset: 500,
      batchSize: 256,
      seed: 42,
    });
    expect(model.trainingRun).toMatchObject({ jobId, options: model.config });
    const job = await test.app.db.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({
      queue: 'train',
      status: 'queued',
      subject: `model:${modelId}`,
      maxAttempts: jobCatalog.train.attempts,
      payload: { jobId, projectId, modelId },
    });

    const queued = await test.app.queues.train.getJob(jobId);
    expect(queued?.data).toEqual({ jobId, projectId, modelId });
    expect(await queued?.getState()).toBe('waiting');

    const view = await test.call({ url: `/api/v1/models/${modelId}`, key: test.adminKey });
    expect(view.json()).toMatchObject({
      id: modelId,
      status: 'queued',
      jobId,
      hasCheckpoint: false,
      metrics: null,
    });
    const checkpoint = await test.call({ url: `/api/v1/models/${modelId}/checkpoint`, key: test.adminKey });
    expect(checkpoint.statusCode).toBe(409);
    expect(checkpoint.json().error.message).toContain('queued');
  });

  it('refuses an invalid config naming the field, and creates nothing (400)', async () => {
    const before = await rowCounts();
    const cases = [
      { body: { config: { hiddenDim: 0 } }, field: 'body.config.hiddenDim' },
      { body: { config: { epochs: 'many' } }, field: 'body.config.epochs' },
      { body: { config: { learningRate: 1e-3, optimiser: 'sgd' } }, field: 'body.config' },
      { body: { dataset: 'cifar' }, field: 'body.dataset' },
      { body: { config: { trainSubset: 9000 } }, field: 'body.config.trainSubset' },
      { body: { dataset: '00000000-0000-4000-8000-000000000000' }, field: 'body.dataset' },
    ];
    for (const { body, field } of cases) {
      const response = await test.call({
        method: 'POST',
        url: `/api/v1/projects/${projectId}/models/train`,
        key: test.adminKey,
        body,
      });
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error.message).toContain(field);
    }
    expect(await rowCounts()).toEqual(before);
    expect(await test.app.queues.train.count()).toBe(1);
  });

  it('refuses a warm-up as long as the run, in optimiser steps of the dataset, and creates nothing (400)', async () => {
    const before = await rowCounts();
    const cases = [
      // 1,000 digits in batches of 500 for 2 epochs: 4 optimiser steps.
      {
        config: { epochs: 2, batchSize: 500, trainSubset: 1000, warmupSteps: 4 },
        message:
          'body.config.warmupSteps: 4 is not fewer than the 4 optimiser steps of the run (2 epochs × 2 steps: ' +
          '1000 training samples in batches of 500); the warm-up counts optimiser steps and must end before the run does',
      },
      // The defaults on the 8,000 bundled digits: batches of 256, 31 whole ones an epoch, 20 epochs.
      {
        config: { warmupSteps: 5000 },
        message:
          'body.config.warmupSteps: 5000 is not fewer than the 620 optimiser steps of the run (20 epochs × 31 steps: ' +
          '7936 of the 8000 training samples in whole batches of 256); the warm-up counts optimiser steps and must end before the run does',
      },
    ];
    for (const { config, message } of cases) {
      const response = await test.call({
        method: 'POST',
        url: `/api/v1/projects/${projectId}/models/train`,
        key: test.adminKey,
        body: { dataset: 'mnist', config },
      });
      expect(response.statusCode, JSON.stringify(config)).toBe(400);
      expect(response.json().error).toMatchObject({
        code: 'invalid-request',
        message,
        details: { issues: [{ path: 'body.config.warmupSteps', code: 'invalid_schedule' }] },
      });
    }
    expect(await rowCounts()).toEqual(before);
    expect(await test.app.queues.train.count()).toBe(1);
  });
});

describe('POST /projects/:id/models/import', () => {
  it('imports the example model, evaluates it on the bundled MNIST test split and serves its file', async () => {
    const bytes = await readFile(EXAMPLE_MODEL);
    const upload = multipartBody([{ field: 'file', fileName: 'mnist-d64.safetensors', bytes }]);
    const response = await test.call({
      method: 'POST',
      url: `/api/v1/projects/${projectId}/models/import`,
      key: test.adminKey,
      payload: upload.payload,
      headers: upload.headers,
    });
    expect(response.statusCode, response.body).toBe(201);
    const { modelId, config, metrics } = response.json();
    expect(config).toMatchObject({ kind: 'image-classifier', inputDim: 784, hiddenDim: 64, outputDim: 10 });
    // The PyTorch reference: 1893 of the 2000 test digits.
    expect(metrics.testAccuracy).toBeCloseTo(1893 / 2000, 10);

    const view = await test.call({ url: `/api/v1/models/${modelId}`, key: test.adminKey });
    expect(view.json()).toMatchObject({
      name: 'mnist-d64',
      source: 'imported',
      status: 'completed',
      hasCheckpoint: true,
    });
    expect(view.json().metrics.testAccuracy).toBeCloseTo(0.9465, 10);
    const series = await test.call({ url: `/api/v1/models/${modelId}/metrics`, key: test.adminKey });
    expect(series.json()).toEqual([]);

    const download = await test.call({ url: `/api/v1/models/${modelId}/checkpoint`, key: test.adminKey });
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-disposition']).toContain('mnist-d64.safetensors');
    expect(Buffer.compare(download.rawPayload, bytes)).toBe(0);

    const listed = await test.call({ url: `/api/v1/projects/${projectId}/models`, key: test.adminKey });
    expect(listed.json().map((model: { id: string }) => model.id)).toContain(modelId);
  });

  it('refuses a residual field that contradicts the config in the file’s metadata, storing nothing (400)', async () => {
    const before = await rowCounts();
    const config = await readFile(
      new URL('../../../../../examples/mnist-d64.safetensors.config.json', import.meta.url),
      'utf8',
    );
    const bytes = withMetadata(await readFile(EXAMPLE_MODEL), { bilinear_lab_config: config });
    const send = (residual: string) => {
      const upload = multipartBody([
        { field: 'residual', value: residual },
        { field: 'file', fileName: 'says-not-residual.safetensors', bytes },
      ]);
      return test.call({
        method: 'POST',
        url: `/api/v1/projects/${projectId}/models/import`,
        key: test.adminKey,
        payload: upload.payload,
        headers: upload.headers,
      });
    };
    const contradicted = await send('true');
    expect(contradicted.statusCode, contradicted.body).toBe(400);
    expect(contradicted.json().error.message).toContain('says residual = false in its config');
    expect(await rowCounts()).toEqual(before);
    // Agreeing with the file is fine, and the file's model scores as PyTorch's did.
    const agreed = await send('false');
    expect(agreed.statusCode, agreed.body).toBe(201);
    expect(agreed.json().config.residual).toBe(false);
    expect(agreed.json().metrics.testAccuracy).toBeCloseTo(1893 / 2000, 10);
  });

  it('refuses a malformed safetensors file with the parser’s message, leaving no rows or artifacts', async () => {
    const before = await rowCounts();
    const valid = await readFile(EXAMPLE_MODEL);
    const cases = [
      { bytes: new Uint8Array([1, 2, 3]), fileName: 'tiny.safetensors' },
      { bytes: valid.subarray(0, valid.length - 100), fileName: 'truncated.safetensors' },
      // Well-formed safetensors that fit no model layout (found by bench/reliability.mjs: they were a 500).
      { bytes: new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d]), fileName: 'no-tensors.safetensors' },
      { bytes: renamedTensor(valid, 'blocks.0.weight', 'bloc;s.0.weight'), fileName: 'renamed.safetensors' },
    ];
    for (const { bytes, fileName } of cases) {
      const upload = multipartBody([{ field: 'file', fileName, bytes }]);
      const response = await test.call({
        method: 'POST',
        url: `/api/v1/projects/${projectId}/models/import`,
        key: test.adminKey,
        payload: upload.payload,
        headers: upload.headers,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('invalid-model-file');
      expect(response.json().error.message).toContain(fileName);
    }
    const missing = multipartBody([{ field: 'name', value: 'nothing' }]);
    const noFile = await test.call({
      method: 'POST',
      url: `/api/v1/projects/${projectId}/models/import`,
      key: test.adminKey,
      payload: missing.payload,
      headers: missing.headers,
    });
    expect(noFile.statusCode).toBe(400);
    expect(noFile.json().error.message).toContain('"file"');
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses a file over the upload limit (413) and a body that is not multipart (415)', async () => {
    const before = await rowCounts();
    // A classifier whose header states 2 MB: refused from its header, before the rest is stored.
    const header = Buffer.from(
      JSON.stringify({
        'embed.weight': { dtype: 'F32', shape: [350, 784], data_offsets: [0, 1_097_600] },
        'blocks.0.weight': { dtype: 'F32', shape: [700, 350], data_offsets: [1_097_600, 2_077_600] },
        'head.weight': { dtype: 'F32', shape: [10, 350], data_offsets: [2_077_600, 2_091_600] },
      }),
    );
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(header.length));
    const upload = multipartBody([
      {
        field: 'file',
        fileName: 'big.safetensors',
        bytes: Buffer.concat([prefix, header, Buffer.alloc(2_091_600)]),
      },
    ]);
    const response = await test.call({
      method: 'POST',
      url: `/api/v1/projects/${projectId}/models/import`,
      key: test.adminKey,
      payload: upload.payload,
      headers: upload.headers,
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.message).toContain('1 MB');
    const json = await test.call({
      method: 'POST',
      url: `/api/v1/projects/${projectId}/models/import`,
      key: test.adminKey,
      body: { file: 'x' },
    });
    expect(json.statusCode).toBe(415);
    expect(json.json().error.message).toContain('multipart/form-data');
    expect(await rowCounts()).toEqual(before);
  });
});

/** The file with one tensor's name changed in its header (same length, so the offsets still hold). */
function renamedTensor(file: Uint8Array, from: string, to: string): Uint8Array {
  const copy = Uint8Array.from(file);
  const headerLength = Number(new DataView(copy.buffer).getBigUint64(0, true));
  const header = new TextDecoder().decode(copy.subarray(8, 8 + headerLength));
  if (!header.includes(`"${from}"`) || from.length !== to.length)
    throw new Error(`no tensor ${from} to rename`);
  copy.set(new TextEncoder().encode(header.replace(`"${from}"`, `"${to}"`)), 8);
  return copy;
}
