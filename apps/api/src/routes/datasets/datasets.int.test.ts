// IDX uploads: validated whole, stored as four artifacts with a checksum; anything wrong answers
// 4xx naming the file and leaves no rows or artifacts.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { encodeIdx, IDX_FILE_NAMES } from '@bilinear-lab/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, multipartBody, startTestApp, type TestApp } from '../../testing/test-app.js';

let test: TestApp;
let projectId: string;

beforeAll(async () => {
  test = await startTestApp('datasets', { uploadLimitMb: 1 });
  projectId = await createProject(test, test.adminKey);
});

afterAll(async () => {
  await test?.close();
});

const ROWS = 5;
const COLS = 4;

function images(count: number, rows = ROWS): Uint8Array {
  const data = Uint8Array.from({ length: count * rows * COLS }, (_, i) => (i * 37) % 256);
  return encodeIdx({ type: 'ubyte', shape: [count, rows, COLS], data });
}

function labels(values: number[]): Uint8Array {
  return encodeIdx({ type: 'ubyte', shape: [values.length], data: Uint8Array.from(values) });
}

function files(overrides: Partial<Record<keyof typeof IDX_FILE_NAMES, Uint8Array>> = {}) {
  return {
    trainImages: overrides.trainImages ?? images(6),
    trainLabels: overrides.trainLabels ?? labels([0, 1, 2, 3, 4, 5]),
    testImages: overrides.testImages ?? images(3),
    testLabels: overrides.testLabels ?? labels([9, 8, 7]),
  };
}

async function upload(parts: Parameters<typeof multipartBody>[0]) {
  const body = multipartBody(parts);
  return test.call({
    method: 'POST',
    url: `/api/v1/projects/${projectId}/datasets`,
    key: test.adminKey,
    payload: body.payload,
    headers: body.headers,
  });
}

function fileParts(contents: ReturnType<typeof files>, gzip: Partial<Record<string, boolean>> = {}) {
  return (Object.keys(IDX_FILE_NAMES) as (keyof typeof IDX_FILE_NAMES)[]).map((role) => ({
    field: 'file',
    fileName: gzip[role] ? `${IDX_FILE_NAMES[role]}.gz` : IDX_FILE_NAMES[role],
    bytes: gzip[role] ? gzipSync(contents[role]) : contents[role],
  }));
}

async function counts() {
  return { datasets: await test.app.db.dataset.count(), artifacts: await test.app.db.artifact.count() };
}

describe('POST /projects/:id/datasets', () => {
  it('stores four valid IDX files (plain and .gz) as artifacts with a checksum and metadata (201)', async () => {
    const contents = files();
    const response = await upload([
      { field: 'name', value: 'tiny digits' },
      ...fileParts(contents, { testImages: true }),
    ]);
    expect(response.statusCode, response.body).toBe(201);
    const dataset = response.json();
    expect(dataset).toMatchObject({
      name: 'tiny digits',
      projectId,
      metadata: { trainCount: 6, testCount: 3, rows: ROWS, cols: COLS, classes: 10 },
    });
    const row = await test.app.db.dataset.findUniqueOrThrow({ where: { id: dataset.id } });
    const artifactIds = [
      row.trainImagesArtifactId,
      row.trainLabelsArtifactId,
      row.testImagesArtifactId,
      row.testLabelsArtifactId,
    ];
    const artifacts = await Promise.all(artifactIds.map((id) => test.app.artifacts.info(id)));
    expect(artifacts.map((artifact) => artifact?.kind)).toEqual(['idx', 'idx', 'idx', 'idx']);
    expect(artifacts[2]?.fileName).toBe('t10k-images-idx3-ubyte.gz');
    expect(Buffer.from(await test.app.artifacts.read(row.trainLabelsArtifactId))).toEqual(
      Buffer.from(contents.trainLabels),
    );
    const expected = createHash('sha256')
      .update(artifacts.map((artifact) => artifact?.sha256).join(''))
      .digest('hex');
    expect(dataset.checksum).toBe(expected);

    const listed = await test.call({ url: `/api/v1/projects/${projectId}/datasets`, key: test.adminKey });
    expect(listed.json().map((item: { id: string }) => item.id)).toEqual([dataset.id]);

    // It can be trained on.
    const train = await test.call({
      method: 'POST',
      url: `/api/v1/projects/${projectId}/models/train`,
      key: test.adminKey,
      body: { dataset: dataset.id, config: { hiddenDim: 4, epochs: 1 } },
    });
    expect(train.statusCode).toBe(202);
    const model = await test.app.db.model.findUniqueOrThrow({ where: { id: train.json().modelId } });
    expect(model).toMatchObject({ datasetSpec: `dataset:${dataset.id}`, datasetId: dataset.id });
  });

  it('refuses malformed or incomplete uploads with a message naming the file, leaving nothing (400)', async () => {
    const before = await counts();
    const cases: { parts: Parameters<typeof multipartBody>[0]; code: string; text: string }[] = [
      {
        parts: fileParts(files({ trainLabels: labels([0, 1, 2]) })),
        code: 'invalid-dataset',
        text: 'train-labels-idx1-ubyte',
      },
      {
        parts: fileParts(files({ testLabels: labels([0, 1, 12]) })),
        code: 'invalid-dataset',
        text: 'label 12',
      },
      {
        parts: fileParts(files({ testImages: images(3, ROWS + 1) })),
        code: 'invalid-dataset',
        text: 't10k-images-idx3-ubyte',
      },
      {
        parts: fileParts(files({ trainImages: new Uint8Array([0, 0, 8]) })),
        code: 'invalid-dataset',
        text: 'train-images-idx3-ubyte',
      },
      { parts: fileParts(files()).slice(0, 3), code: 'missing-files', text: 't10k-labels-idx1-ubyte' },
      {
        parts: [
          ...fileParts(files()).slice(0, 3),
          { field: 'file', fileName: 'labels.bin', bytes: labels([1]) },
        ],
        code: 'unknown-file',
        text: 'labels.bin',
      },
      {
        parts: fileParts(files()).map((part, index) =>
          index === 1 ? { ...part, fileName: `${part.fileName}.gz` } : part,
        ),
        code: 'invalid-dataset',
        text: 'not gzip',
      },
      {
        parts: [{ field: 'classes', value: 'ten' }, ...fileParts(files())],
        code: 'invalid-request',
        text: 'body.classes',
      },
    ];
    for (const { parts, code, text } of cases) {
      const response = await upload(parts);
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json().error.code).toBe(code);
      expect(response.json().error.message).toContain(text);
    }
    expect(await counts()).toEqual(before);
  });

  it('refuses an upload over BILINEAR_UPLOAD_LIMIT_MB (413), leaving nothing', async () => {
    const before = await counts();
    const big = images(2000, 28 * 10);
    const response = await upload(fileParts(files({ trainImages: big })));
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toMatchObject({ code: 'payload-too-large' });
    expect(response.json().error.message).toContain('limit of 1 MB');
    expect(await counts()).toEqual(before);
  });
});
