// Issue 11: 30 concurrent imports of a d = 256 model took the API from 142 MB to 5.4 GB, one worker
// thread with TensorFlow.js and the MNIST test set each. Here the built API runs as a real process and
// 20 imports arrive at once; its peak RSS (the kernel's high-water mark) must stay far below that.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { type ModelConfig, referenceShapes, seededGaussian } from '@bilinear-lab/core';
import { createTestSchema, type TestSchema } from '@bilinear-lab/db';
import { connectRedis } from '@bilinear-lab/jobs';
import { writeModelFile } from '@bilinear-lab/training';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SERVER = new URL('../../../dist/server.js', import.meta.url);
const IMPORTS = 20;

let schema: TestSchema;
let server: ChildProcess;
let url: string;
const adminKey = `bl_${randomBytes(16).toString('hex')}`;
const redisPrefix = `test-api-import-memory-${randomBytes(4).toString('hex')}`;
const output: string[] = [];

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** VmRSS and VmHWM (peak) of a process, in MB, from /proc. */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** An MNIST-shaped bilinear classifier, d = 256, as our own safetensors writer writes it. */
function mnistModelFile(): Uint8Array {
  const config: ModelConfig = {
    kind: 'image-classifier',
    inputDim: 784,
    hiddenDim: 256,
    layers: 1,
    outputDim: 10,
    residual: false,
    gate: 'none',
    loss: 'cross-entropy',
  };
  const gaussian = seededGaussian(11);
  const parameters = referenceShapes(config).map(({ name, shape }) => ({
    name,
    shape,
    values: Float32Array.from({ length: shape[0] * shape[1] }, () => gaussian() / Math.sqrt(shape[1])),
  }));
  return writeModelFile({ config, parameters }).safetensors;
}

beforeAll(async () => {
  schema = await createTestSchema(DATABASE_URL, 'importmem');
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, [SERVER.pathname], {
    env: {
      ...process.env,
      DATABASE_URL,
      DATABASE_SCHEMA: schema.schema,
      REDIS_URL,
      BILINEAR_REDIS_PREFIX: redisPrefix,
      BILINEAR_ADMIN_KEY: adminKey,
      BILINEAR_UPLOAD_LIMIT_MB: '10',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: 'pipe',
  });
  server.stdout?.on('data', (chunk: Buffer) => output.push(String(chunk)));
  server.stderr?.on('data', (chunk: Buffer) => output.push(String(chunk)));
  const deadline = Date.now() + 30_000;
  while (
    !(await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error(`the API did not start:\n${output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 60_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  const redis = connectRedis({ url: REDIS_URL });
  const keys = await redis.keys(`${redisPrefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await schema?.drop();
});

/** The status and JSON body of a request with the admin key. */
async function call(method: string, path: string, body?: string | FormData) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${adminKey}`,
      ...(typeof body === 'string' ? { 'content-type': 'application/json' } : {}),
    },
    body,
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever the API answered
    body: (await response.json()) as any,
  };
}

describe('model import memory (issue 11)', () => {
  it(`keeps the API under 800 MB while ${IMPORTS} imports of a d = 256 model arrive at once`, async () => {
    const project = await call('POST', '/api/v1/projects', JSON.stringify({ name: 'imports' }));
    expect(project.status).toBe(201);
    const file = mnistModelFile();
    const pid = server.pid ?? 0;
    const before = await memoryOf(pid);
    const started = performance.now();
    const responses = await Promise.all(
      Array.from({ length: IMPORTS }, (_, i) => {
        const form = new FormData();
        form.append('name', `import-${i}`);
        form.append('file', new Blob([file]), 'mnist-d256.safetensors');
        return call('POST', `/api/v1/projects/${project.body.id}/models/import`, form);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const after = await memoryOf(pid);
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const idle = await memoryOf(pid);

    const statuses = responses.map((r) => r.status);
    const created = statuses.filter((s) => s === 201).length;
    console.log(
      `${IMPORTS} concurrent imports of a ${(file.length / 2 ** 20).toFixed(2)} MB d = 256 model: ` +
        `${created} × 201, ${IMPORTS - created} refused (${[...new Set(statuses)].join(', ')}) in ${seconds.toFixed(1)} s; ` +
        `API RSS ${before.rss.toFixed(0)} MB before, peak ${after.peak.toFixed(0)} MB (VmHWM), ${after.rss.toFixed(0)} MB right after, ${idle.rss.toFixed(0)} MB 12 s later`,
    );
    for (const response of responses) {
      if (response.status === 201) {
        expect(response.body.metrics.testAccuracy).toEqual(expect.any(Number));
      } else {
        expect(response.status, JSON.stringify(response.body)).toBe(503);
        expect(response.body.error.code).toBe('unavailable');
        expect(Number(response.retryAfter)).toBeGreaterThan(0);
      }
    }
    expect(created).toBeGreaterThan(0);
    expect(after.peak).toBeLessThan(800);
  }, 180_000);
});
