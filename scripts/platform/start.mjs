#!/usr/bin/env node
// The platform on one machine, what `npm start` runs once dependencies are installed and built
// (scripts/start.sh): Postgres and Redis (yours via DATABASE_URL / REDIS_URL, else an embedded
// Postgres and a redis-server with their data in the data directory), migrations, the API, one
// worker and the dashboard, then a demo project. An app that crashes is restarted (supervise.mjs).
// Ctrl-C or SIGTERM stops the apps first, then Redis, then Postgres.
//
//   node scripts/platform/start.mjs [--services-only] [--no-seed]
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateAdminKey, prepareDataDir, readOrCreateSecret } from './data-dir.mjs';
import { createLogger } from './logs.mjs';
import { isPortFree } from './ports.mjs';
import { startEmbeddedPostgres } from './postgres.mjs';
import { isAlive, runningProcesses, runToCompletion, sleep, startProcess } from './processes.mjs';
import { findOnPath, REDIS_MISSING_HINT, startRedisServer } from './redis.mjs';
import { seedDemo } from './seed-demo.mjs';
import { readSettings } from './settings.mjs';
import { RESTART_POLICY, supervise } from './supervise.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRY_POINTS = {
  migrate: join(REPO_ROOT, 'packages/db/dist/migrations/main.js'),
  api: join(REPO_ROOT, 'apps/api/dist/server.js'),
  worker: join(REPO_ROOT, 'apps/worker/dist/main.js'),
};
const WEB_PACKAGE = join(REPO_ROOT, 'apps/web/package.json');
const APP_STOP_GRACE_MS = 30_000; // a worker hands its job back on SIGTERM; give it time

const USAGE = `usage: npm start [-- --services-only] [-- --no-seed]

  --services-only  start Postgres and Redis (embedded unless DATABASE_URL / REDIS_URL are set), apply
                   migrations, print DATABASE_URL and REDIS_URL, and wait: for running the apps yourself
  --no-seed        do not create the demo project

environment: BILINEAR_DATA_DIR (default .bilinear/), DATABASE_URL, REDIS_URL, HOST (the API's and the
dashboard's address, 127.0.0.1; 0.0.0.0 for every interface), PORT (API, 4000), BILINEAR_WEB_PORT (3000), BILINEAR_POSTGRES_PORT (54329), BILINEAR_REDIS_PORT (63799),
BILINEAR_ADMIN_KEY, BILINEAR_SEED_DEMO=0; see docs/deploy.md`;

const log = createLogger('launcher');

function parseArguments(argv, settings) {
  const options = { servicesOnly: false, seed: settings.seedDemo };
  for (const argument of argv) {
    if (argument === '--services-only') options.servicesOnly = true;
    else if (argument === '--no-seed') options.seed = false;
    else if (argument === '--help' || argument === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`start: unknown option ${argument}\n\n${USAGE}`);
      process.exit(2);
    }
  }
  return options;
}

/** What is running, so that shutdown stops it in the right order from any point of the start-up. */
const running = { apps: [], redis: null, postgres: null, seed: new AbortController(), lockFile: null };
let stopping = null;

async function shutdown(exitCode) {
  if (stopping) return stopping;
  stopping = (async () => {
    const anythingStarted =
      running.apps.length > 0 || running.redis || running.postgres || runningProcesses().length;
    if (anythingStarted) log.info('stopping: apps first, then Redis, then Postgres');
    running.seed.abort(new Error('stopping'));
    await Promise.all(running.apps.map((app) => app.stop('SIGTERM', APP_STOP_GRACE_MS)));
    if (running.redis) await running.redis.stop();
    if (running.postgres) await running.postgres.stop();
    // A signal during start-up: whatever was started and not handed over yet (initdb, a starting server).
    for (const leftover of runningProcesses()) await leftover.stop('SIGTERM', 30_000);
    if (running.lockFile) await rm(running.lockFile, { force: true });
    if (anythingStarted) log.info('stopped');
    process.exit(exitCode);
  })();
  return stopping;
}

function handleSignals() {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (stopping) {
        // A second Ctrl-C: do not wait for the apps any longer (the databases still stop cleanly).
        log.info(`${signal} again: killing the apps`);
        for (const app of running.apps) app.stop('SIGKILL', 0);
        return;
      }
      log.info(`${signal} received`);
      shutdown(0);
    });
  }
}

/** One launcher per data directory: two would fight over the same cluster and AOF. */
async function takeLock(dataDir) {
  const lockFile = join(dataDir, 'launcher.pid');
  if (existsSync(lockFile)) {
    const pid = Number((await readFile(lockFile, 'utf8')).trim());
    if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid) && (await isLauncher(pid))) {
      throw new Error(
        `another npm start (pid ${pid}) is using ${dataDir}: stop it first, or set BILINEAR_DATA_DIR to another directory`,
      );
    }
  }
  await writeFile(lockFile, `${process.pid}\n`, { mode: 0o600 });
  running.lockFile = lockFile;
}

