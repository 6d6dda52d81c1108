// Integration tests get a fresh, migrated Postgres schema each, dropped afterwards, so they can run
// in parallel against the machine's one database without seeing each other's rows.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyMigrations, quoteIdentifier } from '../migrations/apply-migrations.js';

export interface TestSchema {
  url: string;
  schema: string;
  drop(): Promise<void>;
}

export async function createTestSchema(url: string, prefix = 'test'): Promise<TestSchema> {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  await applyMigrations({ url, schema });
  return {
    url,
    schema,
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
