// The committed migrations against a real Postgres: they produce exactly the database the Prisma
// schema describes, apply once, refuse edited history, and serialise concurrent starts.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { applyMigrations, findMigrationsDir, quoteIdentifier } from './apply-migrations.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const schemas: string[] = [];
function freshSchema(label: string): string {
  const schema = `mig_${label}_${Math.random().toString(36).slice(2, 10)}`;
  schemas.push(schema);
  return schema;
}

async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

afterEach(async () => {
  for (const schema of schemas.splice(0)) {
    await query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  }
});

/** Everything about a schema's shape that a migration decides, in a comparable form. */
interface SchemaShape {
  columns: string[];
  indexes: string[];
  constraints: string[];
  enums: string[];
}

async function describeSchema(schema: string): Promise<SchemaShape> {
  const columns = await query<{ line: string }>(
    `SELECT table_name || '.' || column_name || ' ' || udt_name || ' null=' || is_nullable || ' default=' || coalesce(column_default, '') AS line
       FROM information_schema.columns WHERE table_schema = $1 AND table_name <> '_prisma_migrations' ORDER BY 1`,
    [schema],
  );
  const indexes = await query<{ line: string }>(
    `SELECT replace(indexdef, $1 || '.', '') AS line FROM pg_indexes WHERE schemaname = $1 AND tablename <> '_prisma_migrations' ORDER BY 1`,
    [schema],
  );
  const constraints = await query<{ line: string }>(
    `SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(c.oid) AS line
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE n.nspname = $1 AND conrelid::regclass::text NOT LIKE '%_prisma_migrations' ORDER BY 1`,
    [schema],
  );
  const enums = await query<{ line: string }>(
    `SELECT t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS line
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = $1 GROUP BY t.typname ORDER BY 1`,
    [schema],
  );
  const strip = (rows: { line: string }[]) =>
    rows.map((row) => row.line.replaceAll(`${schema}.`, '').replaceAll(`"${schema}".`, ''));
  return {
    columns: strip(columns),
    indexes: strip(indexes),
    constraints: strip(constraints),
    enums: strip(enums),
  };
}

