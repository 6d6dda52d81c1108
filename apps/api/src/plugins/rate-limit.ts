// Requests per minute per API key (per IP for requests without one), counted in this replica's
// memory: a Redis round trip per request would cost more than the limit protects. /health and the
// docs are exempt.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { ApiConfig } from '../env.js';
import { AppError } from '../errors.js';
import { presentedKey } from './auth.js';

export async function registerRateLimit(app: FastifyInstance, config: ApiConfig): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    cache: 10_000,
    keyGenerator: (request) => presentedKey(request) ?? `ip:${request.ip}`,
    allowList: (request) => request.routeOptions.config.public === true,
    errorResponseBuilder: (_request, context) =>
      new AppError(
        429,
        'rate-limited',
        `more than ${context.max} requests in a minute with this API key; retry in ${context.after}`,
      ),
  });
}
