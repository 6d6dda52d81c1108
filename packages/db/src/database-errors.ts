// Whether an error says "the database is not there right now" (refused, restarting, connection cut)
// rather than "this query is wrong": the first kind passes when Postgres is back, so a job that hit
// it should wait and try again instead of spending one of its attempts.

/** Prisma's codes for a server it cannot reach, that timed out, or that closed the connection. */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/** The driver adapter's error kinds for the same conditions. */
const ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
/** Socket errors of Node's net module. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/**
 * SQLSTATEs of a server going away or not ready: class 08 (connection exception), admin/crash
 * shutdown and "starting up" (57P01–57P03), too many connections (53300).
 */
const TRANSIENT_SQLSTATE = /^(08...|57P0[123]|53300)$/;
/** node-postgres reports a cut connection and a pool wait that ran out only in words. */
const TRANSIENT_MESSAGE =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Can't reach database server|Server has closed the connection/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): boolean => {
    if (typeof value !== 'object' || value === null || seen.has(value) || depth > 6) return false;
    seen.add(value);
    const record = value as Record<string, unknown>;
    const code = typeof record.code === 'string' ? record.code : undefined;
    if (code !== undefined && (PRISMA_CODES.has(code) || SOCKET_CODES.has(code))) return true;
    if (code !== undefined && TRANSIENT_SQLSTATE.test(code)) return true;
    if (typeof record.originalCode === 'string' && TRANSIENT_SQLSTATE.test(record.originalCode)) return true;
    if (typeof record.kind === 'string' && ADAPTER_KINDS.has(record.kind)) return true;
    if (typeof record.message === 'string' && TRANSIENT_MESSAGE.test(record.message)) return true;
    const meta = record.meta as Record<string, unknown> | undefined;
    return (
      visit(record.cause, depth + 1) ||
      visit(meta?.driverAdapterError, depth + 1) ||
      (Array.isArray(record.errors) && record.errors.some((inner) => visit(inner, depth + 1)))
    );
  };
  return visit(error, 0);
}
