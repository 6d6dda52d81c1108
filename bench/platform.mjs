#!/usr/bin/env node
// Benchmark of the platform's numbers (issue 4), on this machine, against the built API and worker
// processes with real Postgres and Redis (a fresh schema and Redis prefix, removed afterwards):
//   1. read path — GET a stored decomposition's spectra, and an output's top-16 input-space
//      eigenvectors, at 200 concurrent connections (autocannon): p50/p99 latency, requests/s;
//   2. submission — 1 000 decomposition jobs enqueued over HTTP (50 in flight): wall time, and a count
//      of Job rows and BullMQ jobs afterwards (none lost);
//      Each read is also measured against a bare node:http server answering the same bytes and
//      headers (bench/static-response-server.mjs), with the same load generator on the same cores:
//      with autocannon sharing the machine's two cores, that reference shows the floor;
//   3. the API process's RSS at each phase and its peak through 1 and 2;
//   4. a worker's RSS (its process and sandboxed children) after each of 20 consecutive jobs.
// The model is a seeded d = 512 MNIST-layout model (10 classes) imported over HTTP, decomposed with
// topK 16. Prints a table and one JSON line.
//
//   node bench/platform.mjs [--duration 10] [--connections 200] [--jobs 1000] [--json]
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machineLine, renderReport } from '@bilinear-lab/bench';
import { randomMnistModelFile } from '@bilinear-lab/core/testing';
import { openDatabase } from '@bilinear-lab/db';
import { connectRedis, openQueue } from '@bilinear-lab/jobs';
import autocannon from 'autocannon';
import { DATABASE_URL, freePort, log, REDIS_URL, repo, startBenchPlatform, stopChild } from './harness.mjs';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '200' },
    jobs: { type: 'string', default: '1000' },
    'worker-jobs': { type: 'string', default: '20' },
    json: { type: 'boolean' },
  },
});
/** RSS in MB of a process and all its descendants (a worker's sandboxed processors are children). */
function treeRssMb(pid) {
  const children = (() => {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      return [];
    }
  })();
  let kb = 0;
  try {
    kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {}
  return kb / 1024 + children.reduce((sum, child) => sum + treeRssMb(Number(child)), 0);
}

const platform = await startBenchPlatform({
  // The benchmark's one key sends thousands of requests a second on purpose.
  env: { BILINEAR_RATE_LIMIT_PER_MINUTE: '100000000' },
});
const { api, base, headers, schema, prefix, launch } = platform;
const call = async (method, path, body) => (await platform.call(method, path, body)).json;
const waitForJob = (jobId) => platform.waitForJob(jobId);

