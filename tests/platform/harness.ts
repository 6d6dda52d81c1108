// The whole platform for a test: the built API and worker as real processes, on a fresh Postgres
// schema and a Redis key prefix of their own, so a test sees exactly what a user of `npm start` sees.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestSchema, type TestSchema } from '@bilinear-lab/db';
import { connectRedis } from '@bilinear-lab/jobs';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Platform {
  url: string;
  adminKey: string;
  schema: TestSchema;
  redisPrefix: string;
  /** Starts one more worker process; returns it so a test can kill it. */
  startWorker(extraEnv?: Record<string, string>): ChildProcess;
  /** Output of every process so far (for failure messages). */
  logs(): string;
  stop(): Promise<void>;
}

/** A TCP port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function startPlatform(options: { workers?: number } = {}): Promise<Platform> {
  const schema = await createTestSchema(DATABASE_URL, 'platform');
  const redisPrefix = `test-platform-${randomBytes(4).toString('hex')}`;
  const adminKey = `bl_${randomBytes(24)
    .toString('base64url')
    .replace(/[^a-zA-Z0-9]/g, 'x')
    .slice(0, 32)}`;
  const port = await freePort();
  const output: string[] = [];
  const children: ChildProcess[] = [];
  const common = {
    ...process.env,
    DATABASE_URL,
    DATABASE_SCHEMA: schema.schema,
    REDIS_URL,
    BILINEAR_REDIS_PREFIX: redisPrefix,
    LOG_LEVEL: 'warn',
  };

  const launch = (name: string, entry: string, env: Record<string, string>) => {
    const child = spawn(process.execPath, [join(REPO, entry)], { env: { ...common, ...env }, stdio: 'pipe' });
    child.stdout?.on('data', (chunk: Buffer) => output.push(`[${name}] ${chunk}`));
    child.stderr?.on('data', (chunk: Buffer) => output.push(`[${name}] ${chunk}`));
    children.push(child);
    return child;
  };

  launch('api', 'apps/api/dist/server.js', {
    PORT: String(port),
    HOST: '127.0.0.1',
    BILINEAR_ADMIN_KEY: adminKey,
  });
  let workerCount = 0;
  const startWorker = (extraEnv: Record<string, string> = {}) =>
    launch(`worker-${++workerCount}`, 'apps/worker/dist/main.js', {
      BILINEAR_WORKER_HEARTBEAT_MS: '1000',
      BILINEAR_WORKER_LOCK_MS: '5000',
      BILINEAR_WORKER_STALLED_INTERVAL_MS: '2000',
      ...extraEnv,
    });
  for (let i = 0; i < (options.workers ?? 1); i++) startWorker();

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const healthy = await fetch(`${url}/health`)
      .then((response) => response.ok)
      .catch(() => false);
    if (healthy) break;
    if (Date.now() > deadline) throw new Error(`the API did not become healthy in 30 s:\n${output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  return {
    url,
    adminKey,
    schema,
    redisPrefix,
    startWorker,
    logs: () => output.join(''),
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
            }),
        ),
      );
      const redis = connectRedis({ url: REDIS_URL });
      const keys = await redis.keys(`${redisPrefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      await schema.drop();
    },
  };
}

/** A small client for the REST API with the platform's admin key. */
export function client(platform: Platform, key = platform.adminKey) {
  const request = async (method: string, path: string, body?: unknown | FormData) => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const response = await fetch(`${platform.url}${path}`, { method, headers, body: payload });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: response.status, body: json as Record<string, unknown> & { [key: string]: unknown } };
  };
  return {
    get: (path: string) => request('GET', path),
    post: (path: string, body?: unknown) => request('POST', path, body ?? {}),
    raw: (path: string) => fetch(`${platform.url}${path}`, { headers: { authorization: `Bearer ${key}` } }),
  };
}

/** Polls a job until it finishes (or the timeout passes); returns its last state. */
export async function waitForJob(
  api: ReturnType<typeof client>,
  jobId: string,
  timeoutMs = 120_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api.get(`/api/v1/jobs/${jobId}`);
    if (['completed', 'failed', 'cancelled'].includes(String(body.status))) return body;
    if (Date.now() > deadline)
      throw new Error(`job ${jobId} still ${String(body.status)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export interface ServerSentEvent {
  id?: string;
  event?: string;
  data: unknown;
}

/** Reads a job's event stream until the server ends it (after the final state) or the timeout. */
export async function collectEvents(
  platform: Platform,
  jobId: string,
  timeoutMs = 120_000,
): Promise<ServerSentEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const response = await fetch(`${platform.url}/api/v1/jobs/${jobId}/events`, {
    headers: { authorization: `Bearer ${platform.adminKey}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (!response.headers.get('content-type')?.startsWith('text/event-stream')) {
    throw new Error(
      `GET /jobs/${jobId}/events answered ${response.status} ${response.headers.get('content-type')}`,
    );
  }
  const events: ServerSentEvent[] = [];
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let end = buffered.indexOf('\n\n');
      while (end >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event: ServerSentEvent = { data: null };
        for (const line of block.split('\n')) {
          if (line.startsWith('id:')) event.id = line.slice(3).trim();
          else if (line.startsWith('event:')) event.event = line.slice(6).trim();
          else if (line.startsWith('data:')) event.data = JSON.parse(line.slice(5));
        }
        if (event.data !== null) events.push(event);
        end = buffered.indexOf('\n\n');
      }
    }
  } finally {
    clearTimeout(timer);
  }
  return events;
}
