// Decomposition requests deduplicate to one decomposition and one BullMQ job; stored results are
// served as spectra and as eigenvectors in json, f32 and npy, from rows written here with known values.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeEigenvectorBlock } from '@bilinear-lab/contracts';
import { float32Column, float64Column } from '@bilinear-lab/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, createProject, startTestApp, type TestApp } from '../../testing/test-app.js';

let test: TestApp;
let projectId: string;
let modelId: string;

beforeAll(async () => {
  test = await startTestApp('decompositions');
  projectId = await createProject(test, test.adminKey);
  modelId = await completedModel(projectId);
});

afterAll(async () => {
  await test?.close();
});

async function completedModel(project: string): Promise<string> {
  const model = await test.app.db.model.create({
    data: {
      projectId: project,
      name: 'small',
      source: 'imported',
      status: 'completed',
      config: { kind: 'image-classifier', inputDim: 6, hiddenDim: 4, layers: 1, outputDim: 3 },
    },
  });
  return model.id;
}

function decompose(model: string, body: unknown, key = test.adminKey) {
  return test.call({ method: 'POST', url: `/api/v1/models/${model}/decompositions`, key, body });
}

describe('POST /models/:id/decompositions', () => {
  it('deduplicates identical requests, whatever their key order, to one decomposition and one job', async () => {
    const first = await decompose(modelId, { topK: 2, truncationK: [4, 1], hosvd: false });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ status: 'queued', deduplicated: false });
    const again = await decompose(modelId, { hosvd: false, truncationK: [1, 4, 4], topK: 2 });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({
      decompositionId: first.json().decompositionId,
      jobId: first.json().jobId,
      deduplicated: true,
    });
    const concurrent = await Promise.all([1, 2, 3].map(() => decompose(modelId, { topK: 3 })));
    const ids = new Set(concurrent.map((response) => response.json().decompositionId));
    expect(ids.size).toBe(1);
    expect(concurrent.map((response) => response.statusCode).sort()).toEqual([200, 200, 202]);

    expect(await test.app.db.decomposition.count({ where: { modelId } })).toBe(2);
    expect(await test.app.queues.decompose.count()).toBe(2);
    const row = await test.app.db.decomposition.findUniqueOrThrow({
      where: { id: first.json().decompositionId },
    });
    expect(row.parameters).toEqual({ topK: 2, truncationK: [1, 4], hosvd: false, adversarial: false });
    const job = await test.app.queues.decompose.getJob(first.json().jobId);
    expect(job?.data).toEqual({
      jobId: first.json().jobId,
      projectId,
      decompositionId: first.json().decompositionId,
    });
  });

  it('keeps requests with and without adversarial masks apart, each deduplicating to itself', async () => {
    const plain = await decompose(modelId, { topK: 2, truncationK: [2] });
    const explicit = await decompose(modelId, { topK: 2, truncationK: [2], adversarial: false });
    const masks = await decompose(modelId, { adversarial: true, truncationK: [2], topK: 2 });
    const masksAgain = await decompose(modelId, { topK: 2, truncationK: [2, 2], adversarial: true });
    expect([plain, explicit, masks, masksAgain].map((response) => response.statusCode)).toEqual([
      202, 200, 202, 200,
    ]);
    expect(explicit.json().decompositionId).toBe(plain.json().decompositionId);
    expect(masksAgain.json().decompositionId).toBe(masks.json().decompositionId);
    expect(masks.json().decompositionId).not.toBe(plain.json().decompositionId);
    expect(masks.json().jobId).not.toBe(plain.json().jobId);
    const [plainRow, masksRow] = await Promise.all(
      [plain, masks].map((response) =>
        test.app.db.decomposition.findUniqueOrThrow({ where: { id: response.json().decompositionId } }),
      ),
    );
    // The worker reads the flag from the stored parameters; a request without it keeps its old key.
    expect(plainRow?.parameters).toMatchObject({ adversarial: false });
    expect(masksRow?.parameters).toMatchObject({ adversarial: true });
    expect(plainRow?.parametersKey).toBe(
      JSON.stringify({ topK: 2, truncationK: [2], hosvd: false, outputs: null }),
    );
    expect(masksRow?.parametersKey).not.toBe(plainRow?.parametersKey);
  });

  it('re-queues a failed decomposition when it is requested again (202)', async () => {
    const first = await decompose(modelId, { topK: 1 });
    const { decompositionId, jobId } = first.json();
    await test.app.db.job.update({ where: { id: jobId }, data: { status: 'failed', error: 'boom' } });
    await test.app.db.decomposition.update({
      where: { id: decompositionId },
      data: { status: 'failed', error: 'boom' },
    });
    const again = await decompose(modelId, { topK: 1 });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ decompositionId, jobId, status: 'queued', deduplicated: true });
    expect(await test.app.db.job.findUniqueOrThrow({ where: { id: jobId } })).toMatchObject({
      status: 'queued',
      error: null,
    });
    expect(
      await test.app.db.decomposition.findUniqueOrThrow({ where: { id: decompositionId } }),
    ).toMatchObject({
      status: 'queued',
      error: null,
    });
    expect(await (await test.app.queues.decompose.getJob(jobId))?.getState()).toBe('waiting');
  });

  it('refuses requests that do not fit the model or that it is not ready for', async () => {
    // topK beyond the model's width d = 4 keeps all 4: the same decomposition as topK 4.
    const wide = await decompose(modelId, { topK: 9, hosvd: true });
    const narrow = await decompose(modelId, { topK: 4, hosvd: true });
    expect(narrow.json().decompositionId).toBe(wide.json().decompositionId);
    const outside = await decompose(modelId, { outputs: [0, 3] });
    expect(outside.statusCode).toBe(400);
    expect(outside.json().error.message).toContain('body.outputs: 3');
    const unknownField = await decompose(modelId, { topk: 2 });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json().error.details.issues[0].path).toBe('body');
    const queued = await test.app.db.model.create({
      data: { projectId, name: 'q', source: 'trained', status: 'queued', config: { hiddenDim: 4 } },
    });
    const gated = await test.app.db.model.create({
      data: {
        projectId,
        name: 'gated',
        source: 'imported',
        status: 'completed',
        config: {
          kind: 'image-classifier',
          inputDim: 6,
          hiddenDim: 4,
          layers: 1,
          outputDim: 3,
          gate: 'silu',
        },
      },
    });
    const refused = await decompose(gated.id, {});
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error).toMatchObject({
      code: 'not-bilinear',
      message: `model ${gated.id} cannot be decomposed: gate silu: the block is not bilinear, its outputs are not quadratic forms of its input`,
    });
    expect(await test.app.db.decomposition.count({ where: { modelId: gated.id } })).toBe(0);
    const notReady = await decompose(queued.id, {});
    expect(notReady.statusCode).toBe(409);
    expect(notReady.json().error.message).toContain('queued');
  });
});