describe('applyMigrations', () => {
  it('builds exactly the database that prisma/schema.prisma describes', async () => {
    const migrated = freshSchema('migrated');
    await applyMigrations({ url: DATABASE_URL, schema: migrated });

    // Prisma's own (wasm, offline) engine turns the schema into SQL from nothing; apply it to a
    // second schema and compare catalogs. Any drift between schema.prisma and the migrations shows.
    const fromSchema = freshSchema('direct');
    const sql = execFileSync(
      'npx',
      [
        'prisma',
        'migrate',
        'diff',
        '--from-empty',
        '--to-schema-datamodel',
        '../../prisma/schema.prisma',
        '--script',
      ],
      {
        cwd: packageDir,
        env: { ...process.env, PRISMA_QUERY_ENGINE_LIBRARY: '/bin/true' },
        encoding: 'utf8',
      },
    ).replace('CREATE SCHEMA IF NOT EXISTS "public";', '');
    await query(`CREATE SCHEMA ${quoteIdentifier(fromSchema)}`);
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      await client.query(`SET search_path TO ${quoteIdentifier(fromSchema)}`);
      await client.query(sql);
    } finally {
      await client.end();
    }

    const [actual, expected] = await Promise.all([describeSchema(migrated), describeSchema(fromSchema)]);
    expect(actual.columns.length).toBeGreaterThan(50);
    expect(actual).toEqual(expected);
  }, 120_000);

  it('applies each migration once, recording it as Prisma does', async () => {
    const schema = freshSchema('once');
    const first = await applyMigrations({ url: DATABASE_URL, schema });
    expect(first.applied.length).toBeGreaterThan(0);
    const second = await applyMigrations({ url: DATABASE_URL, schema });
    expect(second).toEqual({ applied: [], alreadyApplied: first.applied });

    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      `SELECT migration_name, checksum, finished_at FROM ${quoteIdentifier(schema)}."_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows.map((row) => row.migration_name)).toEqual(first.applied);
    const initName = first.applied[0] ?? '';
    const initSql = await readFile(join(findMigrationsDir(), initName, 'migration.sql'));
    const { createHash } = await import('node:crypto');
    expect(rows[0]?.checksum).toBe(createHash('sha256').update(initSql).digest('hex'));
    expect(rows.every((row) => row.finished_at instanceof Date)).toBe(true);
  });

  it('lets concurrent starts race safely: one applies, the others find it done', async () => {
    const schema = freshSchema('race');
    const results = await Promise.all([1, 2, 3].map(() => applyMigrations({ url: DATABASE_URL, schema })));
    expect(results.filter((result) => result.applied.length > 0)).toHaveLength(1);
  });

  it('refuses a migration edited after it was applied, and rolls back a failing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
    try {
      await mkdir(join(dir, '001_first'));
      await writeFile(join(dir, '001_first', 'migration.sql'), 'CREATE TABLE "A" (id int);');
      const schema = freshSchema('edited');
      await applyMigrations({ url: DATABASE_URL, schema, migrationsDir: dir });

      await writeFile(join(dir, '001_first', 'migration.sql'), 'CREATE TABLE "A" (id bigint);');
      await expect(applyMigrations({ url: DATABASE_URL, schema, migrationsDir: dir })).rejects.toThrow(
        /001_first was changed after it was applied/,
      );

      await writeFile(join(dir, '001_first', 'migration.sql'), 'CREATE TABLE "A" (id int);');
      await mkdir(join(dir, '002_broken'));
      await writeFile(
        join(dir, '002_broken', 'migration.sql'),
        'CREATE TABLE "B" (id int); SELECT no_such_function();',
      );
      await expect(applyMigrations({ url: DATABASE_URL, schema, migrationsDir: dir })).rejects.toThrow(
        /002_broken failed: .*no_such_function/,
      );
      const tables = await query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
        [schema],
      );
      expect(tables.map((row) => row.table_name)).toEqual(['A', '_prisma_migrations']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('20261203160000 reverses the spectra stored ascending, so every reader takes them most positive first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
    const all = findMigrationsDir();
    const copy = async (name: string) => {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, 'migration.sql'), await readFile(join(all, name, 'migration.sql')));
    };
    try {
      await copy('20261125120000_init');
      const schema = freshSchema('spectra');
      await applyMigrations({ url: DATABASE_URL, schema, migrationsDir: dir });
      const s = quoteIdentifier(schema);
      const [user] = await query<{ id: string }>(
        `INSERT INTO ${s}."User" (id, name) VALUES (gen_random_uuid(), 'u') RETURNING id`,
      );
      const [project] = await query<{ id: string }>(
        `INSERT INTO ${s}."Project" (id, name) VALUES (gen_random_uuid(), 'p') RETURNING id`,
      );
      const [model] = await query<{ id: string }>(
        `INSERT INTO ${s}."Model" (id, "projectId", name, source, status, config, "updatedAt", "createdById")
         VALUES (gen_random_uuid(), $1, 'm', 'trained', 'completed', '{}', now(), $2) RETURNING id`,
        [project?.id, user?.id],
      );
      const [decomposition] = await query<{ id: string }>(
        `INSERT INTO ${s}."Decomposition" (id, "projectId", "modelId", parameters, "parametersKey", status)
         VALUES (gen_random_uuid(), $1, $2, '{}', 'k', 'completed') RETURNING id`,
        [project?.id, model?.id],
      );
      const ascending = [-2.5, -0.125, 0, 1e-300, 3.75];
      const bytes = Buffer.from(new Float64Array(ascending).buffer);
      for (const [index, values] of [
        [0, bytes],
        [1, Buffer.alloc(0)],
      ] as const) {
        await query(
          `INSERT INTO ${s}."Spectrum" ("decompositionId", "outputIndex", label, dimension, eigenvalues, "effectiveRank")
           VALUES ($1, $2, 'c', $3, $4, 1)`,
          [decomposition?.id, index, values.length / 8, values],
        );
      }

      await copy('20261203160000_linear_term_most_positive_first');
      await applyMigrations({ url: DATABASE_URL, schema, migrationsDir: dir });
      const rows = await query<{ outputIndex: number; eigenvalues: Buffer }>(
        `SELECT "outputIndex", eigenvalues FROM ${s}."Spectrum" ORDER BY "outputIndex"`,
      );
      const read = (buffer: Buffer) =>
        Array.from(
          new Float64Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength)),
        );
      expect(read(rows[0]?.eigenvalues as Buffer)).toEqual([...ascending].reverse());
      expect(read(rows[1]?.eigenvalues as Buffer)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
