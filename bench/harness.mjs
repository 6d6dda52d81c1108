// What the platform benchmarks share: the built API and workers as real processes on the machine's
// Postgres and Redis, in a fresh schema and Redis key prefix that are removed afterwards; an
// authenticated JSON/multipart client; job polling. The rest — medians, the unsteady rule, python
// references, the machine line, the table-plus-JSON-line report — is the benchmark harness every
// benchmark uses, @bilinear-lab/bench (packages/bench); this file only adds the platform's processes.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { machineLine, renderReport } from '@bilinear-lab/bench';
import { createTestSchema } from '@bilinear-lab/db';
import { connectRedis } from '@bilinear-lab/jobs';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A path of the repository. */
export const repo = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));
export const log = (line) => process.stderr.write(`bench: ${line}\n`);
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Stops a child with SIGTERM once; resolves when it has exited (at once if it already has). */
export function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

/**
 * Starts the API (healthy before this resolves) in a fresh schema and prefix. `env` is added to the
 * API's and the workers' environment. Call `close()` in a finally: it stops every process started
 * here and removes the schema and the Redis keys.
 */
export async function startBenchPlatform({ env: extra = {} } = {}) {
  const schema = await createTestSchema(DATABASE_URL, 'bench');
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const adminKey = `bl_${randomBytes(16).toString('hex')}`;
  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL,
    DATABASE_SCHEMA: schema.schema,
    REDIS_URL,
    BILINEAR_REDIS_PREFIX: prefix,
    BILINEAR_ADMIN_KEY: adminKey,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...extra,
  };
  const children = [];
  const launch = (entry, more = {}) => {
    const child = spawn(process.execPath, [repo(entry)], {
      env: { ...env, ...more },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return child;
  };
  const base = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${adminKey}` };

  /** One request; JSON in and out (FormData sent as multipart). Throws on a non-2xx answer. */
  async function call(method, path, body) {
    const init = { method, headers: { ...headers } };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(base + path, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text.slice(0, 300)}`);
    return { json: text ? JSON.parse(text) : null, bytes: text.length };
  }

  /** Workers as real processes; resolves once every one is registered and alive. */
  async function startWorkers(count, more = {}) {
    const started = Array.from({ length: count }, () => launch('apps/worker/dist/main.js', more));
    for (let i = 0; ; i++) {
      const { json: registered } = await call('GET', '/api/v1/workers');
      if (started.every((child) => registered.some((w) => w.alive && w.pid === child.pid))) return started;
      if (i > 600) throw new Error('the workers did not register');
      await sleep(100);
    }
  }

  /** Polls the job every `pollMs` until it completes; throws when it fails or is cancelled. */
  async function waitForJob(jobId, { pollMs = 100, onProgress } = {}) {
    for (;;) {
      const { json: job } = await call('GET', `/api/v1/jobs/${jobId}`);
      if (job.status === 'completed') return job;
      if (job.status === 'failed' || job.status === 'cancelled') {
        throw new Error(`job ${jobId} ${job.status}: ${job.error}`);
      }
      onProgress?.(job);
      await sleep(pollMs);
    }
  }

  async function close() {
    await Promise.all(children.map(stopChild));
    const redis = connectRedis({ url: REDIS_URL });
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await schema.drop();
  }

  const api = launch('apps/api/dist/server.js');
  try {
    for (let i = 0; ; i++) {
      if (
        await fetch(`${base}/health`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 300) throw new Error('the API did not start');
      await sleep(100);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { api, base, adminKey, headers, schema, prefix, launch, call, startWorkers, waitForJob, close };
}

/**
 * Prints `rows` ([label, value]) as an aligned table with the machine line, then the result as one
 * JSON line (only that with --json).
 */
export function report(rows, result, { json = false, notes = [] } = {}) {
  console.log(
    renderReport(
      { table: { rows, align: ['left', 'left'] }, notes, machine: machineLine(), results: [result] },
      { json },
    ),
  );
}

export const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
