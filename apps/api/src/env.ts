// The API's configuration: process.env parsed once, at start-up, with zod. Nothing else reads
// process.env; everything receives the parsed ApiConfig.
import { isIP } from 'node:net';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Failed authentications an address may make per minute before it gets 429 (auth.ts). */
export const DEFAULT_AUTH_FAILURES_PER_MINUTE = 30;

/** Largest corpus upload (as uploaded: compressed when .gz), MB: TinyStories' 1.9 GB of text gzips to about 0.6 GB. */
export const DEFAULT_CORPUS_UPLOAD_LIMIT_MB = 2048;

/** Names Fastify's trustProxy (proxy-addr) knows for ranges. */
const PROXY_ADDRESS_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function isProxyAddress(entry: string): boolean {
  if (PROXY_ADDRESS_NAMES.includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (version === 4 ? 32 : 128);
}

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

export const ApiEnvSchema = z.object({
  DATABASE_URL: z.string().trim().min(1, 'set DATABASE_URL (postgresql://user@host:port/database)'),
  DATABASE_SCHEMA: optionalText,
  REDIS_URL: z.string().trim().min(1, 'set REDIS_URL (redis://host:port)'),
  BILINEAR_REDIS_PREFIX: z.string().trim().min(1).default('bilinear'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  BILINEAR_ADMIN_KEY: optionalText.pipe(
    z
      .string()
      .min(16, 'BILINEAR_ADMIN_KEY must be at least 16 characters (e.g. bl_ + 32 letters and digits)')
      .optional(),
  ),
  BILINEAR_UPLOAD_LIMIT_MB: z.coerce.number().positive().max(10_000).default(100),
  /** Language-model checkpoints stream into the artifact store rather than memory: a limit of their own. */
  BILINEAR_MODEL_UPLOAD_LIMIT_MB: z.coerce.number().positive().max(1_000_000).default(4096),
  /** Text corpora stream into the artifact store, checked line by line: a limit of their own. */
  BILINEAR_CORPUS_UPLOAD_LIMIT_MB: z.coerce
    .number()
    .positive()
    .max(1_000_000)
    .default(DEFAULT_CORPUS_UPLOAD_LIMIT_MB),
  BILINEAR_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(6000),
  BILINEAR_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(DEFAULT_AUTH_FAILURES_PER_MINUTE),
  BILINEAR_TRUST_PROXY: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ''),
    )
    .pipe(
      z.array(
        z.string().refine(isProxyAddress, {
          error: (issue) =>
            `BILINEAR_TRUST_PROXY: ${String(issue.input)} is not an IP address, a CIDR range (10.0.0.0/8) or one of ${PROXY_ADDRESS_NAMES.join(', ')}`,
        }),
      ),
    ),
});

export interface ApiConfig {
  databaseUrl: string;
  /** Postgres schema of the tables (tests use a fresh one); default "public". */
  databaseSchema?: string | undefined;
  redisUrl: string;
  /** Every Redis key the platform writes starts with this (BullMQ's too). */
  redisPrefix: string;
  logLevel: (typeof LOG_LEVELS)[number];
  port: number;
  host: string;
  /** The bootstrap admin's key, used only when no admin exists yet. */
  adminKey?: string | undefined;
  uploadLimitMb: number;
  /** Language-model checkpoints (streamed, never held in memory). */
  modelUploadLimitMb: number;
  /** Text corpora (streamed, never held in memory); default DEFAULT_CORPUS_UPLOAD_LIMIT_MB. */
  corpusUploadLimitMb?: number;
  rateLimitPerMinute: number;
  /** Failed authentications per client address per minute before 429 (default 30). */
  authFailuresPerMinute?: number;
  /**
   * Proxies whose X-Forwarded-For is believed (addresses, CIDR ranges, or loopback / linklocal /
   * uniquelocal); none by default, so a client cannot pick the address it is limited by.
   */
  trustProxy?: string[];
  /** Tuning that has no environment variable: tests shorten these. */
  tuning?: Partial<ApiTuning>;
}

export interface ApiTuning {
  /** Seconds between SSE heartbeat comments. */
  sseHeartbeatMs: number;
  /** Bytes of serialized decomposition responses kept in memory. */
  responseCacheBytes: number;
  /** How long a key → user and a user → role lookup is reused. */
  accessCacheMs: number;
  /** Connections in the Prisma pool. */
  databaseConnections: number;
  /**
   * The most an uploaded dataset's four IDX files may take once decompressed: a gzip bomb is refused
   * at its header, or stopped where it passes what the header promised.
   */
  datasetExpandedBytes: number;
  /**
   * Corpus uploads: the longest line (characters) and the most text a .gz may expand to (bytes, a
   * gzip bomb stops there).
   */
  corpus: { maxLineLength: number; expandedBytes: number };
  /** Model imports: threads reading model files, requests that may wait for one, idle time before a thread ends. */
  modelInspection: { threads: number; queueLength: number; idleMs: number };
}

export const DEFAULT_TUNING: ApiTuning = {
  sseHeartbeatMs: 15_000,
  responseCacheBytes: 64 << 20,
  accessCacheMs: 5_000,
  databaseConnections: 8,
  datasetExpandedBytes: 1 << 30,
  corpus: { maxLineLength: 1 << 20, expandedBytes: 8 * 2 ** 30 },
  // One thread holds TensorFlow.js and the bundled test digits (~200 MB once it has scored a model) and
  // scores a d = 256 model in a fraction of a second once loaded, so a burst of 32 clears in seconds;
  // a waiting import holds only its uploaded bytes.
  modelInspection: { threads: 1, queueLength: 32, idleMs: 10_000 },
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws ConfigError listing every variable that is wrong. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const parsed = ApiEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid environment:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.DATABASE_SCHEMA,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.BILINEAR_REDIS_PREFIX,
    logLevel: e.LOG_LEVEL,
    port: e.PORT,
    host: e.HOST,
    adminKey: e.BILINEAR_ADMIN_KEY,
    uploadLimitMb: e.BILINEAR_UPLOAD_LIMIT_MB,
    modelUploadLimitMb: e.BILINEAR_MODEL_UPLOAD_LIMIT_MB,
    corpusUploadLimitMb: e.BILINEAR_CORPUS_UPLOAD_LIMIT_MB,
    rateLimitPerMinute: e.BILINEAR_RATE_LIMIT_PER_MINUTE,
    authFailuresPerMinute: e.BILINEAR_AUTH_FAILURES_PER_MINUTE,
    trustProxy: e.BILINEAR_TRUST_PROXY,
  };
}

export function tuningOf(config: ApiConfig): ApiTuning {
  return { ...DEFAULT_TUNING, ...config.tuning };
}
