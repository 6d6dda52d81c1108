// IDX uploads: validated whole, stored as four artifacts with a checksum; anything wrong answers
// 4xx naming the file and leaves no rows or artifacts.
import { createHash } from 'node:crypto';
import { createGzip, gzipSync } from 'node:zlib';
import { encodeIdx, IDX_FILE_NAMES } from '@bilinear-lab/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, multipartBody, startTestApp, type TestApp } from '../../testing/test-app.js';

let test: TestApp;
let projectId: string;

beforeAll(async () => {
  test = await startTestApp('datasets', {
    uploadLimitMb: 1,
    tuning: { sseHeartbeatMs: 300, databaseConnections: 4, datasetExpandedBytes: 64 << 20 },
  });
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

/** gzip of `prefix` then `zeroBytes` zeros, made in 1 MB pieces so the test never holds the zeros. */
async function zerosGzip(prefix: Uint8Array, zeroBytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise((resolve, reject) => gzip.on('end', resolve).on('error', reject));
  gzip.write(prefix);
  const zeros = Buffer.alloc(1 << 20);
  for (let left = zeroBytes; left > 0; left -= zeros.length) {
    if (!gzip.write(left >= zeros.length ? zeros : zeros.subarray(0, left))) {
      await new Promise((resolve) => gzip.once('drain', resolve));
    }
  }
  gzip.end();
  await done;
  return Buffer.concat(out);
}

/** A ubyte IDX header for count images of 28×28. */
function mnistImagesHeader(count: number): Uint8Array {
  const header = new Uint8Array(16);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x0803, false);
  view.setUint32(4, count, false);
  view.setUint32(8, 28, false);
  view.setUint32(12, 28, false);
  return header;
}

/** The response, and the most this process's RSS rose above its level before the request. */
async function uploadMeasuringRss(parts: Parameters<typeof multipartBody>[0]) {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const started = performance.now();
  try {
    const response = await upload(parts);
    peak = Math.max(peak, process.memoryUsage().rss);
    return { response, ms: performance.now() - started, riseMb: (peak - before) / 2 ** 20 };
  } finally {
    clearInterval(sampler);
  }
}

describe('gzip bombs (issue 11)', () => {
  const bombParts = (bomb: Uint8Array) =>
    fileParts(files()).map((part, index) =>
      index === 0 ? { ...part, fileName: `${IDX_FILE_NAMES.trainImages}.gz`, bytes: bomb } : part,
    );

  it('answers 400 at once to 512 MB of gzipped zeros named train-images-idx3-ubyte.gz, RSS bounded', async () => {
    const bomb = await zerosGzip(new Uint8Array(0), 512 << 20);
    expect(bomb.length).toBeLessThan(1 << 20);
    const before = await counts();
    const { response, ms, riseMb } = await uploadMeasuringRss(bombParts(bomb));
    console.log(
      `gzip bomb of zeros: ${(bomb.length / 1024).toFixed(0)} KB → 512 MB; 400 in ${ms.toFixed(0)} ms, RSS rose ${riseMb.toFixed(0)} MB`,
    );
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'invalid-dataset',
      details: { code: 'bad-magic', file: 'train-images-idx3-ubyte.gz' },
    });
    expect(response.json().error.message).toMatch(/^train-images-idx3-ubyte\.gz: /);
    expect(riseMb).toBeLessThan(200);
    expect(await counts()).toEqual(before);
  });

  it('stops a valid header followed by 512 MB of zeros where the header’s promise ends (400 naming the sizes)', async () => {
    const bomb = await zerosGzip(mnistImagesHeader(6), 512 << 20);
    const { response, ms, riseMb } = await uploadMeasuringRss(bombParts(bomb));
    console.log(
      `gzip bomb behind a 6-image header: ${(bomb.length / 1024).toFixed(0)} KB → 512 MB; 400 in ${ms.toFixed(0)} ms, RSS rose ${riseMb.toFixed(0)} MB`,
    );
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'invalid-dataset',
      details: { code: 'trailing-data' },
    });
    expect(response.json().error.message).toBe(
      'train-images-idx3-ubyte.gz: decompresses to more than the 4720 bytes its header promises ' +
        '(dimensions 6×28×28 of ubyte); decompression was stopped there',
    );
    expect(riseMb).toBeLessThan(200);
  });

  it('refuses a header that promises more than the dataset limit before inflating it (400 naming the sizes)', async () => {
    const bomb = await zerosGzip(mnistImagesHeader(1_000_000), 16 << 20);
    const { response, riseMb } = await uploadMeasuringRss(bombParts(bomb));
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'invalid-dataset', details: { code: 'too-large' } });
    expect(response.json().error.message).toBe(
      'train-images-idx3-ubyte.gz: its header promises dimensions 1000000×28×28 of ubyte, 747.7 MB once ' +
        "decompressed, more than the 64.0 MB allowed for this dataset's decompressed files",
    );
    expect(riseMb).toBeLessThan(200);
  });
});

describe('a large valid upload (issue 11)', () => {
  it('is checked without building its float32 splits: 60 000 + 10 000 gzipped 28×28 images, RSS bounded', async () => {
    const imagesGz = async (count: number) => zerosGzip(mnistImagesHeader(count), count * 28 * 28);
    const labelsGz = (count: number) =>
      gzipSync(encodeIdx({ type: 'ubyte', shape: [count], data: new Uint8Array(count) }));
    const parts = [
      { field: 'name', value: 'blank digits' },
      { field: 'file', fileName: `${IDX_FILE_NAMES.trainImages}.gz`, bytes: await imagesGz(60_000) },
      { field: 'file', fileName: `${IDX_FILE_NAMES.trainLabels}.gz`, bytes: labelsGz(60_000) },
      { field: 'file', fileName: `${IDX_FILE_NAMES.testImages}.gz`, bytes: await imagesGz(10_000) },
      { field: 'file', fileName: `${IDX_FILE_NAMES.testLabels}.gz`, bytes: labelsGz(10_000) },
    ];
    const { response, ms, riseMb } = await uploadMeasuringRss(parts);
    console.log(
      `60 000 + 10 000 images of 28×28 (55 MB decompressed): 201 in ${ms.toFixed(0)} ms, RSS rose ${riseMb.toFixed(0)} MB`,
    );
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().metadata).toMatchObject({
      trainCount: 60_000,
      testCount: 10_000,
      rows: 28,
      cols: 28,
    });
    // Decompressed, the four files are 55 MB; as float32 splits they were 220 MB more.
    expect(riseMb).toBeLessThan(200);
  });
});
