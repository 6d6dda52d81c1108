// The launcher's environment, read once here (as each app does in its env.ts); the apps get the
// variables they know passed through unchanged.
import { join, resolve } from 'node:path';

const { env } = process;

/** Parses the launcher's variables; throws with the variable's name when one is malformed. */
export function readSettings(repoRoot) {
  return {
    dataDir: resolve(env.BILINEAR_DATA_DIR || join(repoRoot, '.bilinear')),
    databaseUrl: env.DATABASE_URL || null,
    redisUrl: env.REDIS_URL || null,
    adminKey: env.BILINEAR_ADMIN_KEY || null,
    seedDemo: env.BILINEAR_SEED_DEMO !== '0',
    // Loopback unless told otherwise: a laptop's platform is not for the café's network. A team
    // server sets HOST=0.0.0.0 (or its own address).
    host: env.HOST?.trim() || '127.0.0.1',
    ports: {
      api: port('PORT', 4000),
      web: port('BILINEAR_WEB_PORT', 3000),
      postgres: port('BILINEAR_POSTGRES_PORT', 54329),
      redis: port('BILINEAR_REDIS_PORT', 63799),
    },
  };
}

export const colourLogs = Boolean(process.stdout.isTTY) && !env.NO_COLOR;

function port(name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65_535) {
    throw new Error(`${name}=${raw} is not a port number (1–65535)`);
  }
  return value;
}
