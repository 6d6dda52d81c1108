#!/usr/bin/env node
// Benchmark of a language model's decomposition on the platform (issue 12), on this machine: every
// token direction of a seeded ts-medium-shaped layer (V 4096, d 512, h 2048; top-k per sign),
//   1. through the CLI in one process (`bilinear decompose <folder> --outputs 0,…,V−1`, JSON to a file);
//   2. through the platform: the built API and one worker as real processes on real Postgres and Redis
//      (a fresh schema and Redis prefix, removed afterwards), the folder imported over HTTP, then
//      POST {allTokens} → job completed;
// and the ratio of the two wall times (goal: ≤ 1.2); the storage of the decomposition in Postgres
// (bytes per direction: spectra, top-k model-space vectors, readings); and the read latency of one
// token's page data (its spectrum page and its eigenvectors with readings), cold and warm. With
// --sharing, also the same decomposition by one worker of one thread and by two workers of one
// thread each (as on two one-core hosts: the decompose job and its decompose-shard helper claim
// shards of 256 tokens), and the speed-up of the two.
// Prints a table and one JSON line.
//
//   node bench/lm-platform.mjs [--vocab 4096] [--d 512] [--hidden 2048] [--top-k 8] [--sharing] [--json]
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomLanguageModelFolder } from '@bilinear-lab/core/testing';
import { createTestSchema, openDatabase } from '@bilinear-lab/db';
import { connectRedis } from '@bilinear-lab/jobs';

const { values: flags } = parseArgs({
  options: {
    vocab: { type: 'string', default: '4096' },
    d: { type: 'string', default: '512' },
    hidden: { type: 'string', default: '2048' },
    'top-k': { type: 'string', default: '8' },
    sharing: { type: 'boolean' },
    json: { type: 'boolean' },
  },
});
const shape = { vocab: Number(flags.vocab), d: Number(flags.d), hidden: Number(flags.hidden), layers: 1 };
const topK = Number(flags['top-k']);
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const repo = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const log = (line) => process.stderr.write(`bench: ${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const folder = mkdtempSync(join(tmpdir(), 'bench-lm-'));
const { weights, config } = randomLanguageModelFolder(shape);
writeFileSync(join(folder, 'model.safetensors'), weights);
writeFileSync(join(folder, 'config.json'), JSON.stringify(config));
const tokens = Array.from({ length: shape.vocab }, (_, token) => token);
const result = { ...shape, top_k: topK, directions: shape.vocab };

// ── 1. the CLI in one process ───────────────────────────────────────────────────────────────────
log(`CLI: decomposing ${shape.vocab} token directions of a d ${shape.d}, h ${shape.hidden} layer…`);
const out = join(folder, 'decomposition.json');
const started = performance.now();
const cli = spawnSync(
  process.execPath,
  [
    repo('packages/cli/dist/main.js'),
    'decompose',
    folder,
    '--outputs',
    tokens.join(','),
    '--top-k',
    String(topK),
    '--out',
    out,
  ],
  { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
);
if (cli.status !== 0) throw new Error(`the CLI failed (${cli.status}):\n${cli.stderr}`);
result.cli_ms = performance.now() - started;
result.cli_json_bytes = statSync(out).size;
rmSync(out);

// ── 2. the platform: API + one worker ───────────────────────────────────────────────────────────
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
};
const children = [];
const launch = (entry, extra = {}) => {
  const child = spawn(process.execPath, [repo(entry)], {
    env: { ...env, ...extra },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
};
const stop = async (child) => {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
};
const base = `http://127.0.0.1:${port}`;
async function call(method, path, body) {
  const init = { method, headers: { authorization: `Bearer ${adminKey}` } };
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

/** Workers as real processes; resolves once all of them are registered and alive. */
async function startWorkers(count, extra = {}) {
  const started = Array.from({ length: count }, () => launch('apps/worker/dist/main.js', extra));
  for (let i = 0; ; i++) {
    const { json: registered } = await call('GET', '/api/v1/workers');
    if (started.every((child) => registered.some((w) => w.alive && w.pid === child.pid))) return started;
    if (i > 600) throw new Error('the workers did not register');
    await sleep(100);
  }
}

/** The folder imported over HTTP (again: each import is a model of its own). */
async function importFolder(projectId) {
  const form = new FormData();
  form.append('file', new Blob([weights]), 'model.safetensors');
  form.append('config', new Blob([JSON.stringify(config)]), 'config.json');
  const t0 = performance.now();
  const { json: imported } = await call('POST', `/api/v1/projects/${projectId}/models/import`, form);
  return { modelId: imported.modelId, ms: performance.now() - t0 };
}

/** POST {allTokens} → job completed: the wall time and the decomposition. */
async function decomposeAllTokens(modelId, what) {
  log(`${what}: POST {allTokens} and wait for the job…`);
  const t0 = performance.now();
  const { json: queued } = await call('POST', `/api/v1/models/${modelId}/decompositions`, {
    topK,
    allTokens: true,
  });
  let lastLog = 0;
  for (;;) {
    const { json: job } = await call('GET', `/api/v1/jobs/${queued.jobId}`);
    if (job.status === 'completed') break;
    if (job.status === 'failed' || job.status === 'cancelled')
      throw new Error(`job ${job.status}: ${job.error}`);
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`  ${(job.progress * 100).toFixed(0)} % after ${((lastLog - t0) / 1000).toFixed(0)} s`);
    }
    await sleep(100);
  }
  return { ms: performance.now() - t0, decompositionId: queued.decompositionId };
}

