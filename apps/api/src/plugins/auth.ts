// Every route needs `Authorization: Bearer <api key>` unless its config says `public: true` (health,
// the OpenAPI pages). Project roles are checked by the routes through `app.access`. An address with
// too many failed authentications in a minute gets 429 before its key is looked up.
import type { FastifyRequest } from 'fastify';
import { type ApiConfig, DEFAULT_AUTH_FAILURES_PER_MINUTE, tuningOf } from '../env.js';
import { AppError, unauthorized } from '../errors.js';
import { AccessControl, type Principal } from '../services/access.js';
import { AuthFailureLimiter } from '../services/auth-failures.js';
import { ensureAdmin } from '../services/bootstrap-admin.js';
import { globalPlugin } from './global-plugin.js';

declare module 'fastify' {
  interface FastifyInstance {
    access: AccessControl;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** No API key needed. */
    public?: boolean;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const DOCS_PREFIX = '/api/docs';

/** The key presented with a request, if any (also the rate limiter's key). */
export function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header === undefined) return null;
  return BEARER.exec(header)?.[1] ?? null;
}

/** The authenticated caller; routes that are not public always have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw unauthorized('this route needs an API key');
  return request.principal;
}

export const authPlugin = globalPlugin('auth', async (app, config: ApiConfig) => {
  const access = new AccessControl(app.db, tuningOf(config).accessCacheMs, (error) =>
    app.log.warn({ err: error }, 'could not record an API key use'),
  );
  app.decorate('access', access);
  app.decorateRequest('principal', null);

  const generated = await ensureAdmin(app.db, config.adminKey);
  if (generated !== null) {
    // Printed once, on the first start; only its hash is stored.
    process.stdout.write(`admin key: ${generated}\n`);
  }

  const failures = new AuthFailureLimiter(config.authFailuresPerMinute ?? DEFAULT_AUTH_FAILURES_PER_MINUTE);
  const fail = (request: FastifyRequest, message: string) => {
    // One line per address and minute when it reaches the limit; the single failures log at debug.
    if (failures.recordFailure(request.ip)) {
      request.log.warn(
        { address: request.ip, failures: failures.maxFailures },
        'too many failed authentications from one address: answering it 429 for the rest of the minute',
      );
    }
    return unauthorized(message);
  };

  app.addHook('onRequest', async (request) => {
    const url = request.routeOptions.url;
    // Unknown routes go on to the 404 handler; public routes and the docs need no key.
    if (url === undefined || request.routeOptions.config.public || url.startsWith(DOCS_PREFIX)) return;
    const waitSeconds = failures.retryAfterSeconds(request.ip);
    if (waitSeconds !== null) {
      throw new AppError(
        429,
        'too-many-failed-authentications',
        `more than ${failures.maxFailures} requests with a missing or invalid API key from your address in a minute; retry in ${waitSeconds} s with a valid key`,
        undefined,
        waitSeconds,
      );
    }
    const header = request.headers.authorization;
    if (header === undefined) {
      throw fail(request, 'missing API key: send the header "Authorization: Bearer <api key>"');
    }
    const key = presentedKey(request);
    if (key === null) {
      throw fail(request, 'malformed Authorization header: expected "Bearer <api key>"');
    }
    const principal = await access.authenticate(key);
    if (principal === null) throw fail(request, 'the API key is not valid: unknown or revoked');
    request.principal = principal;
  });
});
