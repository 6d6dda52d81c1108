// A sandboxed job process dies with its worker, even mid-computation: a real worker process (SIGKILLed
// here) runs a d = 512 decomposition, or a job that never yields to the event loop, in its job
// process; within a few seconds the job process is gone too instead of spinning on as an orphan of
// PID 1. Needs the built worker (dist/).

import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { seededRandom, writeSafetensors } from '@bilinear-lab/core';
import { enqueue } from '@bilinear-lab/jobs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecompositionJob, createImportedModel, createProject } from '../testing/platform-rows.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { waitFor } from '../testing/wait-for.js';
import { spawnWorker, stopProcess, type WorkerProcess } from '../testing/worker-process.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const HIDDEN = 512;

let platform: TestPlatform;
const workers: WorkerProcess[] = [];
let jobProcesses: number[] = [];
/** Writes to stdout until a write fails (testing/broken-pipe-child.ts). */
const BROKEN_PIPE_CHILD = fileURLToPath(new URL('../../dist/testing/broken-pipe-child.js', import.meta.url));
/** A worker whose decompose jobs never yield (testing/spinning-worker.ts). */
const SPINNING_WORKER = fileURLToPath(new URL('../../dist/testing/spinning-worker.js', import.meta.url));

beforeAll(async () => {
  platform = await createTestPlatform(DATABASE_URL, REDIS_URL, 'orphans');
}, 60_000);

afterAll(async () => {
  await Promise.all(workers.map(stopProcess));
  for (const pid of jobProcesses) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  await platform?.close();
});

/** A bilinear MNIST classifier with random weights and hidden width `d`, as safetensors bytes. */
function randomClassifier(d: number): Uint8Array<ArrayBuffer> {
  const random = seededRandom(512);
  const tensor = (name: string, rows: number, columns: number) => ({
    name,
    dtype: 'F32' as const,
    shape: [rows, columns],
    data: Float32Array.from({ length: rows * columns }, () => (random() - 0.5) / Math.sqrt(columns)),
  });
  const bytes = writeSafetensors([
    tensor('embed.weight', d, 784),
    tensor('blocks.0.weight', 2 * d, d),
    tensor('head.weight', 10, d),
  ]);
  return new Uint8Array(bytes);
}

/** /proc/<pid>/stat, or undefined once the process is gone (a zombie counts as gone: it runs nothing). */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  return procStat(pid) !== undefined;
}

/** CPU seconds (user + system) a process has used. */
function cpuSeconds(pid: number): number {
  const fields = procStat(pid);
  // After the state field: utime and stime are fields 14 and 15 of stat, 11 and 12 here.
  return fields ? (Number(fields[11]) + Number(fields[12])) / 100 : 0;
}

/** SIGKILLs a worker and measures how long its job processes outlive it. */
async function killWorker(worker: WorkerProcess, jobs: number[]): Promise<number> {
  worker.child.kill('SIGKILL');
  await worker.exited;
  const killedAt = Date.now();
  await waitFor('the orphaned job process to exit', () => !jobs.some(isRunning), 10_000, 50);
  return Date.now() - killedAt;
}

async function forkedJobProcesses(worker: WorkerProcess): Promise<number[]> {
  jobProcesses = await waitFor('the job process to fork', () => {
    const pids = worker.jobProcesses();
    return pids.length > 0 ? pids : undefined;
  });
  return jobProcesses;
}

describe.skipIf(process.platform !== 'linux')('a job process whose worker is SIGKILLed', () => {
  it('exits within seconds while its job never yields to the event loop', async () => {
    const worker = spawnWorker(
      platform.workerEnv({ BILINEAR_WORKER_QUEUES: 'decompose', BILINEAR_WORKER_ID: 'spinning' }),
      [SPINNING_WORKER],
    );
    workers.push(worker);
    await worker.waitForOutput(/spinning worker started/);
    await enqueue(platform.queue('decompose'), 'decompose', {
      jobId: randomUUID(),
      projectId: randomUUID(),
      decompositionId: randomUUID(),
    });
    const jobs = await forkedJobProcesses(worker);
    // Past its start-up (loading modules costs a second or two of CPU too): spinning for seconds.
    await waitFor('the job process to spin', () => jobs.some((pid) => cpuSeconds(pid) > 5), 30_000);

    const outlivedMs = await killWorker(worker, jobs);
    console.log(`spinning job process gone ${outlivedMs} ms after its worker was SIGKILLed`);
  }, 60_000);

  it('exits within seconds in the middle of a d = 512 decomposition', async () => {
    const projectId = await createProject(platform.db);
    const { modelId } = await createImportedModel(
      platform.db,
      platform.store,
      projectId,
      randomClassifier(HIDDEN),
      { layout: 'image-classifier', residual: false },
      'wide',
    );
    const worker = spawnWorker(
      platform.workerEnv({ BILINEAR_WORKER_QUEUES: 'decompose', BILINEAR_WORKER_ID: 'doomed' }),
    );
    workers.push(worker);
    await worker.waitForOutput(/started: queues decompose/);
    const rows = await createDecompositionJob(platform.db, projectId, modelId, { topK: 16 });
    await enqueue(platform.queue('decompose'), 'decompose', rows.payload);
    const jobs = await forkedJobProcesses(worker);
    await waitFor(
      'the decomposition to start',
      async () =>
        (await platform.db.job.findUniqueOrThrow({ where: { id: rows.jobId } })).status === 'running',
    );
    const cpuAtStart = Math.max(...jobs.map(cpuSeconds));
    await waitFor('the job process to compute', () => jobs.some((pid) => cpuSeconds(pid) > cpuAtStart + 2));

    const outlivedMs = await killWorker(worker, jobs);
    console.log(`decomposing job process gone ${outlivedMs} ms after its worker was SIGKILLed`);
    // The orphan did not finish the job: it is still running as far as anyone knows, for another
    // worker's stalled check to pick up.
    const job = await platform.db.job.findUniqueOrThrow({ where: { id: rows.jobId } });
    expect(job.status).toBe('running');
  }, 120_000);
});

describe('a job process whose output pipe breaks', () => {
  it('exits on EPIPE instead of reporting the error to no one for ever', async () => {
    const child = fork(BROKEN_PIPE_CHILD, [], { stdio: ['ignore', 'pipe', 'ignore', 'ipc'] });
    jobProcesses.push(child.pid ?? -1);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise((resolve) => child.stdout?.once('data', resolve));
    child.stdout?.destroy(); // the reading end closes; the parent itself stays
    const code = await Promise.race([
      exited,
      new Promise<string>((resolve) => setTimeout(() => resolve('running after 5 s'), 5_000)),
    ]);
    expect(code).toBe(1);
  });
});
