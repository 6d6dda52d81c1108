// The app as a whole: docs, health, the error shapes, and the auth matrix (who may see and do what).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from './services/api-keys.js';
import { addUser, createProject, startTestApp, type TestApp } from './testing/test-app.js';

let test: TestApp;

beforeAll(async () => {
  test = await startTestApp('app');
});

afterAll(async () => {
  await test?.close();
});

describe('docs and health', () => {
  it('serves the OpenAPI document listing every route, and the swagger-ui page, without a key', async () => {
    const doc = await test.call({ url: '/api/docs/json' });
    expect(doc.statusCode).toBe(200);
    const paths = Object.keys(doc.json().paths);
    for (const path of [
      '/health',
      '/api/v1/me',
      '/api/v1/projects',
      '/api/v1/projects/{projectId}/members',
      '/api/v1/projects/{projectId}/members/{userId}',
      '/api/v1/projects/{projectId}/keys',
      '/api/v1/projects/{projectId}/keys/{keyId}',
      '/api/v1/projects/{projectId}/datasets',
      '/api/v1/projects/{projectId}/models',
      '/api/v1/projects/{projectId}/models/train',
      '/api/v1/projects/{projectId}/models/train-language-model',
      '/api/v1/projects/{projectId}/models/import',
      '/api/v1/projects/{projectId}/jobs',
      '/api/v1/projects/{projectId}/decompositions',
      '/api/v1/models/{modelId}',
      '/api/v1/models/{modelId}/metrics',
      '/api/v1/models/{modelId}/checkpoint',
      '/api/v1/models/{modelId}/decompositions',
      '/api/v1/decompositions/{decompositionId}',
      '/api/v1/decompositions/{decompositionId}/outputs/{index}/eigenvectors',
      '/api/v1/jobs/{jobId}',
      '/api/v1/jobs/{jobId}/cancel',
      '/api/v1/jobs/{jobId}/retry',
      '/api/v1/jobs/{jobId}/events',
      '/api/v1/workers',
    ]) {
      expect(paths).toContain(path);
    }
    const train = doc.json().paths['/api/v1/projects/{projectId}/models/train'].post;
    expect(JSON.stringify(train.requestBody)).toContain('hiddenDim');
    const trainLm = doc.json().paths['/api/v1/projects/{projectId}/models/train-language-model'].post;
    for (const field of ['dModel', 'dHidden', 'ctx', 'vocab', 'tokenizer', 'checkpointEvery']) {
      expect(JSON.stringify(trainLm.requestBody)).toContain(field);
    }
    const page = await test.call({ url: '/api/docs' });
    expect([200, 302]).toContain(page.statusCode);
  });

  it('answers /health with the state of Postgres and Redis', async () => {
    const response = await test.call({ url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', db: 'ok', redis: 'ok' });
  });

  it('answers unknown routes and ids with 404 and a message', async () => {
    const route = await test.call({ url: '/api/v1/nothing-here', key: test.adminKey });
    expect(route.statusCode).toBe(404);
    expect(route.json().error.message).toContain('/api/v1/nothing-here');
    for (const what of ['models', 'jobs', 'decompositions']) {
      const id = '00000000-0000-4000-8000-000000000000';
      const response = await test.call({ url: `/api/v1/${what}/${id}`, key: test.adminKey });
      expect(response.statusCode).toBe(404);
      expect(response.json().error).toMatchObject({ code: 'not-found' });
      expect(response.json().error.message).toContain(id);
    }
    const malformed = await test.call({ url: '/api/v1/models/not-a-uuid', key: test.adminKey });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.details.issues[0].path).toBe('params.modelId');
  });
});

describe('auth', () => {
  let ownerKey: string;
  let viewerKey: string;
  let memberKey: string;
  let otherKey: string;
  let projectId: string;
  let otherProjectId: string;

  beforeAll(async () => {
    projectId = await createProject(test, test.adminKey, 'team');
    ownerKey = await addUser(test, test.adminKey, projectId, 'olivia', 'owner');
    memberKey = await addUser(test, ownerKey, projectId, 'mark', 'member');
    viewerKey = await addUser(test, ownerKey, projectId, 'vera', 'viewer');
    otherProjectId = await createProject(test, test.adminKey, 'elsewhere');
    otherKey = await addUser(test, test.adminKey, otherProjectId, 'oscar', 'owner');
  });

  it('refuses requests without a key, with a malformed header or with an unknown key (401)', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Basic abc' },
      { authorization: 'Bearer bl_wrong' },
    ];
    for (const headers of attempts) {
      const response = await test.call({ url: '/api/v1/projects', headers });
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('unauthorized');
      expect(response.json().error.message.length).toBeGreaterThan(10);
    }
  });

  it('lists my projects with my role, and says who I am', async () => {
    const mine = await test.call({ url: '/api/v1/projects', key: viewerKey });
    expect(mine.json()).toEqual([expect.objectContaining({ id: projectId, role: 'viewer' })]);
    const me = await test.call({ url: '/api/v1/me', key: memberKey });
    expect(me.json()).toMatchObject({ name: 'mark', isAdmin: false, key: { projectId: null } });
  });

  it("hides another project's resources behind 404, and lets viewers read but not write (403)", async () => {
    const train = { dataset: 'mnist', config: { hiddenDim: 8, epochs: 1 } };
    const queued = await test.call({
      method: 'POST',
      url: `/api/v1/projects/${projectId}/models/train`,
      key: memberKey,
      body: train,
    });
    expect(queued.statusCode).toBe(202);
    const { modelId, jobId } = queued.json();

    for (const url of [
      `/api/v1/models/${modelId}`,
      `/api/v1/jobs/${jobId}`,
      `/api/v1/projects/${projectId}/models`,
    ]) {
      const outsider = await test.call({ url, key: otherKey });
      expect(outsider.statusCode).toBe(404);
      expect(outsider.body).not.toContain('hiddenDim');
      expect((await test.call({ url, key: viewerKey })).statusCode).toBe(200);
    }

    const viewerWrites = [
      { method: 'POST' as const, url: `/api/v1/projects/${projectId}/models/train`, body: train },
      { method: 'POST' as const, url: `/api/v1/jobs/${jobId}/cancel` },
      { method: 'POST' as const, url: `/api/v1/models/${modelId}/decompositions`, body: {} },
      {
        method: 'POST' as const,
        url: `/api/v1/projects/${projectId}/members`,
        body: { user: 'x', role: 'viewer' },
      },
    ];
    for (const write of viewerWrites) {
      const response = await test.call({ ...write, key: viewerKey });
      expect(response.statusCode).toBe(403);
      expect(response.json().error.message).toContain('viewer');
    }
    const outsiderCancel = await test.call({
      method: 'POST',
      url: `/api/v1/jobs/${jobId}/cancel`,
      key: otherKey,
    });
    expect(outsiderCancel.statusCode).toBe(404);
    // Members run work but do not manage members.
    const memberManages = await test.call({
      method: 'POST',
      url: `/api/v1/projects/${projectId}/members`,
      key: memberKey,
      body: { user: 'y', role: 'viewer' },
    });
    expect(memberManages.statusCode).toBe(403);
  });

  it('makes project keys that open only their project, shows them once and revokes them (401)', async () => {
    const created = await test.call({
      method: 'POST',
      url: `/api/v1/projects/${projectId}/keys`,
      key: ownerKey,
      body: { name: 'ci' },
    });
    expect(created.statusCode).toBe(201);
    const { key, id, prefix } = created.json();
    expect(key).toMatch(/^bl_[A-Za-z0-9]{32}$/);
    expect(key.startsWith(prefix)).toBe(true);
    const stored = await test.app.db.apiKey.findUniqueOrThrow({ where: { id } });
    expect(stored.hash).toBe(hashApiKey(key));

    const listed = await test.call({ url: `/api/v1/projects/${projectId}/keys`, key: ownerKey });
    expect(listed.json()).toEqual([expect.objectContaining({ id, name: 'ci', prefix })]);
    expect(listed.body).not.toContain(key);

    // The admin's scoped key for project A cannot see project B even though the admin could.
    const scoped = await test.call({
      method: 'POST',
      url: `/api/v1/projects/${projectId}/keys`,
      key: test.adminKey,
      body: { name: 'admin-scoped' },
    });
    const scopedKey = scoped.json().key;
    expect((await test.call({ url: `/api/v1/projects/${projectId}`, key: scopedKey })).statusCode).toBe(200);
    expect((await test.call({ url: `/api/v1/projects/${otherProjectId}`, key: scopedKey })).statusCode).toBe(
      404,
    );
    expect(
      (await test.call({ url: `/api/v1/projects/${otherProjectId}`, key: test.adminKey })).statusCode,
    ).toBe(200);
    const projects = await test.call({ url: '/api/v1/projects', key: scopedKey });
    expect(projects.json().map((project: { id: string }) => project.id)).toEqual([projectId]);
    const create = await test.call({
      method: 'POST',
      url: '/api/v1/projects',
      key: scopedKey,
      body: { name: 'n' },
    });
    expect(create.statusCode).toBe(403);

    expect((await test.call({ url: '/api/v1/me', key })).statusCode).toBe(200);
    const revoked = await test.call({
      method: 'DELETE',
      url: `/api/v1/projects/${projectId}/keys/${id}`,
      key: ownerKey,
    });
    expect(revoked.statusCode).toBe(204);
    const after = await test.call({ url: '/api/v1/me', key });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.message).toContain('revoked');
  });

  it('records when a key was last used', async () => {
    await test.call({ url: '/api/v1/me', key: viewerKey });
    const row = await test.app.db.apiKey.findUniqueOrThrow({ where: { hash: hashApiKey(viewerKey) } });
    await expect
      .poll(async () => (await test.app.db.apiKey.findUniqueOrThrow({ where: { id: row.id } })).lastUsedAt)
      .not.toBeNull();
  });

  it('manages members: lists them, refuses to remove the last owner, removes others', async () => {
    const members = await test.call({ url: `/api/v1/projects/${projectId}/members`, key: viewerKey });
    expect(
      members
        .json()
        .map((member: { name: string }) => member.name)
        .sort(),
    ).toEqual(['admin', 'mark', 'olivia', 'vera']);
    const vera = members.json().find((member: { name: string }) => member.name === 'vera');
    const existing = await test.call({
      method: 'POST',
      url: `/api/v1/projects/${projectId}/members`,
      key: ownerKey,
      body: { user: 'vera', role: 'member' },
    });
    expect(existing.statusCode).toBe(200);
    expect(existing.json()).toMatchObject({ role: 'member', createdUser: false, apiKey: null });

    const soloProject = await createProject(test, otherKey, 'solo');
    const oscar = (await test.call({ url: '/api/v1/me', key: otherKey })).json().id;
    const last = await test.call({
      method: 'DELETE',
      url: `/api/v1/projects/${soloProject}/members/${oscar}`,
      key: otherKey,
    });
    expect(last.statusCode).toBe(409);
    expect(last.json().error.message).toContain('only owner');

    const removed = await test.call({
      method: 'DELETE',
      url: `/api/v1/projects/${projectId}/members/${vera.userId}`,
      key: ownerKey,
    });
    expect(removed.statusCode).toBe(204);
    expect((await test.call({ url: `/api/v1/projects/${projectId}`, key: viewerKey })).statusCode).toBe(404);
  });

  it('lists workers for any authenticated user', async () => {
    await test.app.db.worker.create({
      data: {
        id: 'w1',
        host: 'h',
        pid: 1,
        backend: 'wasm',
        device: 'cpu',
        concurrency: 1,
        queues: ['train'],
      },
    });
    const response = await test.call({ url: '/api/v1/workers', key: memberKey });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual([expect.objectContaining({ id: 'w1', alive: true })]);
  });
});
