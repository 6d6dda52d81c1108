// Integration tests build the real app on a fresh Postgres schema and a Redis key prefix of their
// own, and remove both afterwards. No mocks: queues, event logs and rows are the real ones.
import { randomBytes } from 'node:crypto';
import { createTestSchema, type TestSchema } from '@bilinear-lab/db';
import { connectRedis, type Redis } from '@bilinear-lab/jobs';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../app.js';
import type { ApiConfig } from '../env.js';
import { generateApiKey } from '../services/api-keys.js';

// Tests are the one place besides env.ts that look at the environment: where the services run.
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestApp {
  app: FastifyInstance;
  config: ApiConfig;
  adminKey: string;
  /** A connection of the test's own, for looking at queues and keys. */
  redis: Redis;
  schema: TestSchema;
  call(options: CallOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface CallOptions {
  method?: InjectOptions['method'];
  url: string;
  key?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
  payload?: InjectOptions['payload'];
}

export async function startTestApp(
  label: string,
  overrides: Partial<Omit<ApiConfig, 'tuning'>> & { tuning?: ApiConfig['tuning'] } = {},
): Promise<TestApp> {
  // A test may bring a Postgres of its own (one it stops, say); the schema is made there.
  const databaseUrl = overrides.databaseUrl ?? DATABASE_URL;
  const schema = await createTestSchema(databaseUrl, 'api');
  const adminKey = generateApiKey();
  const config: ApiConfig = {
    databaseUrl,
    databaseSchema: schema.schema,
    redisUrl: REDIS_URL,
    redisPrefix: `test-api-${label}-${randomBytes(4).toString('hex')}`,
    logLevel: 'silent',
    port: 0,
    host: '127.0.0.1',
    adminKey,
    uploadLimitMb: 100,
    modelUploadLimitMb: 4096,
    rateLimitPerMinute: 1_000_000,
    tuning: { sseHeartbeatMs: 300, databaseConnections: 4 },
    ...overrides,
  };
  const app = await buildApp(config);
  await app.ready();
  const redis = connectRedis({ url: REDIS_URL });
  return {
    app,
    config,
    adminKey,
    redis,
    schema,
    call: ({ method = 'GET', url, key, body, headers = {}, payload }) =>
      app.inject({
        method,
        url,
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
        ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
        ...(payload !== undefined ? { payload } : {}),
      }),
    async close() {
      // Every request is answered by now; sockets a client opened and never used would otherwise
      // hold the server open until the client's keep-alive timeout.
      app.server.closeAllConnections();
      await app.close();
      const keys = await redis.keys(`${config.redisPrefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      await schema.drop();
    },
  };
}

/** A project owned by `key`, and its id. */
export async function createProject(test: TestApp, key: string, name = 'project'): Promise<string> {
  const response = await test.call({ method: 'POST', url: '/api/v1/projects', key, body: { name } });
  if (response.statusCode !== 201) throw new Error(`create project: ${response.statusCode} ${response.body}`);
  return response.json().id;
}

/** Adds a new user to a project with a role; returns their first key. */
export async function addUser(
  test: TestApp,
  ownerKey: string,
  projectId: string,
  name: string,
  role: 'owner' | 'member' | 'viewer',
): Promise<string> {
  const response = await test.call({
    method: 'POST',
    url: `/api/v1/projects/${projectId}/members`,
    key: ownerKey,
    body: { user: name, role },
  });
  if (response.statusCode !== 201) throw new Error(`add member: ${response.statusCode} ${response.body}`);
  return response.json().apiKey;
}

/** A multipart/form-data body with the given file and text parts. */
export function multipartBody(
  parts: ({ field: string; value: string } | { field: string; fileName: string; bytes: Uint8Array })[],
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----bilinear${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n`));
    if ('value' in part) {
      chunks.push(
        Buffer.from(`Content-Disposition: form-data; name="${part.field}"\r\n\r\n${part.value}\r\n`),
      );
    } else {
      chunks.push(
        Buffer.from(
          `Content-Disposition: form-data; name="${part.field}"; filename="${part.fileName}"\r\n` +
            'Content-Type: application/octet-stream\r\n\r\n',
        ),
        Buffer.from(part.bytes),
        Buffer.from('\r\n'),
      );
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(chunks),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}
