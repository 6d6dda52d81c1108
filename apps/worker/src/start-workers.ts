// The workers one process runs: a BullMQ Worker per configured queue, each running its jobs in
// sandboxed child processes (processors/<queue>.js) so CPU-heavy work never delays the parent's
// lock renewals and stalled-job checks; plus the registry row and its heartbeat, and the reconciler
// that repairs rows BullMQ has finished with but no worker could update.
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { QueueName } from '@bilinear-lab/contracts';
import { connectRedis, type Redis } from '@bilinear-lab/jobs';
import { selectBackend } from '@bilinear-lab/training';
import { Worker } from 'bullmq';
import { childEnvironment, type WorkerEnv } from './env.js';
import { closeJobContext, type JobContext, openJobContext } from './jobs/job-context.js';
import { isRecorded, isUnrecoverable } from './jobs/job-errors.js';
import { recordUnhandledFailure } from './jobs/job-run.js';
import { describeError } from './log.js';
import { JobReconciler } from './reconciler/job-reconciler.js';
import { describeDevice, type WorkerIdentity, WorkerRegistry } from './registry/worker-registry.js';

export interface StartOptions {
  /** Where the built processor files are (default: processors/ beside this module). */
  processorDir?: string;
}

export interface RunningWorkers {
  identity: WorkerIdentity;
  /** Stops taking jobs, waits for the running ones to finish, records the stop. */
  close(): Promise<void>;
  /** Stops at once: running jobs are abandoned and recovered by another worker as stalled. */
  abandon(): Promise<void>;
}

const HERE = dirname(fileURLToPath(import.meta.url));

export async function startWorkers(env: WorkerEnv, options: StartOptions = {}): Promise<RunningWorkers> {
  const context = openJobContext(env);
  const backend = await selectBackend(env.backend, { webgpu: env.webgpu });
  // An operator who opted in to webgpu wants to know why this worker runs on something else.
  const webgpuSkipped = backend.skipped.find((skipped) => skipped.name === 'webgpu');
  if (env.webgpu && webgpuSkipped) context.log.warn(`webgpu not used: ${webgpuSkipped.reason}`);
  const identity: WorkerIdentity = {
    id: env.workerId,
    host: hostname(),
    pid: process.pid,
    backend: backend.name,
    device: await describeDevice(backend),
    concurrency: env.concurrency,
    queues: env.queues,
  };
  const registry = new WorkerRegistry(context.db, identity, env.heartbeatMs, context.log);
  await registry.start();
  const processorDir = options.processorDir ?? join(HERE, 'processors');
  const started = env.queues.map((queue) => startQueueWorker(queue, env, context, processorDir));
  const reconciler = new JobReconciler({
    db: context.db,
    redis: context.redis,
    prefix: env.redisPrefix,
    events: context.events,
    log: context.log,
  });
  reconciler.start(env.reconcileIntervalMs);

  const shutDown = async (force: boolean) => {
    await reconciler.stop();
    await Promise.all(started.map(({ worker }) => worker.close(force)));
    await Promise.all(started.map(({ connection }) => connection.quit().catch(() => {})));
    await registry.stop().catch((error: unknown) => {
      context.log.warn(`could not record the stop: ${describeError(error)}`);
    });
    await closeJobContext(context);
  };
  return { identity, close: () => shutDown(false), abandon: () => shutDown(true) };
}

function startQueueWorker(
  queue: QueueName,
  env: WorkerEnv,
  context: JobContext,
  processorDir: string,
): { worker: Worker; connection: Redis } {
  const connection = connectRedis({ url: env.redisUrl });
  const worker = new Worker(queue, join(processorDir, `${queue}.js`), {
    connection,
    prefix: env.redisPrefix,
    concurrency: env.concurrency,
    useWorkerThreads: false,
    workerForkOptions: { env: childEnvironment(env.workerId) },
    lockDuration: env.lockMs,
    stalledInterval: env.stalledIntervalMs,
    maxStalledCount: env.maxStalledCount,
  });
  const { log } = context;
  worker.on('error', (error) => log.error(`${queue} worker: ${describeError(error)}`));
  worker.on('stalled', (jobId) => {
    log.warn(`job ${jobId} (${queue}) stalled: its worker stopped renewing the lock; back to the queue`);
    context.events
      .append(jobId, {
        type: 'log',
        level: 'warn',
        message: 'the worker running this job stopped responding; the job went back to the queue',
      })
      .catch(() => {});
  });
  // Failures the child recorded itself carry a mark; the rest (a crashed child, a job that stalled
  // too often) are recorded here.
  worker.on('failed', (job, error) => {
    if (!job?.id || isRecorded(error)) return;
    const jobId = job.id;
    void (async () => {
      const state = await job.getState().catch(() => 'unknown');
      const final = state === 'failed' || isUnrecoverable(error);
      log.warn(`job ${jobId} (${queue}) failed outside its handler: ${describeError(error)}`);
      await recordUnhandledFailure(context, jobId, final, describeError(error));
    })().catch((recordError: unknown) =>
      log.error(`job ${jobId}: could not record its failure: ${describeError(recordError)}`),
    );
  });
  return { worker, connection };
}
