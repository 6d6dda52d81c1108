// Issue 11's hostile inputs: strings Postgres cannot store (NUL, a lone UTF-16 surrogate) and a
// truncated multipart body answered 500; numbers written as 0x1 or 1e2 were read as indices; float
// images holding NaN were stored and failed training later. Each is a 400 with the standard error body
// naming the field or file, leaving nothing behind.
import { encodeIdx, IDX_FILE_NAMES } from '@bilinear-lab/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, multipartBody, startTestApp, type TestApp } from './testing/test-app.js';

let test: TestApp;
let projectId: string;

beforeAll(async () => {
  test = await startTestApp('hostile', { uploadLimitMb: 1 });
  projectId = await createProject(test, test.adminKey);
});

afterAll(async () => {
  await test?.close();
});

const NUL = 'bad\u0000name';
const LONE_HIGH = 'bad\ud800name';
const LONE_LOW = '\udc00';

async function rows() {
  const db = test.app.db;
  return {
    projects: await db.project.count(),
    users: await db.user.count(),
    keys: await db.apiKey.count(),
    datasets: await db.dataset.count(),
    artifacts: await db.artifact.count(),
  };
}

function expectBadText(
  response: Awaited<ReturnType<TestApp['call']>>,
  path: string,
  what: RegExp = /NUL character|lone UTF-16 surrogate/,
) {
  expect(response.statusCode, response.body).toBe(400);
  const { error } = response.json();
  expect(Object.keys(error).sort()).toEqual(['code', 'details', 'message']);
  expect(error.message).toContain(path);
  expect(error.message).toMatch(what);
}

/** Four valid IDX files as multipart parts (3 train / 2 test images of 2×2), train images replaceable. */
function datasetParts(rename: (name: string) => string = (name) => name, trainImages?: Uint8Array) {
  const images = (count: number) =>
    encodeIdx({ type: 'ubyte', shape: [count, 2, 2], data: new Uint8Array(count * 4).fill(7) });
  const labels = (count: number) =>
    encodeIdx({ type: 'ubyte', shape: [count], data: new Uint8Array(count).fill(1) });
  return [
    { field: 'file', fileName: rename(IDX_FILE_NAMES.trainImages), bytes: trainImages ?? images(3) },
    { field: 'file', fileName: IDX_FILE_NAMES.trainLabels, bytes: labels(3) },
    { field: 'file', fileName: IDX_FILE_NAMES.testImages, bytes: images(2) },
    { field: 'file', fileName: IDX_FILE_NAMES.testLabels, bytes: labels(2) },
  ];
}

async function uploadDataset(payload: Buffer, headers: Record<string, string>) {
  return test.call({
    method: 'POST',
    url: `/api/v1/projects/${projectId}/datasets`,
    key: test.adminKey,
    payload,
    headers,
  });
}

describe('text Postgres cannot store', () => {
  it('refuses NUL and lone surrogates in project, member and key names (400, nothing stored)', async () => {
    const before = await rows();
    for (const bad of [NUL, LONE_HIGH, LONE_LOW]) {
      const cases = [
        { url: '/api/v1/projects', body: { name: bad }, path: 'body.name' },
        {
          url: `/api/v1/projects/${projectId}/members`,
          body: { user: bad, role: 'member' },
          path: 'body.user',
        },
        { url: `/api/v1/projects/${projectId}/keys`, body: { name: bad }, path: 'body.name' },
        {
          url: `/api/v1/projects/${projectId}/models/train`,
          body: { name: bad, config: { epochs: 1 } },
          path: 'body.name',
        },
      ];
      for (const { url, body, path } of cases) {
        // Sent as JSON text, as a client would: JSON.stringify writes a lone surrogate as \ud800.
        const response = await test.call({
          method: 'POST',
          url,
          key: test.adminKey,
          payload: JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        });
        expectBadText(response, path);
      }
    }
    expect(await rows()).toEqual(before);
  });

  it('says where the bad character is', async () => {
    const response = await test.call({
      method: 'POST',
      url: '/api/v1/projects',
      key: test.adminKey,
      body: { name: NUL },
    });
    expectBadText(response, 'body.name', /NUL character \(\\u0000\) at position 3/);
    const lone = await test.call({
      method: 'POST',
      url: '/api/v1/projects',
      key: test.adminKey,
      payload: '{"name":"ok \\ud800 then"}',
      headers: { 'content-type': 'application/json' },
    });
    expectBadText(lone, 'body.name', /lone UTF-16 surrogate \(\\ud800\) at position 3/);
  });

  it('refuses NUL in a dataset name field and in an uploaded file name (400, nothing stored)', async () => {
    // Multipart text is UTF-8 bytes: a lone surrogate cannot be written there (it arrives as U+FFFD,
    // which is storable), so NUL is the character to refuse.
    const before = await rows();
    const named = multipartBody([{ field: 'name', value: NUL }, ...datasetParts()]);
    expectBadText(await uploadDataset(named.payload, named.headers), 'body.name');
    const file = multipartBody(datasetParts((name) => `${name}${NUL}`));
    const response = await uploadDataset(file.payload, file.headers);
    expectBadText(response, 'file name');
    expect(response.json().error).toMatchObject({
      code: 'invalid-file-name',
      details: { field: 'file', fileName: `${IDX_FILE_NAMES.trainImages}${NUL}` },
    });
    expect(await rows()).toEqual(before);
  });

  it('answers a truncated multipart body with 400 invalid-multipart', async () => {
    const before = await rows();
    const whole = multipartBody(datasetParts());
    for (const cut of [whole.payload.length - 10, Math.floor(whole.payload.length / 2), 40]) {
      const response = await uploadDataset(whole.payload.subarray(0, cut), whole.headers);
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'invalid-multipart' });
      expect(response.json().error.message).toMatch(/ended before|truncated|Unexpected end/);
    }
    expect(await rows()).toEqual(before);
  });
});

