// isDatabaseUnavailable on the errors a real Postgres and the real Prisma client raise: a refused
// connection and a server-side disconnect are "unavailable"; a constraint violation, a syntax error
// and an ordinary exception are not.
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from './database.js';
import { isDatabaseUnavailable } from './database-errors.js';
import { createTestSchema, type TestSchema } from './testing/test-schema.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

let schema: TestSchema;
let db: Database;

beforeAll(async () => {
  schema = await createTestSchema(DATABASE_URL, 'dberrors');
  db = openDatabase({ url: DATABASE_URL, schema: schema.schema, maxConnections: 1 });
});

afterAll(async () => {
  await db?.$disconnect();
  await schema?.drop();
});

/** A loopback port nothing listens on (taken from the OS, then let go). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function caught(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected the work to fail');
}

describe('isDatabaseUnavailable', () => {
  it('holds for a refused connection, through Prisma (query and transaction) and through pg', async () => {
    const port = await closedPort();
    const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
    const unreachable = openDatabase({ url, maxConnections: 1 });
    try {
      expect(isDatabaseUnavailable(await caught(() => unreachable.job.findFirst()))).toBe(true);
      expect(
        isDatabaseUnavailable(await caught(() => unreachable.$transaction((tx) => tx.job.findFirst()))),
      ).toBe(true);
    } finally {
      await unreachable.$disconnect();
    }
    const client = new pg.Client({ connectionString: url });
    expect(isDatabaseUnavailable(await caught(() => client.connect()))).toBe(true);
  });

  it('holds for a connection the server terminates (what a Postgres shutdown does to open sessions)', async () => {
    const error = await caught(() => db.$queryRaw`SELECT pg_terminate_backend(pg_backend_pid())`);
    expect(isDatabaseUnavailable(error)).toBe(true);
    // The pool replaces the dead connection: the next query works.
    expect(await db.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]);
  });

  it('does not hold for errors a retry cannot fix', async () => {
    const project = await db.project.create({ data: { name: 'errors' } });
    const duplicate = await caught(() => db.project.create({ data: { id: project.id, name: 'again' } }));
    expect(isDatabaseUnavailable(duplicate)).toBe(false);
    expect(isDatabaseUnavailable(await caught(() => db.$queryRawUnsafe('SELEC 1')))).toBe(false);
    expect(isDatabaseUnavailable(new Error('training diverged: loss is NaN'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});