const result = {};
try {
  let worker = launch('apps/worker/dist/main.js');
  const rssAtStart = Math.round(treeRssMb(api.pid));
  const { id: projectId } = await call('POST', '/api/v1/projects', { name: 'bench' });

  // A seeded d = 512 model in the reference layout; the work does not depend on the weights' values.
  const d = 512;
  const file = randomMnistModelFile(d);
  const form = new FormData();
  form.append('name', `random d=${d}`);
  form.append('file', new Blob([file]), `mnist-d${d}.safetensors`);
  const { modelId } = await call('POST', `/api/v1/projects/${projectId}/models/import`, form);
  const decomposition = await call('POST', `/api/v1/models/${modelId}/decompositions`, { topK: 16 });
  await waitForJob(decomposition.jobId);
  log(`decomposed a d = ${d} model (10 classes, top-16)`);
  result.api_rss_mb = { at_start: rssAtStart, after_import_and_decompose: Math.round(treeRssMb(api.pid)) };

  let apiPeakMb = 0;
  const sampler = setInterval(() => {
    apiPeakMb = Math.max(apiPeakMb, treeRssMb(api.pid));
  }, 50);

  // 1. Read path.
  const connections = Number(flags.connections);
  const duration = Number(flags.duration);
  const paths = {
    spectra: `/api/v1/decompositions/${decomposition.decompositionId}`,
    eigenvectors_f32: `/api/v1/decompositions/${decomposition.decompositionId}/outputs/3/eigenvectors?space=input&k=16&format=f32`,
    eigenvectors_json: `/api/v1/decompositions/${decomposition.decompositionId}/outputs/3/eigenvectors?space=input&k=16&format=json`,
  };
  result.read = {};
  const scratch = mkdtempSync(join(tmpdir(), 'bench-platform-'));
  for (const [name, path] of Object.entries(paths)) {
    const sample = await fetch(base + path, { headers });
    const body = new Uint8Array(await sample.arrayBuffer());
    const run = await autocannon({ url: base + path, headers, connections, duration });
    // The same bytes and headers from a bare server, measured the same way.
    const bodyFile = join(scratch, `${name}.body`);
    writeFileSync(bodyFile, body);
    const served = Object.fromEntries(
      [...sample.headers].filter(
        ([key]) => !['content-length', 'date', 'connection', 'keep-alive'].includes(key),
      ),
    );
    const referencePort = await freePort();
    const reference = fork(repo('bench/static-response-server.mjs'), [
      bodyFile,
      JSON.stringify(served),
      String(referencePort),
    ]);
    await new Promise((resolve) => reference.once('message', resolve));
    const bare = await autocannon({ url: `http://127.0.0.1:${referencePort}/`, connections, duration });
    await stopChild(reference);
    result.read[name] = {
      bytes: body.byteLength,
      requests_per_s: Math.round(run.requests.average),
      p50_ms: run.latency.p50,
      p99_ms: run.latency.p99,
      non_2xx: run.non2xx,
      errors: run.errors + run.timeouts,
      bare_server_requests_per_s: Math.round(bare.requests.average),
      bare_server_p99_ms: bare.latency.p99,
      p99_ratio: Number((run.latency.p99 / bare.latency.p99).toFixed(2)),
    };
    log(
      `read ${name}: p99 ${run.latency.p99} ms (bare server ${bare.latency.p99} ms), ${Math.round(run.requests.average)} req/s`,
    );
  }
  rmSync(scratch, { recursive: true, force: true });
  result.api_rss_mb.after_reads = Math.round(treeRssMb(api.pid));

  // 2. Submission: no worker takes jobs meanwhile, so every job must still be waiting afterwards.
  await stopChild(worker);
  const jobs = Number(flags.jobs);
  const started = performance.now();
  let next = 0;
  const ids = [];
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < jobs) {
        const i = next++;
        // Distinct parameters: identical requests would be deduplicated into one job.
        const queued = await call('POST', `/api/v1/models/${modelId}/decompositions`, {
          topK: 1 + (i % 256),
          truncationK: [1 + Math.floor(i / 256)],
        });
        ids.push(queued.jobId);
      }
    }),
  );
  const submitSeconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const db = openDatabase({ url: DATABASE_URL, schema: schema.schema });
  const redis = connectRedis({ url: REDIS_URL });
  const queue = openQueue('decompose', { connection: redis, prefix });
  const counts = await queue.getJobCounts(
    'waiting',
    'prioritized',
    'delayed',
    'active',
    'completed',
    'failed',
  );
  const rows = await db.job.count({ where: { queue: 'decompose', status: 'queued' } });
  result.submission = {
    jobs,
    seconds: Number(submitSeconds.toFixed(2)),
    jobs_per_s: Math.round(jobs / submitSeconds),
    distinct_job_ids: new Set(ids).size,
    queued_rows: rows,
    bullmq_waiting: counts.waiting + counts.prioritized + counts.delayed,
  };
  result.api_rss_mb.after_submission = Math.round(treeRssMb(api.pid));
  result.api_rss_mb.peak = Math.round(apiPeakMb);
  log(
    `submitted ${jobs} jobs in ${submitSeconds.toFixed(2)} s; ${rows} rows queued, ${result.submission.bullmq_waiting} waiting in BullMQ`,
  );

  // 4. A worker's memory across consecutive jobs: clear the backlog, then one job at a time, each the
  // same work (only the truncation k differs, so the requests are not deduplicated).
  await queue.obliterate({ force: true });
  await db.job.updateMany({ where: { status: 'queued' }, data: { status: 'cancelled' } });
  await db.decomposition.updateMany({ where: { status: 'queued' }, data: { status: 'cancelled' } });
  worker = launch('apps/worker/dist/main.js');
  const fixtureForm = new FormData();
  fixtureForm.append(
    'file',
    new Blob([readFileSync(repo('examples/mnist-d64.safetensors'))]),
    'mnist-d64.safetensors',
  );
  const small = await call('POST', `/api/v1/projects/${projectId}/models/import`, fixtureForm);
  const rss = [];
  for (let i = 0; i < Number(flags['worker-jobs']); i++) {
    const queued = await call('POST', `/api/v1/models/${small.modelId}/decompositions`, {
      topK: 16,
      truncationK: [1 + i],
    });
    await waitForJob(queued.jobId);
    rss.push(Math.round(treeRssMb(worker.pid)));
  }
  result.worker_rss_mb = {
    after_job_1: rss[0],
    after_job_5: rss[4],
    after_last: rss.at(-1),
    max: Math.max(...rss),
    growth_after_job_5: (rss.at(-1) ?? 0) - (rss[4] ?? 0),
  };
  await queue.close();
  await redis.quit();
  await db.$disconnect();
} finally {
  await platform.close();
}

const s = result.submission;
console.log(
  renderReport(
    {
      table: {
        rows: [
          [
            `read path (${flags.connections} connections)`,
            'bytes',
            'req/s',
            'p50 ms',
            'p99 ms',
            'bare req/s',
            'bare p99 ms',
            'p99 ratio',
          ],
          ...Object.entries(result.read).map(([name, r]) => [
            name,
            ...[
              r.bytes,
              r.requests_per_s,
              r.p50_ms,
              r.p99_ms,
              r.bare_server_requests_per_s,
              r.bare_server_p99_ms,
              r.p99_ratio,
            ].map(String),
          ]),
        ],
        align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
      },
      notes: [
        `submission: ${s.jobs} jobs in ${s.seconds} s (${s.jobs_per_s}/s), ${s.queued_rows} rows queued, ${s.bullmq_waiting} waiting in BullMQ`,
        `API RSS (MB): ${JSON.stringify(result.api_rss_mb)}`,
        `worker RSS after each job (MB): ${JSON.stringify(result.worker_rss_mb)}`,
      ],
      machine: machineLine(),
      results: [result],
    },
    { json: flags.json },
  ),
);
