// setSubjectStatus on a real Postgres, in a schema of its own: models take the status only;
// decompositions take the status and the error, and lose completedAt when they are queued again.
import { randomUUID } from 'node:crypto';
import { createTestSchema, type Database, openDatabase, type TestSchema } from '@bilinear-lab/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSubject } from './subject.js';
import { setSubjectStatus } from './subject-status.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

let schema: TestSchema;
let db: Database;
let projectId: string;

beforeAll(async () => {
  schema = await createTestSchema(DATABASE_URL, 'jobs_subject');
  db = openDatabase({ url: DATABASE_URL, schema: schema.schema });
  projectId = (await db.project.create({ data: { name: 'subject status' } })).id;
});

afterAll(async () => {
  await db.$disconnect();
  await schema.drop();
});

async function createModel(): Promise<string> {
  const model = await db.model.create({
    data: { projectId, name: 'm', source: 'trained', status: 'queued', config: {} },
  });
  return model.id;
}

async function createCompletedDecomposition(modelId: string): Promise<string> {
  const decomposition = await db.decomposition.create({
    data: {
      projectId,
      modelId,
      parameters: {},
      parametersKey: randomUUID(),
      status: 'completed',
      completedAt: new Date(),
    },
  });
  return decomposition.id;
}

describe('setSubjectStatus', () => {
  it('walks a model through its job’s statuses, given a Subject or the stored string', async () => {
    const id = await createModel();
    const status = async () => (await db.model.findUniqueOrThrow({ where: { id } })).status;
    await setSubjectStatus(db, { kind: 'model', id }, 'running');
    expect(await status()).toBe('running');
    await db.$transaction((tx) =>
      setSubjectStatus(tx, formatSubject({ kind: 'model', id }), 'failed', 'boom'),
    );
    expect(await status()).toBe('failed');
    await setSubjectStatus(db, `model:${id}`, 'queued');
    expect(await status()).toBe('queued');
    await setSubjectStatus(db, `model:${id}`, 'completed');
    expect(await status()).toBe('completed');
  });

  it('clears a decomposition’s completedAt when it is queued again, and keeps the error of a failure', async () => {
    const id = await createCompletedDecomposition(await createModel());
    const row = () => db.decomposition.findUniqueOrThrow({ where: { id } });
    expect((await row()).completedAt).not.toBeNull();

    await db.$transaction((tx) => setSubjectStatus(tx, { kind: 'decomposition', id }, 'queued'));
    expect(await row()).toMatchObject({ status: 'queued', error: null, completedAt: null });

    await setSubjectStatus(db, `decomposition:${id}`, 'running');
    await setSubjectStatus(db, `decomposition:${id}`, 'failed', 'out of memory');
    expect(await row()).toMatchObject({ status: 'failed', error: 'out of memory', completedAt: null });

    await setSubjectStatus(db, formatSubject({ kind: 'decomposition', id }), 'queued');
    expect(await row()).toMatchObject({ status: 'queued', error: null, completedAt: null });
  });

  it('changes nothing for a string that names no subject, or a subject whose row is gone', async () => {
    const modelId = await createModel();
    await setSubjectStatus(db, `widget:${modelId}`, 'failed');
    await setSubjectStatus(db, `model:${modelId}:extra`, 'failed');
    await setSubjectStatus(db, { kind: 'decomposition', id: randomUUID() }, 'failed');
    expect((await db.model.findUniqueOrThrow({ where: { id: modelId } })).status).toBe('queued');
  });
});
