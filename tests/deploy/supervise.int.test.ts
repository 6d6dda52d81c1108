// `npm start` keeps its apps running and leaves nothing behind, for real: the launcher starts the
// whole platform (embedded Postgres, redis-server, API, worker, dashboard) in a fresh data directory;
// it listens on loopback only and keeps the admin key out of output that is not a terminal;
// a SIGKILLed worker and a SIGKILLed API are restarted; a SIGKILL of the launcher itself takes every
// process it started with it (reaper.mjs); and a worker that keeps crashing makes the launcher give
// up, say why, exit 1 and stop everything.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LAUNCHER = join(REPO, 'scripts', 'platform', 'start.mjs');
const BUILT = ['packages/db/dist/migrations/main.js', 'apps/api/dist/server.js', 'apps/worker/dist/main.js'];

function missingPrerequisite(): string | null {
  if (process.platform !== 'linux') return 'it reads /proc';
  if (spawnSync('redis-server', ['--version']).status !== 0) return 'redis-server is not on PATH';
  const unbuilt = BUILT.find((path) => !existsSync(join(REPO, path)));
  return unbuilt ? `${unbuilt} is not built (npx turbo run build)` : null;
}
const missing = missingPrerequisite();
if (missing) console.warn(`tests/deploy/supervise.int.test.ts skipped: ${missing}`);

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

interface ProcessInfo {
  pid: number;
  ppid: number;
  state: string;
}

function processTable(): ProcessInfo[] {
  const table: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.push({ pid: Number(entry), state: fields[0] ?? '?', ppid: Number(fields[1]) });
    } catch {} // gone meanwhile
  }
  return table;
}

/** Every live process under `root` (its children, theirs, …). */
function descendants(root: number): number[] {
  const table = processTable().filter((info) => info.state !== 'Z');
  const found: number[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const children = table.filter((info) => frontier.includes(info.ppid)).map((info) => info.pid);
    found.push(...children);
    frontier = children;
  }
  return found;
}

/** Running, not a zombie (a zombie runs nothing; it waits for its new parent to reap it). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The local addresses with a listening TCP socket on `port` (/proc/net/tcp and tcp6, hex as there). */
function listeningAddresses(port: number): string[] {
  const addresses: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      const [address, hexPort] = local?.split(':') ?? [];
      // 0A: LISTEN.
      if (state === '0A' && address && Number.parseInt(hexPort ?? '', 16) === port) addresses.push(address);
    }
  }
  return addresses;
}
/** 127.0.0.1 as /proc/net/tcp writes it (little-endian). */
const LOOPBACK_HEX = '0100007F';

interface Launch {
  child: ChildProcess;
  output(): string;
  dataDir: string;
  apiPort: number;
  webPort: number;
  /** Every process seen under the launcher so far (pids polled while it runs). */
  seen: Set<number>;
  exited: Promise<number | null>;
}

const launches: Launch[] = [];
const dataDirs: string[] = [];

async function launch(extraEnv: Record<string, string> = {}): Promise<Launch> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bilinear-supervise-'));
  dataDirs.push(dataDir);
  const [postgres, redis, api, web] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BILINEAR_DATA_DIR: dataDir,
    BILINEAR_POSTGRES_PORT: String(postgres),
    BILINEAR_REDIS_PORT: String(redis),
    PORT: String(api),
    BILINEAR_WEB_PORT: String(web),
    NO_COLOR: '1',
    ...extraEnv,
  };
  // The launcher must start its own services, not use the machine's.
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'BILINEAR_ADMIN_KEY', 'DATABASE_SCHEMA']) delete env[name];
  const child = spawn(process.execPath, [LAUNCHER, '--no-seed'], { cwd: REPO, env });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk) => (output += chunk));
  const seen = new Set<number>();
  const poll = setInterval(() => {
    for (const pid of descendants(child.pid ?? -1)) seen.add(pid);
  }, 200);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      clearInterval(poll);
      resolve(code);
    }),
  );
  const started = { child, output: () => output, dataDir, apiPort: api, webPort: web, seen, exited };
  launches.push(started);
  return started;
}

/** The pid of the launcher's child whose command line contains `entry`. */
function appPid(launched: Launch, entry: string): number | undefined {
  return descendants(launched.child.pid ?? -1).find(
    (pid) =>
      commandLine(pid).includes(entry) &&
      processTable().find((info) => info.pid === pid)?.ppid === launched.child.pid,
  );
}