describe('stored results', () => {
  const dimension = 6;
  // Rows: 3 positive (descending), then 2 negative (ascending).
  const rowEigenvalues = [0.9, 0.5, 0.25, -0.75, -0.125];
  const vectors = Float32Array.from({ length: 5 * dimension }, (_, i) => (i + 1) / 8 - (i % 3) * 0.1);
  // Stored and served most positive first.
  const spectrum = [0.9, 0.5, 0.25, 0.0, -0.125, -0.75];
  // Output 1 is residual: its linear term a in model space (d = 6 here).
  const linearModel = [0.5, -1.25, 2, 0, 1e-3, -7];
  let decompositionId: string;
  let viewerKey: string;
  let outsiderKey: string;

  beforeAll(async () => {
    const decomposition = await test.app.db.decomposition.create({
      data: {
        projectId,
        modelId,
        parameters: { topK: 3, truncationK: [1, 2], hosvd: false },
        parametersKey: 'stored-results',
        status: 'completed',
        completedAt: new Date(),
        jobId: randomUUID(),
      },
    });
    decompositionId = decomposition.id;
    for (const outputIndex of [0, 1]) {
      await test.app.db.spectrum.create({
        data: {
          decompositionId,
          outputIndex,
          label: String(outputIndex),
          dimension,
          eigenvalues: float64Column(spectrum.map((value) => value * (outputIndex + 1))),
          effectiveRank: 2.5,
          exactness: 1e-7,
        },
      });
    }
    await test.app.db.eigenvectors.create({
      data: {
        decompositionId,
        outputIndex: 1,
        space: 'input',
        positiveCount: 3,
        negativeCount: 2,
        dimension,
        eigenvalues: float64Column(rowEigenvalues),
        vectors: float32Column(vectors),
      },
    });
    await test.app.db.eigenvectors.create({
      data: {
        decompositionId,
        outputIndex: 1,
        space: 'model',
        positiveCount: 3,
        negativeCount: 2,
        dimension,
        eigenvalues: float64Column(rowEigenvalues),
        vectors: float32Column(vectors),
        linearTerm: float64Column(linearModel),
      },
    });
    await test.app.db.analysis.create({
      data: {
        decompositionId,
        kind: 'truncation',
        result: { k: [1, 2], accuracy: [0.5, 0.75], fullAccuracy: 0.8 },
      },
    });
    viewerKey = await addUser(test, test.adminKey, projectId, 'viewer', 'viewer');
    const otherProject = await createProject(test, test.adminKey, 'other');
    outsiderKey = await addUser(test, test.adminKey, otherProject, 'outsider', 'owner');
  });

  const rowOf = (row: number) => Array.from(vectors.subarray(row * dimension, (row + 1) * dimension));

  it('serves the spectra and analyses from the rows, with an ETag (304 when unchanged)', async () => {
    const response = await test.call({ url: `/api/v1/decompositions/${decompositionId}`, key: viewerKey });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ id: decompositionId, status: 'completed', modelId });
    expect(body.outputs).toEqual([
      {
        index: 0,
        label: '0',
        eigenvalues: spectrum,
        effectiveRank: 2.5,
        exactness: 1e-7,
        linear_model: null,
      },
      {
        index: 1,
        label: '1',
        eigenvalues: spectrum.map((value) => value * 2),
        effectiveRank: 2.5,
        exactness: 1e-7,
        linear_model: linearModel,
      },
    ]);
    expect(body.analyses.truncation).toEqual({ k: [1, 2], accuracy: [0.5, 0.75], fullAccuracy: 0.8 });

    const etag = response.headers.etag as string;
    expect(etag).toMatch(/^".+"$/);
    const cached = await test.call({
      url: `/api/v1/decompositions/${decompositionId}`,
      key: viewerKey,
      headers: { 'if-none-match': etag },
    });
    expect(cached.statusCode).toBe(304);
    expect(cached.body).toBe('');
    // A cached body is still closed to other projects.
    const outsider = await test.call({ url: `/api/v1/decompositions/${decompositionId}`, key: outsiderKey });
    expect(outsider.statusCode).toBe(404);
    expect(outsider.body).not.toContain('0.9');

    const lists = [
      `/api/v1/projects/${projectId}/decompositions?status=completed`,
      `/api/v1/models/${modelId}/decompositions`,
    ];
    for (const url of lists) {
      const listed = await test.call({ url, key: viewerKey });
      expect(listed.json().map((item: { id: string }) => item.id)).toContain(decompositionId);
    }
  });

  it('serves eigenvectors as json: top-k positive then top-k negative', async () => {
    const url = `/api/v1/decompositions/${decompositionId}/outputs/1/eigenvectors?space=input&k=2`;
    const response = await test.call({ url, key: viewerKey });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      outputIndex: 1,
      space: 'input',
      dimension,
      eigenvalues: [0.9, 0.5, -0.75, -0.125],
      positiveCount: 2,
      negativeCount: 2,
    });
    const expected = [rowOf(0), rowOf(1), rowOf(3), rowOf(4)];
    expect(body.vectors).toHaveLength(4);
    body.vectors.forEach((row: number[], r: number) => {
      // float32 values written with the fewest digits that read back as the same float32.
      expect(Float32Array.from(row)).toEqual(Float32Array.from(expected[r] ?? []));
    });
    const negative = await test.call({ url: `${url}&sign=negative`, key: viewerKey });
    expect(negative.json()).toMatchObject({
      eigenvalues: [-0.75, -0.125],
      positiveCount: 0,
      negativeCount: 2,
    });
    const all = await test.call({
      url: `/api/v1/decompositions/${decompositionId}/outputs/1/eigenvectors?sign=positive`,
      key: viewerKey,
    });
    expect(all.json()).toMatchObject({ eigenvalues: [0.9, 0.5, 0.25], positiveCount: 3, negativeCount: 0 });
    // Without k: every stored row of each sign (3 positive, 2 negative).
    const stored = await test.call({
      url: `/api/v1/decompositions/${decompositionId}/outputs/1/eigenvectors`,
      key: viewerKey,
    });
    expect(stored.json()).toMatchObject({ positiveCount: 3, negativeCount: 2 });
    expect(stored.json().vectors).toHaveLength(5);
  });

  it('serves eigenvectors as raw float32 with shape headers', async () => {
    const response = await test.call({
      url: `/api/v1/decompositions/${decompositionId}/outputs/1/eigenvectors?space=input&k=1&format=f32`,
      key: viewerKey,
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-shape']).toBe(`2,${dimension}`);
    expect(response.headers['x-dtype']).toBe('float32');
    expect(response.headers['x-eigenvalues']).toBe('0.9,-0.75');
    expect(response.headers['x-positive-count']).toBe('1');
    expect(response.headers['x-negative-count']).toBe('1');
    const payload = response.rawPayload;
    const values = new Float32Array(
      payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.byteLength),
    );
    expect(Array.from(values)).toEqual([...rowOf(0), ...rowOf(3)]);
  });

  it('sends the returned split in the f32 headers, which the contracts decoder reads back', async () => {
    const url = `/api/v1/decompositions/${decompositionId}/outputs/1/eigenvectors?format=f32`;
    const cases = [
      { query: '', positive: [0, 1, 2], negative: [3, 4] },
      { query: '&k=2', positive: [0, 1], negative: [3, 4] },
      { query: '&sign=positive&k=2', positive: [0, 1], negative: [] },
      { query: '&sign=negative', positive: [], negative: [3, 4] },
    ];
    for (const { query, positive, negative } of cases) {
      const response = await test.call({ url: `${url}${query}`, key: viewerKey });
      expect(response.statusCode, query).toBe(200);
      const block = decodeEigenvectorBlock(
        { get: (name) => (response.headers[name] as string | undefined) ?? null },
        response.rawPayload,
      );
      expect(block.positiveCount, query).toBe(positive.length);
      expect(block.negativeCount, query).toBe(negative.length);
      const picked = [...positive, ...negative];
      expect(block.eigenvalues, query).toEqual(picked.map((row) => rowEigenvalues[row]));
      expect(block.vectors, query).toEqual(Float32Array.from(picked.flatMap((row) => rowOf(row))));
    }
    // The .npy file carries the same headers.
    const npy = await test.call({ url: `${url.replace('f32', 'npy')}&sign=negative&k=1`, key: viewerKey });
    expect(npy.headers['x-positive-count']).toBe('0');
    expect(npy.headers['x-negative-count']).toBe('1');
    expect(npy.headers['x-linear-term']).toBeUndefined();
  });

  it("carries a residual output's linear term in the space asked for: json, f32 and npy headers", async () => {
    const base = `/api/v1/decompositions/${decompositionId}/outputs/1/eigenvectors?space=model`;
    const json = await test.call({ url: base, key: viewerKey });
    expect(json.json().linearTerm).toEqual(linearModel);
    for (const format of ['f32', 'npy']) {
      const response = await test.call({ url: `${base}&format=${format}`, key: viewerKey });
      // float32 precision, like the vectors.
      expect(response.headers['x-linear-term'], format).toBe(
        linearModel.map((value) => Number(Math.fround(value).toPrecision(9))).join(','),
      );
    }
    const f32 = await test.call({ url: `${base}&format=f32`, key: viewerKey });
    const block = decodeEigenvectorBlock(
      { get: (name) => (f32.headers[name] as string | undefined) ?? null },
      f32.rawPayload,
    );
    expect(Float32Array.from(block.linearTerm ?? [])).toEqual(Float32Array.from(linearModel));
    const input = await test.call({
      url: `/api/v1/decompositions/${decompositionId}/outputs/1/eigenvectors?space=input`,
      key: viewerKey,
    });
    expect(input.json().linearTerm).toBeNull();
  });

  it('serves eigenvectors as a .npy file that numpy.load reads', async () => {
    const response = await test.call({
      url: `/api/v1/decompositions/${decompositionId}/outputs/1/eigenvectors?format=npy&k=3`,
      key: viewerKey,
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-disposition']).toContain('.npy');
    const dir = await mkdtemp(join(tmpdir(), 'npy-'));
    try {
      const file = join(dir, 'vectors.npy');
      await writeFile(file, response.rawPayload);
      const printed = execFileSync(
        'python3',
        [
          '-c',
          'import numpy,sys; a=numpy.load(sys.argv[1]); print(a.shape, a.dtype, a.ravel()[:3].tolist(), a[3].tolist())',
          file,
        ],
        { encoding: 'utf8' },
      ).trim();
      const first = Array.from(vectors.subarray(0, 3)).map((value) => value.toString());
      expect(printed.startsWith(`(5, ${dimension}) float32 [${first.join(', ')}]`)).toBe(true);
      expect(printed).toContain(`[${rowOf(3).join(', ')}]`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says what is wrong with a k too large, an unknown output or a decomposition not done', async () => {
    const tooLarge = await test.call({
      url: `/api/v1/decompositions/${decompositionId}/outputs/1/eigenvectors?k=4`,
      key: viewerKey,
    });
    expect(tooLarge.statusCode).toBe(400);
    expect(tooLarge.json().error.message).toContain('at most 3');
    const negative = await test.call({
      url: `/api/v1/decompositions/${decompositionId}/outputs/1/eigenvectors?k=3&sign=negative`,
      key: viewerKey,
    });
    expect(negative.statusCode).toBe(400);
    expect(negative.json().error.message).toContain('at most 2 negative');
    const badQuery = await test.call({
      url: `/api/v1/decompositions/${decompositionId}/outputs/1/eigenvectors?space=pixels`,
      key: viewerKey,
    });
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json().error.message).toContain('querystring.space');
    const unknownOutput = await test.call({
      url: `/api/v1/decompositions/${decompositionId}/outputs/7/eigenvectors`,
      key: viewerKey,
    });
    expect(unknownOutput.statusCode).toBe(404);
    expect(unknownOutput.json().error.message).toContain('has no output 7 (its outputs: 0, 1)');
    const noModelSpace = await test.call({
      url: `/api/v1/decompositions/${decompositionId}/outputs/0/eigenvectors?space=model`,
      key: viewerKey,
    });
    expect(noModelSpace.statusCode).toBe(404);

    const queued = await decompose(modelId, { topK: 4, truncationK: [2] });
    const pending = await test.call({
      url: `/api/v1/decompositions/${queued.json().decompositionId}/outputs/0/eigenvectors`,
      key: viewerKey,
    });
    expect(pending.statusCode).toBe(409);
    expect(pending.json().error.message).toContain('queued');
    const view = await test.call({
      url: `/api/v1/decompositions/${queued.json().decompositionId}`,
      key: viewerKey,
    });
    expect(view.json()).toMatchObject({ status: 'queued', outputs: [] });
  });
});
