// The worker's configuration, parsed once from process.env at start-up (parent and each sandboxed
// child). Nothing else in the worker reads process.env.
import { hostname } from 'node:os';
import { QUEUE_NAMES, type QueueName } from '@bilinear-lab/contracts';
import { DEFAULT_PREFIX } from '@bilinear-lab/jobs';
import { BACKENDS, type BackendRequest } from '@bilinear-lab/training';
import { z } from 'zod';

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const wholeNumber = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

const queueList = z
  .string()
  // Every queue of the catalog unless told otherwise.
  .default(QUEUE_NAMES.join(','))
  .transform((text, context) => {
    const names = [...new Set(text.split(',').map((name) => name.trim()))].filter(Boolean);
    const unknown = names.filter((name) => !(QUEUE_NAMES as string[]).includes(name));
    if (unknown.length > 0 || names.length === 0) {
      context.addIssue({
        code: 'custom',
        message: `names no known queue (${unknown.join(', ') || 'empty'}); the queues are ${QUEUE_NAMES.join(', ')}`,
      });
      return z.NEVER;
    }
    return names as QueueName[];
  });

const EnvSchema = z.object({
  DATABASE_URL: z.string().min(1, 'is required (postgresql://…)'),
  DATABASE_SCHEMA: z.string().min(1).optional(),
  REDIS_URL: z.string().min(1, 'is required (redis://…)'),
  BILINEAR_REDIS_PREFIX: z.string().min(1).default(DEFAULT_PREFIX),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  BILINEAR_WORKER_QUEUES: queueList,
  BILINEAR_WORKER_CONCURRENCY: wholeNumber(1, 1),
  BILINEAR_BACKEND: z.enum(['auto', ...BACKENDS]).default('auto'),
  /** 1 lets BILINEAR_BACKEND=auto try webgpu: opt-in until it has passed bench/gpu-check.sh on a GPU. */
  BILINEAR_WEBGPU: z.enum(['0', '1'], { message: "must be '1' (let auto try webgpu) or '0'" }).default('0'),
  /** Gradient threads per training job; 1 keeps one job on one core, scale out with more workers. */
  BILINEAR_WORKER_TRAIN_THREADS: wholeNumber(1, 1),
  /** Threads per decomposition job (0: one per core). */
  BILINEAR_WORKER_DECOMPOSE_THREADS: wholeNumber(0, 0),
  BILINEAR_WORKER_LOCK_MS: wholeNumber(100, 30_000),
  BILINEAR_WORKER_STALLED_INTERVAL_MS: wholeNumber(100, 30_000),
  /** How often a job found stalled (its worker died) goes back to the queue before it fails; ≥ 1. */
  BILINEAR_WORKER_MAX_STALLED_COUNT: wholeNumber(1, 1),
  BILINEAR_WORKER_HEARTBEAT_MS: wholeNumber(100, 5_000),
  /** How long a job's own writes wait for an unavailable database before the job is put back. */
  BILINEAR_WORKER_DATABASE_PATIENCE_MS: wholeNumber(0, 60_000),
  /** How often the reconciler compares queued/running rows with BullMQ (also once at start-up). */
  BILINEAR_WORKER_RECONCILE_MS: wholeNumber(100, 60_000),
  BILINEAR_WORKER_ID: z.string().min(1).optional(),
});

export interface WorkerEnv {
  databaseUrl: string;
  databaseSchema: string | undefined;
  redisUrl: string;
  redisPrefix: string;
  logLevel: LogLevel;
  queues: QueueName[];
  concurrency: number;
  backend: BackendRequest;
  /** Whether `auto` may try webgpu (BILINEAR_WEBGPU=1). */
  webgpu: boolean;
  trainThreads: number;
  /** Threads per decomposition job; 0 uses every core. */
  decomposeThreads: number;
  lockMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  heartbeatMs: number;
  databasePatienceMs: number;
  reconcileIntervalMs: number;
  workerId: string;
}

export class EnvError extends Error {
  override readonly name = 'EnvError';
}

/** Parses the environment; throws EnvError listing every variable that is wrong and why. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): WorkerEnv {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new EnvError(`worker environment: ${problems.join('; ')}`);
  }
  const env = parsed.data;
  return {
    databaseUrl: env.DATABASE_URL,
    databaseSchema: env.DATABASE_SCHEMA,
    redisUrl: env.REDIS_URL,
    redisPrefix: env.BILINEAR_REDIS_PREFIX,
    logLevel: env.LOG_LEVEL,
    queues: env.BILINEAR_WORKER_QUEUES,
    concurrency: env.BILINEAR_WORKER_CONCURRENCY,
    backend: env.BILINEAR_BACKEND,
    webgpu: env.BILINEAR_WEBGPU === '1',
    trainThreads: env.BILINEAR_WORKER_TRAIN_THREADS,
    decomposeThreads: env.BILINEAR_WORKER_DECOMPOSE_THREADS,
    lockMs: env.BILINEAR_WORKER_LOCK_MS,
    stalledIntervalMs: env.BILINEAR_WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: env.BILINEAR_WORKER_MAX_STALLED_COUNT,
    heartbeatMs: env.BILINEAR_WORKER_HEARTBEAT_MS,
    databasePatienceMs: env.BILINEAR_WORKER_DATABASE_PATIENCE_MS,
    reconcileIntervalMs: env.BILINEAR_WORKER_RECONCILE_MS,
    workerId:
      env.BILINEAR_WORKER_ID ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`,
  };
}

/**
 * The environment of a sandboxed child: the parent's, with the worker id fixed to the parent's so
 * the Job rows a child writes name the worker that registered.
 */
export function childEnvironment(workerId: string): NodeJS.ProcessEnv {
  return { ...process.env, BILINEAR_WORKER_ID: workerId };
}