async function isLauncher(pid) {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'latin1')).includes('start.mjs');
  } catch {
    return true;
  }
}

async function startDatabase(settings) {
  if (settings.databaseUrl) {
    log.info(`database: DATABASE_URL (${describeUrl(settings.databaseUrl)})`);
    return settings.databaseUrl;
  }
  running.postgres = await startEmbeddedPostgres({
    dataDir: settings.dataDir,
    preferredPort: settings.ports.postgres,
    log,
  });
  log.info(`database: embedded Postgres on 127.0.0.1:${running.postgres.port}`);
  return running.postgres.url;
}

async function startQueue(settings) {
  if (settings.redisUrl) {
    log.info(`queue: REDIS_URL (${describeUrl(settings.redisUrl)})`);
    return settings.redisUrl;
  }
  running.redis = await startRedisServer({
    dataDir: settings.dataDir,
    preferredPort: settings.ports.redis,
    log,
  });
  log.info(`queue: redis-server on 127.0.0.1:${running.redis.port}`);
  return running.redis.url;
}

/** host:port/path of a connection URL, without its password. */
function describeUrl(url) {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || 'default port'}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return 'unparsable URL';
  }
}

function requireBuilt(entry) {
  if (!existsSync(entry)) {
    throw new Error(
      `${relative(REPO_ROOT, entry)} is missing: build first (npx turbo run build; npm start does it for you)`,
    );
  }
}

async function adminKey(settings) {
  if (settings.adminKey) return { value: settings.adminKey, source: 'BILINEAR_ADMIN_KEY' };
  const file = join(settings.dataDir, 'admin-key');
  const { value, created } = await readOrCreateSecret(file, generateAdminKey);
  if (created) log.info(`generated an admin key, kept in ${file} (mode 600)`);
  return { value, source: file };
}

async function requireFreePort(host, port, what, variable) {
  if (!(await isPortFree(port, host))) {
    throw new Error(
      `port ${port} (${what}) is in use: stop what holds it, or set ${variable} to another port`,
    );
  }
}

/**
 * Starts an app and restarts it when it exits on its own (supervise.mjs). When it keeps crashing the
 * launcher gives up: for an essential app it stops everything and exits 1; without the dashboard the
 * API and worker still serve.
 */
function startApp(name, command, args, env, { essential = true, signalGroup = false } = {}) {
  const app = supervise(name, () => startProcess(name, command, args, { cwd: REPO_ROOT, env, signalGroup }), {
    log,
    onGiveUp: ({ how, crashes, lastLines }) => {
      if (stopping) return;
      const window = RESTART_POLICY.windowMs / 1000;
      const consequence = essential ? 'stopping everything' : 'the API and worker keep running';
      log.error(
        [
          `${name} crashed ${crashes} times within ${window} s (last: ${how}); giving up on it: ${consequence}.`,
          `${name}'s last lines:`,
          ...(lastLines.length > 0 ? lastLines.map((line) => `  ${line}`) : ['  (none)']),
        ].join('\n'),
      );
      if (essential) shutdown(1);
    },
  });
  running.apps.push(app);
  return app;
}