describe('numbers that are not plain decimal integers', () => {
  const someId = '00000000-0000-4000-8000-000000000000';

  it('refuses 0x1, 1e2 and friends as an output index, k or limit (400 naming the parameter)', async () => {
    const cases = [
      { url: `/api/v1/decompositions/${someId}/outputs/0x1/eigenvectors`, path: 'params.index' },
      { url: `/api/v1/decompositions/${someId}/outputs/1e2/eigenvectors`, path: 'params.index' },
      { url: `/api/v1/decompositions/${someId}/outputs/%201/eigenvectors`, path: 'params.index' },
      { url: `/api/v1/decompositions/${someId}/outputs/-0/eigenvectors`, path: 'params.index' },
      { url: `/api/v1/decompositions/${someId}/outputs/3/eigenvectors?k=1e1`, path: 'querystring.k' },
      { url: `/api/v1/decompositions/${someId}/outputs/3/eigenvectors?k=0b11`, path: 'querystring.k' },
      { url: `/api/v1/projects/${projectId}/decompositions?limit=0x10`, path: 'querystring.limit' },
      { url: `/api/v1/projects/${projectId}/models?limit=1e2`, path: 'querystring.limit' },
      { url: `/api/v1/projects/${projectId}/jobs?limit=1.0`, path: 'querystring.limit' },
    ];
    for (const { url, path } of cases) {
      const response = await test.call({ url, key: test.adminKey });
      expect(response.statusCode, `${url}: ${response.body}`).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'invalid-request' });
      expect(response.json().error.message).toContain(path);
      expect(response.json().error.message).toContain('decimal digits');
    }
    // Plain decimals still pass validation: the decomposition does not exist (404), the lists answer.
    const plain = await test.call({
      url: `/api/v1/decompositions/${someId}/outputs/3/eigenvectors?k=10`,
      key: test.adminKey,
    });
    expect(plain.statusCode).toBe(404);
    expect(
      (await test.call({ url: `/api/v1/projects/${projectId}/models?limit=100`, key: test.adminKey }))
        .statusCode,
    ).toBe(200);
  });

  it('refuses classes=0x10 in a dataset upload (400 body.classes)', async () => {
    const before = await rows();
    const upload = multipartBody([{ field: 'classes', value: '0x10' }, ...datasetParts()]);
    const response = await uploadDataset(upload.payload, upload.headers);
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error.message).toMatch(
      /^body\.classes: expected a whole number in decimal digits/,
    );
    expect(await rows()).toEqual(before);
  });
});

describe('float images that are not finite', () => {
  it('refuses NaN or Infinity at upload, naming the file and the first bad index (400, nothing stored)', async () => {
    const before = await rows();
    for (const [value, shown] of [
      [Number.NaN, 'NaN'],
      [Number.NEGATIVE_INFINITY, '-Infinity'],
    ] as const) {
      const pixels = new Float32Array(3 * 4).fill(0.5);
      pixels[6] = value;
      const images = encodeIdx({ type: 'float32', shape: [3, 2, 2], data: pixels });
      const upload = multipartBody(datasetParts((name) => name, images));
      const response = await uploadDataset(upload.payload, upload.headers);
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json().error).toMatchObject({
        code: 'invalid-dataset',
        details: { code: 'non-finite-value', file: IDX_FILE_NAMES.trainImages },
      });
      expect(response.json().error.message).toBe(
        `${IDX_FILE_NAMES.trainImages}: pixel value ${shown} at index 6 (image 1, pixel 2) is not a finite number; ` +
          'float32 images must hold finite values (no NaN or Infinity)',
      );
    }
    expect(await rows()).toEqual(before);
  });
});
