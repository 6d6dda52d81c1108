// Everyone's own keys through HTTP: a user's first key (bound to no project) can be revoked by its
// user and by an admin, never by another user or by a key bound to a project; the key making the
// request cannot revoke itself when it is its user's last active key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, createProject, startTestApp, type TestApp } from '../../testing/test-app.js';

let test: TestApp;
let projectId: string;

beforeAll(async () => {
  test = await startTestApp('own-keys');
  projectId = await createProject(test, test.adminKey);
});

afterAll(async () => {
  await test?.close();
});

/** The id of the key making requests with `key` (GET /me). */
async function keyIdOf(key: string): Promise<string> {
  const me = await test.call({ url: '/api/v1/me', key });
  expect(me.statusCode).toBe(200);
  return me.json().key.id;
}

async function revoke(keyId: string, key: string) {
  return test.call({ method: 'DELETE', url: `/api/v1/keys/${keyId}`, key });
}

async function createProjectKey(key: string, name: string): Promise<{ id: string; key: string }> {
  const created = await test.call({
    method: 'POST',
    url: `/api/v1/projects/${projectId}/keys`,
    key,
    body: { name },
  });
  expect(created.statusCode).toBe(201);
  return created.json();
}

describe('own keys', () => {
  it("lets an admin revoke a user's first key, which the project route cannot reach", async () => {
    const firstKey = await addUser(test, test.adminKey, projectId, 'fiona', 'owner');
    const firstKeyId = await keyIdOf(firstKey);
    const mine = await test.call({ url: '/api/v1/keys', key: firstKey });
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toEqual([
      expect.objectContaining({ id: firstKeyId, projectId: null, revokedAt: null }),
    ]);
    expect(mine.body).not.toContain(firstKey);
    // The project route knows only keys bound to the project.
    const viaProject = await test.call({
      method: 'DELETE',
      url: `/api/v1/projects/${projectId}/keys/${firstKeyId}`,
      key: test.adminKey,
    });
    expect(viaProject.statusCode).toBe(404);

    expect((await revoke(firstKeyId, test.adminKey)).statusCode).toBe(204);
    const after = await test.call({ url: '/api/v1/me', key: firstKey });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.message).toContain('revoked');
    // Revoking again changes nothing.
    expect((await revoke(firstKeyId, test.adminKey)).statusCode).toBe(204);
  });

  it('lets a user revoke their first key, but not with their last active key itself', async () => {
    const firstKey = await addUser(test, test.adminKey, projectId, 'gus', 'owner');
    const firstKeyId = await keyIdOf(firstKey);
    const alone = await revoke(firstKeyId, firstKey);
    expect(alone.statusCode).toBe(409);
    expect(alone.json().error).toMatchObject({ code: 'last-key' });
    expect(alone.json().error.message).toMatch(/only active key of gus.*Create another key first/);
    expect((await test.call({ url: '/api/v1/me', key: firstKey })).statusCode).toBe(200);

    const projectKey = await createProjectKey(firstKey, 'notebook');
    expect((await revoke(firstKeyId, firstKey)).statusCode).toBe(204);
    expect((await test.call({ url: '/api/v1/me', key: firstKey })).statusCode).toBe(401);
    // Now the project key is gus's last one.
    const last = await revoke(projectKey.id, projectKey.key);
    expect(last.statusCode).toBe(409);
    expect((await test.call({ url: `/api/v1/projects/${projectId}`, key: projectKey.key })).statusCode).toBe(
      200,
    );
  });

  it("refuses another user's key, and a project key's reach beyond its project (404)", async () => {
    const ownerKey = await addUser(test, test.adminKey, projectId, 'hana', 'owner');
    const otherKey = await addUser(test, test.adminKey, projectId, 'ivan', 'owner');
    const ownerKeyId = await keyIdOf(ownerKey);
    const refused = await revoke(ownerKeyId, otherKey);
    expect(refused.statusCode).toBe(404);
    expect(refused.json().error.message).toContain(`key ${ownerKeyId} does not exist`);

    const scoped = await createProjectKey(ownerKey, 'ci');
    expect((await revoke(ownerKeyId, scoped.key)).statusCode).toBe(404);
    const listed = await test.call({ url: '/api/v1/keys', key: scoped.key });
    expect(listed.json().map((key: { id: string }) => key.id)).toEqual([scoped.id]);
    // The admin's own key bound to a project carries no admin powers over keys either.
    const adminScoped = await createProjectKey(test.adminKey, 'admin-ci');
    expect((await revoke(ownerKeyId, adminScoped.key)).statusCode).toBe(404);

    expect((await test.call({ url: '/api/v1/me', key: ownerKey })).statusCode).toBe(200);
    const unknown = await revoke('00000000-0000-4000-8000-000000000000', test.adminKey);
    expect(unknown.statusCode).toBe(404);
  });
});
