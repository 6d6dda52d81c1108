// SAEs attach to a language model's hook points: the config.json decides layer and point (a field
// only fills in), the width must be the model's, and every refusal leaves no row and no artifact.
import { createHash } from 'node:crypto';
import { randomLanguageModelFolder, randomSaeFolder } from '@bilinear-lab/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, multipartBody, startTestApp, type TestApp } from '../../testing/test-app.js';

let test: TestApp;
let projectId: string;
let modelId: string;

type Part = Parameters<typeof multipartBody>[0][number];

async function post(url: string, parts: Part[]) {
  const upload = multipartBody(parts);
  return test.call({
    method: 'POST',
    url,
    key: test.adminKey,
    payload: upload.payload,
    headers: upload.headers,
  });
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

beforeAll(async () => {
  test = await startTestApp('saes');
  projectId = await createProject(test, test.adminKey);
  const lm = randomLanguageModelFolder({ vocab: 64, d: 16, hidden: 24, layers: 2 });
  const imported = await post(`/api/v1/projects/${projectId}/models/import`, [
    { field: 'file', fileName: 'model.safetensors', bytes: lm.weights },
    { field: 'config', fileName: 'config.json', bytes: json(lm.config) },
  ]);
  expect(imported.statusCode, imported.body).toBe(201);
  modelId = imported.json().modelId;
});

afterAll(async () => {
  await test?.close();
});

async function stored() {
  const [saes, artifacts] = await Promise.all([
    test.app.db.sparseAutoencoder.count(),
    test.app.db.artifact.count(),
  ]);
  return { saes, artifacts };
}

describe('POST /models/:id/saes/import', () => {
  it('attaches an SAE at the layer and hook point its config.json says, and serves its file', async () => {
    const sae = randomSaeFolder({ d: 16, features: 64, k: 4, layer: 1, point: 'mlp-out' });
    const response = await post(`/api/v1/models/${modelId}/saes/import`, [
      { field: 'file', fileName: 'sae.safetensors', bytes: sae.weights },
      { field: 'config', fileName: 'config.json', bytes: json(sae.config) },
    ]);
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({
      modelId,
      projectId,
      layer: 1,
      hookPoint: 'mlp-out',
      features: 64,
      modelDim: 16,
      k: 4,
      source: 'imported',
      status: 'completed',
      config: sae.config,
      name: 'layer 1 mlp-out ×64',
    });
    const listed = await test.call({ url: `/api/v1/models/${modelId}/saes`, key: test.adminKey });
    expect(listed.json().map((row: { id: string }) => row.id)).toContain(body.id);
    const file = await test.call({ url: `/api/v1/saes/${body.id}/checkpoint`, key: test.adminKey });
    expect(file.statusCode).toBe(200);
    expect(createHash('sha256').update(file.rawPayload).digest('hex')).toBe(
      createHash('sha256').update(sae.weights).digest('hex'),
    );
  });

  it('takes layer and point from the fields when config.json leaves them out', async () => {
    const sae = randomSaeFolder({ d: 16, features: 32, k: 4, layer: 0, point: 'mlp-in' });
    const { layer: _layer, point: _point, ...bare } = sae.config;
    const response = await post(`/api/v1/models/${modelId}/saes/import`, [
      { field: 'file', fileName: 'sae.safetensors', bytes: sae.weights },
      { field: 'config', value: JSON.stringify(bare) },
      { field: 'layer', value: '0' },
      { field: 'point', value: 'mlp-in' },
    ]);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ layer: 0, hookPoint: 'mlp-in' });
  });

  it('refuses, naming the problem and storing nothing', async () => {
    const before = await stored();
    const sae = randomSaeFolder({ d: 16, features: 32, k: 4, layer: 1, point: 'mlp-out' });
    const cases: [Part[], number, RegExp][] = [
      [[{ field: 'file', fileName: 'sae.safetensors', bytes: sae.weights }], 400, /no config\.json/],
      [
        [
          { field: 'file', fileName: 'sae.safetensors', bytes: sae.weights },
          { field: 'config', fileName: 'config.json', bytes: json(sae.config) },
          { field: 'layer', value: '0' },
        ],
        400,
        /config\.json says layer = 1/,
      ],
      [
        [
          {
            field: 'file',
            fileName: 'sae.safetensors',
            bytes: randomSaeFolder({ d: 8, features: 32, k: 4, layer: 1, point: 'mlp-out' }).weights,
          },
          { field: 'config', fileName: 'config.json', bytes: json({ ...sae.config, d_model: 8 }) },
        ],
        400,
        /reads vectors of 8 values .* d_model = 16/,
      ],
      [
        [
          { field: 'file', fileName: 'sae.safetensors', bytes: sae.weights },
          { field: 'config', fileName: 'config.json', bytes: json({ ...sae.config, layer: 5 }) },
        ],
        400,
        /layer 5 does not exist/,
      ],
      [
        [
          { field: 'file', fileName: 'sae.safetensors', bytes: sae.weights },
          { field: 'config', fileName: 'config.json', bytes: json({ ...sae.config, n_features: 33 }) },
        ],
        400,
        /n_features = 33/,
      ],
      [
        [
          { field: 'file', fileName: 'sae.safetensors', bytes: Buffer.from('not safetensors') },
          { field: 'config', fileName: 'config.json', bytes: json(sae.config) },
        ],
        400,
        /sae\.safetensors/,
      ],
    ];
    for (const [parts, status, message] of cases) {
      const response = await post(`/api/v1/models/${modelId}/saes/import`, parts);
      expect(response.statusCode, response.body).toBe(status);
      expect(response.json().error.message).toMatch(message);
    }
    expect(await stored()).toEqual(before);
  });

  it('answers 422 for an image classifier and 404 for a model the key does not open', async () => {
    const sae = randomSaeFolder({ d: 16, features: 32, k: 4, layer: 0, point: 'mlp-out' });
    const parts: Part[] = [
      { field: 'file', fileName: 'sae.safetensors', bytes: sae.weights },
      { field: 'config', fileName: 'config.json', bytes: json(sae.config) },
    ];
    const trained = await test.call({
      method: 'POST',
      url: `/api/v1/projects/${projectId}/models/train`,
      key: test.adminKey,
      body: { dataset: 'mnist', config: { hiddenDim: 16, epochs: 1 } },
    });
    const classifier = await test.app.db.model.update({
      where: { id: trained.json().modelId },
      data: { status: 'completed' },
    });
    const refused = await post(`/api/v1/models/${classifier.id}/saes/import`, parts);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.message).toMatch(/image classifier/);
    const missing = await post(`/api/v1/models/${crypto.randomUUID()}/saes/import`, parts);
    expect(missing.statusCode).toBe(404);
  });
});
