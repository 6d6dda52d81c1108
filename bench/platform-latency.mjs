#!/usr/bin/env node
// Platform latency (issue 14): POST → completed for a d = 96, 10-class decomposition (top-16, the
// default analyses) on a warm worker, and where the time goes, per run and as medians:
//   post     the POST's round trip (rows written, job enqueued)
//   queue    Job.createdAt → Job.startedAt: BullMQ handing the job to the worker's processor
//   start    Job.startedAt → the job's first progress event (reading the row and the model)
//   work     → Job.finishedAt, set as the results transaction begins (ten eigendecompositions, the
//            truncation curve on the test split)
//   store    Job.finishedAt → the client seeing `completed`: the results transaction (spectra,
//            eigenvectors, analyses) and polling GET /jobs/{id} every 10 ms
// and, inside work, the decomposition's own time as the job logs it ("decomposed 10 outputs in …"),
// beside numpy's 10 `eigh` calls on the same interaction matrices (packages/bench/python/
// numpy_mnist_eigh.py) when numpy is there: the "in a warm worker" ratio at --d 512.
// (progress events are throttled to 4 a second, so they cannot split the work further)
// Event times are the Redis stream ids' milliseconds; every process runs on this machine's clock.
// Prints a table and one JSON line.
//
//   node bench/platform-latency.mjs [--runs 15] [--d 96] [--python python3] [--json]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  median,
  probePython,
  runReference,
  unsteadiness,
  unsteadyWarning,
  withScratchDirectory,
} from '@bilinear-lab/bench';
import { randomMnistModelFile } from '@bilinear-lab/core/testing';
import { openDatabase } from '@bilinear-lab/db';
import { connectRedis } from '@bilinear-lab/jobs';
import { DATABASE_URL, log, REDIS_URL, report, sleep, startBenchPlatform } from './harness.mjs';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    d: { type: 'string', default: '96' },
    python: { type: 'string', default: 'python3' },
    json: { type: 'boolean' },
  },
});
const runs = Number(flags.runs);
const d = Number(flags.d);
const modelBytes = randomMnistModelFile(d);

const platform = await startBenchPlatform();
const { call } = platform;
const db = openDatabase({ url: DATABASE_URL, schema: platform.schema.schema, maxConnections: 2 });
const redis = connectRedis({ url: REDIS_URL });
const phases = [];
try {
  await platform.startWorkers(1);
  const { json: project } = await call('POST', '/api/v1/projects', { name: 'latency' });
  const form = new FormData();
  form.append('file', new Blob([modelBytes]), `mnist-d${d}.safetensors`);
  const { json: model } = await call('POST', `/api/v1/projects/${project.id}/models/import`, form);

  // Run 0 warms the worker (its processor child, the model's first load); it is not counted.
  for (let run = 0; run <= runs; run++) {
    const t0 = Date.now();
    // Distinct requests: identical ones are one decomposition.
    const { json: queued } = await call('POST', `/api/v1/models/${model.modelId}/decompositions`, {
      topK: 16,
      truncationK: [1, 2, 4, 8, 16 + run],
    });
    const posted = Date.now();
    for (;;) {
      const { json: job } = await call('GET', `/api/v1/jobs/${queued.jobId}`);
      if (job.status === 'completed') break;
      if (job.status === 'failed' || job.status === 'cancelled')
        throw new Error(`job ${job.status}: ${job.error}`);
      await sleep(10);
    }
    const seen = Date.now();
    const row = await db.job.findUniqueOrThrow({ where: { id: queued.jobId } });
    const events = await redis.xrange(`${platform.prefix}:events:${queued.jobId}`, '-', '+');
    const timed = events.map(([id, fields]) => ({
      at: Number(id.split('-')[0]),
      event: JSON.parse(fields[1]),
    }));
    const started = row.startedAt.getTime();
    const finished = row.finishedAt.getTime();
    const firstProgress = timed.find((e) => e.event.type === 'progress' && e.at >= started)?.at ?? started;
    const logged = timed
      .map((e) =>
        e.event.type === 'log' ? /^decomposed \d+ outputs in (\d+) ms/.exec(e.event.message) : null,
      )
      .find((match) => match !== null);
    const phase = {
      decomposition: logged ? Number(logged[1]) : null,
      total: seen - t0,
      post: posted - t0,
      queue: started - row.createdAt.getTime(),
      start: firstProgress - started,
      work: finished - firstProgress,
      store: seen - finished,
    };
    if (run === 0) log(`warm-up: ${phase.total} ms`);
    else phases.push(phase);
  }
} finally {
  await db.$disconnect();
  await redis.quit();
  await platform.close();
}

const keys = ['total', 'post', 'queue', 'start', 'work', 'store'];
const logged = phases.every((p) => p.decomposition !== null);
const decompositionMs = logged ? median(phases.map((p) => p.decomposition)) : null;
const numpy = probePython(flags.python, 'numpy', process.env);
const numpyMs = numpy.available
  ? await withScratchDirectory((directory) => {
      const path = join(directory, `mnist-d${d}.safetensors`);
      writeFileSync(path, modelBytes);
      return median(runReference(numpy, 'numpy_mnist_eigh', [path, 5], 'numpy eigh failed').times_ms);
    })
  : null;
const result = {
  d,
  runs,
  median_ms: Object.fromEntries(keys.map((key) => [key, median(phases.map((p) => p[key]))])),
  decomposition_ms: decompositionMs,
  numpy_eigh_ms: numpyMs === null ? null : Math.round(numpyMs * 10) / 10,
  decomposition_ratio:
    decompositionMs === null || numpyMs === null
      ? null
      : Math.round((decompositionMs / numpyMs) * 1000) / 1000,
};
result.runs_ms = phases;
const warning = unsteadyWarning(
  [
    unsteadiness(
      'POST → completed',
      phases.map((p) => p.total),
    ),
  ],
  'medians',
);
if (warning !== null) log(warning);
report(
  [
    [
      `POST → completed, d = ${d}, 10 classes, median of ${runs} (goal ≤ 500 ms)`,
      `${result.median_ms.total} ms`,
    ],
    ['  POST round trip (rows, enqueue)', `${result.median_ms.post} ms`],
    ['  in the queue (createdAt → startedAt)', `${result.median_ms.queue} ms`],
    ['  start of the run (row, model)', `${result.median_ms.start} ms`],
    ['  ten eigendecompositions and the truncation curve', `${result.median_ms.work} ms`],
    ['  results transaction, client noticing', `${result.median_ms.store} ms`],
    [
      "the decomposition itself (the job's log; within the work above)",
      decompositionMs === null ? '—' : `${decompositionMs} ms`,
    ],
    [
      'numpy: 10 × eigh alone on the same matrices',
      numpyMs === null ? `— (${numpy.reason ?? 'no numpy'})` : `${result.numpy_eigh_ms} ms`,
    ],
    [
      'ratio decomposition / numpy (goal at d = 512: ≤ 1.5)',
      result.decomposition_ratio === null ? '—' : `${result.decomposition_ratio}`,
    ],
  ],
  result,
  { json: flags.json },
);
