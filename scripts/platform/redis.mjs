// A redis-server from PATH (no npm package ships one), its append-only file in <data dir>/redis so
// queued jobs survive a restart, a password, TCP on 127.0.0.1 only.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { readOrCreateSecret } from './data-dir.mjs';
import { findFreePort } from './ports.mjs';
import { isAlive, sleep, startProcess } from './processes.mjs';

export const REDIS_MISSING_HINT =
  'redis-server is not on PATH: install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or set REDIS_URL to a Redis you run';

export function findOnPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

/** Starts redis-server with its data in <data dir>/redis, on `preferredPort` or the next free one. */
export async function startRedisServer({ dataDir, preferredPort, log, binary = findOnPath('redis-server') }) {
  if (!binary) throw new Error(REDIS_MISSING_HINT);
  const dir = join(dataDir, 'redis');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const password = (await readOrCreateSecret(join(dataDir, 'redis-password'))).value;
  const pidFile = join(dir, 'redis.pid');
  await stopLeftoverServer(pidFile, log);
  const port = await findFreePort(preferredPort); // after the leftover let go of its port

  const appendOnlyDir = join(dir, 'appendonlydir');
  log.info(
    existsSync(appendOnlyDir)
      ? `reusing Redis's append-only file in ${appendOnlyDir}`
      : `starting a new Redis with its append-only file in ${appendOnlyDir}`,
  );
  // A config file rather than flags: the password stays out of `ps`.
  const configFile = join(dir, 'redis.conf');
  await writeFile(configFile, redisConfig({ dir, port, password, pidFile }), { mode: 0o600 });
  const server = startProcess('redis', binary, [configFile]);
  const stop = () => server.stop('SIGTERM', 30_000); // SIGTERM: Redis flushes the AOF and exits
  try {
    await waitUntilAnswering({ port, password, server });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`, port, server, stop };
}

function redisConfig({ dir, port, password, pidFile }) {
  const quote = (value) => JSON.stringify(value);
  return [
    '# Written by scripts/platform/redis.mjs at every start (the port may change).',
    'bind 127.0.0.1',
    `port ${port}`,
    'protected-mode yes',
    'daemonize no',
    `pidfile ${quote(pidFile)}`,
    `dir ${quote(dir)}`,
    // The queue must survive a restart: the append-only file, fsynced every second; no RDB snapshots.
    'appendonly yes',
    'appendfsync everysec',
    'save ""',
    // BullMQ needs every key kept: never evict.
    'maxmemory-policy noeviction',
    `requirepass ${quote(password)}`,
    'loglevel warning',
    'logfile ""',
    '',
  ].join('\n');
}

async function stopLeftoverServer(pidFile, log) {
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid) || !isRedisProcess(pid)) return;
  log.info(`a Redis from an earlier run is still running on this data directory (pid ${pid}): stopping it`);
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < 30_000 && isAlive(pid); waited += 200) await sleep(200);
  if (isAlive(pid)) throw new Error(`the earlier Redis (pid ${pid}) did not stop; stop it and try again`);
}

function isRedisProcess(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('redis-server');
  } catch {
    return true; // no /proc (macOS): trust the pid file
  }
}

/** Sends AUTH + PING until Redis answers PONG (up to 30 s). */
async function waitUntilAnswering({ port, password, server }) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!server.running) throw new Error('redis-server exited while starting (see its log lines above)');
    if (await answersPing(port, password)) return;
    if (Date.now() > deadline) throw new Error(`Redis did not answer PING on 127.0.0.1:${port} within 30 s`);
    await sleep(200);
  }
}

function answersPing(port, password) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write(`AUTH ${password}\r\nPING\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('+PONG')) finish(true);
      else if (reply.includes('-')) finish(false);
    });
  });
}