async function waitForHealth(url, app, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!app.running) throw new Error(`${app.name} stopped before answering ${url}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {}
    await sleep(500);
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

/** The API only takes BILINEAR_ADMIN_KEY on a database's first start: say so when it was too late. */
async function checkAdminKey(apiUrl, key) {
  try {
    const response = await fetch(`${apiUrl}/api/v1/projects`, {
      headers: { authorization: `Bearer ${key}` },
    });
    if (response.status === 401) {
      log.error(
        'the API does not accept this admin key: the database already had an admin when it first started (an older data directory or your DATABASE_URL); use the key printed back then',
      );
    }
  } catch {}
}

async function main() {
  const settings = readSettings(REPO_ROOT);
  const options = parseArguments(process.argv.slice(2), settings);
  handleSignals();
  const { dataDir } = settings;
  await prepareDataDir(dataDir, { runningAsRoot: process.getuid?.() === 0 });
  await takeLock(dataDir);
  log.info(`data directory: ${dataDir}`);

  if (!settings.redisUrl && !findOnPath('redis-server')) throw new Error(REDIS_MISSING_HINT);
  requireBuilt(ENTRY_POINTS.migrate);
  const { api: apiPort, web: webPort } = settings.ports;
  const withWeb = existsSync(WEB_PACKAGE);
  if (!options.servicesOnly) {
    requireBuilt(ENTRY_POINTS.api);
    requireBuilt(ENTRY_POINTS.worker);
    await requireFreePort(settings.host, apiPort, 'API', 'PORT');
    if (withWeb) await requireFreePort(settings.host, webPort, 'dashboard', 'BILINEAR_WEB_PORT');
  }

  const databaseUrl = await startDatabase(settings);
  const redisUrl = await startQueue(settings);
  await runToCompletion('migrate', process.execPath, [ENTRY_POINTS.migrate], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    what: 'applying migrations',
  });
  const key = await adminKey(settings);

  if (options.servicesOnly) {
    log.info('services ready (Ctrl-C stops them); for apps you run yourself:');
    log.info(`DATABASE_URL=${databaseUrl}`);
    log.info(`REDIS_URL=${redisUrl}`);
    log.info(adminKeyForTerminal(key, 'BILINEAR_ADMIN_KEY=').join('\n'));
    return;
  }

  const appEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    BILINEAR_ADMIN_KEY: key.value,
  };
  const apiUrl = `http://${browsableHost(settings.host)}:${apiPort}`;
  const api = startApp('api', process.execPath, [ENTRY_POINTS.api], {
    ...appEnv,
    PORT: String(apiPort),
    HOST: settings.host,
  });
  startApp('worker', process.execPath, [ENTRY_POINTS.worker], appEnv);
  if (withWeb) {
    startApp(
      'web',
      'npm',
      // Arguments after `--` reach `next start`, which binds every interface unless given -H.
      ['run', 'start', '-w', '@bilinear-lab/web', '--', '-H', settings.host],
      {
        ...appEnv,
        PORT: String(webPort),
        API_URL: `http://127.0.0.1:${apiPort}`,
        NEXT_TELEMETRY_DISABLED: '1',
      },
      // npm → sh → next: signal the whole group, or next would outlive npm.
      { essential: false, signalGroup: true },
    );
  }
  await waitForHealth(`http://127.0.0.1:${apiPort}/health`, api);
  await checkAdminKey(apiUrl, key.value);
  printBanner({
    apiUrl,
    webUrl: withWeb ? `http://${browsableHost(settings.host)}:${webPort}` : null,
    key,
    dataDir,
    host: settings.host,
  });

  if (options.seed) {
    const seedLog = createLogger('seed');
    seedDemo({ apiUrl, adminKey: key.value, log: seedLog, signal: running.seed.signal }).catch((error) => {
      if (!stopping) seedLog.error(`seeding the demo failed: ${error.message} (the platform keeps running)`);
    });
  }
}

/** The address a browser on this machine uses for a server bound to `host`. */
function browsableHost(host) {
  return ['127.0.0.1', '0.0.0.0', '::', '::1'].includes(host) ? 'localhost' : host;
}

/**
 * The admin key as the banner shows it: whole only on a terminal, which no log file reads. Redirected
 * output (a log file, a CI log, a service manager's journal) gets a masked prefix and where the key is.
 */
function adminKeyForTerminal(key, label) {
  const where = key.source === 'BILINEAR_ADMIN_KEY' ? 'your BILINEAR_ADMIN_KEY' : key.source;
  if (process.stdout.isTTY) return [`${label}${key.value}`, `${' '.repeat(label.length)}(from ${where})`];
  const shown = key.value.slice(0, Math.min(12, Math.floor(key.value.length / 4)));
  return [`${label}${shown}… (the whole key is in ${where}; shown only when the output is a terminal)`];
}

function printBanner({ apiUrl, webUrl, key, dataDir, host }) {
  // The curl line reads the key where it is kept, so that the key itself is printed once at most.
  const keyInShell = key.source === 'BILINEAR_ADMIN_KEY' ? '$BILINEAR_ADMIN_KEY' : `$(cat ${key.source})`;
  const lines = [
    '',
    'bilinear-lab is running',
    `  API        ${apiUrl}`,
    `  API docs   ${apiUrl}/api/docs`,
    `  dashboard  ${webUrl ?? '(apps/web is not there yet)'}`,
    ...adminKeyForTerminal(key, '  admin key  '),
    `  data       ${dataDir}`,
    `  try        curl -H "Authorization: Bearer ${keyInShell}" ${apiUrl}/api/v1/projects`,
    host === '127.0.0.1'
      ? '  listening  on 127.0.0.1 only (set HOST=0.0.0.0 to serve other machines)'
      : `  listening  on ${host}: other machines can reach the API and the dashboard`,
    'Ctrl-C stops everything; the data stays for the next npm start.',
    '',
  ];
  log.info(lines.join('\n'));
}

main().catch((error) => {
  log.error(error.message);
  shutdown(1);
});
