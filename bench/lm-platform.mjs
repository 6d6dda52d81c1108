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
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from '@bilinear-lab/bench';
import { randomLanguageModelFolder } from '@bilinear-lab/core/testing';
import { openDatabase } from '@bilinear-lab/db';
import { DATABASE_URL, log, repo, report, seconds, startBenchPlatform, stopChild } from './harness.mjs';

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
const platform = await startBenchPlatform();
const { call, startWorkers, waitForJob } = platform;

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
  await waitForJob(queued.jobId, {
    onProgress: (job) => {
      if (performance.now() - lastLog < 10_000) return;
      lastLog = performance.now();
      log(`  ${(job.progress * 100).toFixed(0)} % after ${((lastLog - t0) / 1000).toFixed(0)} s`);
    },
  });
  return { ms: performance.now() - t0, decompositionId: queued.decompositionId };
}

let queued;
try {
  const { json: project } = await call('POST', '/api/v1/projects', { name: 'bench' });
  const one = await startWorkers(1);
  const imported = await importFolder(project.id);
  result.import_ms = imported.ms;
  queued = await decomposeAllTokens(imported.modelId, 'platform');
  result.platform_ms = queued.ms;
  result.ratio = result.platform_ms / result.cli_ms;

  if (flags.sharing) {
    // One thread per worker, as on hosts of one core each: one worker, then two sharing the shards.
    await Promise.all(one.map(stopChild));
    const single = await startWorkers(1, { BILINEAR_WORKER_DECOMPOSE_THREADS: '1' });
    result.one_worker_one_thread_ms = (
      await decomposeAllTokens((await importFolder(project.id)).modelId, 'one worker, one thread')
    ).ms;
    await Promise.all(single.map(stopChild));
    await startWorkers(2, { BILINEAR_WORKER_DECOMPOSE_THREADS: '1' });
    result.two_workers_one_thread_ms = (
      await decomposeAllTokens((await importFolder(project.id)).modelId, 'two workers, one thread each')
    ).ms;
    result.sharing_speedup = result.one_worker_one_thread_ms / result.two_workers_one_thread_ms;
  }

  // ── 3. storage ────────────────────────────────────────────────────────────────────────────────
  const { schema } = platform;
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
  result.read_cold_ms = cold[0].ms + cold[1].ms;
  result.read_warm_p50_ms = median(warm);
  result.read_bytes = cold[0].bytes + cold[1].bytes;
} finally {
  await platform.close();
  rmSync(folder, { recursive: true, force: true });
}

report(
  [
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
  ],
  result,
  { json: flags.json },
);