let queued;
try {
  launch('apps/api/dist/server.js');
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
  const { json: project } = await call('POST', '/api/v1/projects', { name: 'bench' });
  const one = await startWorkers(1);
  const imported = await importFolder(project.id);
  result.import_ms = imported.ms;
  const platform = await decomposeAllTokens(imported.modelId, 'platform');
  queued = platform;
  result.platform_ms = platform.ms;
  result.ratio = result.platform_ms / result.cli_ms;

  if (flags.sharing) {
    // One thread per worker, as on hosts of one core each: one worker, then two sharing the shards.
    await Promise.all(one.map(stop));
    const single = await startWorkers(1, { BILINEAR_WORKER_DECOMPOSE_THREADS: '1' });
    result.one_worker_one_thread_ms = (
      await decomposeAllTokens((await importFolder(project.id)).modelId, 'one worker, one thread')
    ).ms;
    await Promise.all(single.map(stop));
    await startWorkers(2, { BILINEAR_WORKER_DECOMPOSE_THREADS: '1' });
    result.two_workers_one_thread_ms = (
      await decomposeAllTokens((await importFolder(project.id)).modelId, 'two workers, one thread each')
    ).ms;
    result.sharing_speedup = result.one_worker_one_thread_ms / result.two_workers_one_thread_ms;
  }

  // ── 3. storage ────────────────────────────────────────────────────────────────────────────────
  const db = openDatabase({ url: DATABASE_URL, schema: schema.schema });
  const sizeOf = async (table) => {
    const rows = await db.$queryRawUnsafe(
      `SELECT COALESCE(SUM(pg_column_size(t.*)), 0)::bigint AS bytes FROM "${schema.schema}"."${table}" t WHERE "decompositionId" = $1::uuid`,
      queued.decompositionId,
    );
    return Number(rows[0].bytes);
  };
  result.spectra_bytes = await sizeOf('Spectrum');
  result.eigenvector_bytes = await sizeOf('Eigenvectors');
  result.bytes_per_direction = (result.spectra_bytes + result.eigenvector_bytes) / shape.vocab;
  await db.$disconnect();

  // ── 4. reads: one token's page data ──────────────────────────────────────────────────────────
  const token = 1234 % shape.vocab;
  const pagePath = `/api/v1/decompositions/${queued.decompositionId}?offset=${token}&limit=1`;
  const vectorsPath = `/api/v1/decompositions/${queued.decompositionId}/outputs/${token}/eigenvectors?space=model`;
  const time = async (path) => {
    const t0 = performance.now();
    const { bytes } = await call('GET', path);
    return { ms: performance.now() - t0, bytes };
  };
  const cold = [await time(pagePath), await time(vectorsPath)];
  const warm = [];
  for (let i = 0; i < 50; i++) warm.push((await time(pagePath)).ms + (await time(vectorsPath)).ms);
  warm.sort((a, b) => a - b);
  result.read_cold_ms = cold[0].ms + cold[1].ms;
  result.read_warm_p50_ms = warm[Math.floor(warm.length / 2)];
  result.read_bytes = cold[0].bytes + cold[1].bytes;
} finally {
  await Promise.all(children.map(stop));
  const redis = connectRedis({ url: REDIS_URL });
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await schema.drop();
  rmSync(folder, { recursive: true, force: true });
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
if (!flags.json) {
  const rows = [
    [`CLI, one process (JSON ${(result.cli_json_bytes / 2 ** 20).toFixed(0)} MB)`, seconds(result.cli_ms)],
    ['platform: POST → completed, one worker', seconds(result.platform_ms)],
    ['ratio platform / CLI (goal ≤ 1.2)', result.ratio.toFixed(2)],
    ...(flags.sharing
      ? [
          ['platform: one worker of one thread', seconds(result.one_worker_one_thread_ms)],
          ['platform: two workers of one thread each', seconds(result.two_workers_one_thread_ms)],
          ['speed-up with two workers', `${result.sharing_speedup.toFixed(2)}×`],
        ]
      : []),
    ['import of the folder over HTTP', seconds(result.import_ms)],
    ['stored per direction', `${(result.bytes_per_direction / 1024).toFixed(1)} KiB`],
    [
      "one token's page data, cold",
      `${result.read_cold_ms.toFixed(0)} ms (${(result.read_bytes / 1024).toFixed(0)} KiB)`,
    ],
    ["one token's page data, warm p50", `${result.read_warm_p50_ms.toFixed(1)} ms`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
}
console.log(JSON.stringify(result));