async function apiAnswers(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

afterEach(async () => {
  // Whatever a failed test left: the launcher, then anything it started.
  for (const launched of launches.splice(0)) {
    if (launched.child.exitCode === null && launched.child.signalCode === null)
      launched.child.kill('SIGKILL');
    for (const pid of launched.seen) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  }
});

afterAll(async () => {
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(missing !== null)('npm start supervises its apps', () => {
  it('restarts a SIGKILLed worker and API; a SIGKILLed launcher leaves no process behind', async () => {
    const launched = await launch();
    await waitFor('the platform to start', () => /bilinear-lab is running/.test(launched.output()), 120_000);

    // No HOST: the API and the dashboard listen on loopback only.
    expect(listeningAddresses(launched.apiPort)).toEqual([LOOPBACK_HEX]);
    await waitFor('the dashboard to listen', () => listeningAddresses(launched.webPort).length > 0, 60_000);
    expect(listeningAddresses(launched.webPort)).toEqual([LOOPBACK_HEX]);
    // Its output is a pipe, not a terminal: the admin key masked, and where it is kept.
    const keyFile = join(launched.dataDir, 'admin-key');
    const adminKey = readFileSync(keyFile, 'utf8').trim();
    expect(launched.output()).not.toContain(adminKey);
    expect(launched.output()).toContain(
      `admin key  ${adminKey.slice(0, 12)}… (the whole key is in ${keyFile};`,
    );

    const worker = await waitFor('the worker', () => appPid(launched, 'apps/worker/dist/main.js'), 10_000);
    process.kill(worker, 'SIGKILL');
    await waitFor(
      'the worker to be restarted',
      () => /worker\s*\| .*started: queues/.test(launched.output().split(/worker restarted/)[1] ?? ''),
      60_000,
    );
    expect(launched.output()).toMatch(
      /worker exited \(SIGKILL\); restarting it in 1 s \(crash 1 of 5 allowed within 60 s\)/,
    );
    const newWorker = appPid(launched, 'apps/worker/dist/main.js');
    expect(newWorker).toBeDefined();
    expect(newWorker).not.toBe(worker);

    const api = await waitFor('the API', () => appPid(launched, 'apps/api/dist/server.js'), 10_000);
    process.kill(api, 'SIGKILL');
    await waitFor('the API to be restarted', () => /api restarted/.test(launched.output()), 30_000);
    await waitFor('the restarted API to answer', () => apiAnswers(launched.apiPort), 60_000);
    expect(launched.output()).toMatch(/api exited \(SIGKILL\); restarting it in 1 s/);
    expect(launched.child.exitCode).toBeNull();

    const ours = descendants(launched.child.pid ?? -1);
    // Postgres (and its backends), redis-server, API, worker, npm → next, the reaper.
    expect(ours.length).toBeGreaterThanOrEqual(6);
    launched.child.kill('SIGKILL');
    await launched.exited;
    const killedAt = Date.now();
    await waitFor('every process the launcher started to stop', () => !ours.some(isRunning), 30_000).catch(
      (error) => {
        const left = ours.filter(isRunning).map((pid) => `${pid} ${commandLine(pid)}`);
        throw new Error(`${(error as Error).message}; still running:\n${left.join('\n')}`);
      },
    );
    console.log(`${ours.length} processes gone ${Date.now() - killedAt} ms after the launcher was SIGKILLed`);
    expect(await apiAnswers(launched.apiPort)).toBe(false);
  }, 240_000);

  it('gives up on a worker that keeps crashing: names it, shows its last lines, exits 1, stops everything', async () => {
    // A worker that cannot start: the same crash on every restart.
    const launched = await launch({ BILINEAR_WORKER_CONCURRENCY: 'several' });
    const code = await Promise.race([
      launched.exited,
      new Promise<string>((resolve) => setTimeout(() => resolve('still running after 120 s'), 120_000)),
    ]);
    expect(code).toBe(1);
    const output = launched.output();
    expect(output).toMatch(/worker exited \(exit code 2\); restarting it in 1 s/);
    expect(output).toMatch(/worker exited \(exit code 2\); restarting it in 8 s/);
    expect(output).toMatch(
      /worker crashed 5 times within 60 s \(last: exit code 2\); giving up on it: stopping everything/,
    );
    // Its last lines come with the message: the reason it could not start.
    const message = output.slice(output.lastIndexOf('\n', output.indexOf('giving up on it')) + 1);
    console.log(message.split('\n').slice(0, 8).join('\n'));
    expect(message).toMatch(/worker's last lines:\n.*BILINEAR_WORKER_CONCURRENCY/);
    expect(output).toMatch(/stopping: apps first, then Redis, then Postgres/);
    expect(launched.seen.size).toBeGreaterThan(0);
    await waitFor(
      'every process the launcher started to stop',
      () => ![...launched.seen].some(isRunning),
      15_000,
    );
  }, 180_000);
});
