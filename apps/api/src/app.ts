// The API as a tree of plugins: external plugins (security headers, OpenAPI, multipart, rate
// limit) → app plugins (errors, Postgres, Redis and queues, auth) → routes. One error handler, one
// 404 handler.
import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiConfig } from './env.js';
import { authPlugin } from './plugins/auth.js';
import { dbPlugin } from './plugins/db.js';
import { errorsPlugin } from './plugins/errors.js';
import { registerOpenApi } from './plugins/openapi.js';
import { registerRateLimit } from './plugins/rate-limit.js';
import { redisPlugin } from './plugins/redis.js';
import { registerSecurityHeaders } from './plugins/security-headers.js';
import activationsRoutes from './routes/activations/index.js';
import corpusRoutes from './routes/corpora/index.js';
import datasetRoutes from './routes/datasets/index.js';
import decompositionRoutes from './routes/decompositions/index.js';
import healthRoutes from './routes/health/index.js';
import jobRoutes from './routes/jobs/index.js';
import keyRoutes from './routes/keys/index.js';
import languageModelRoutes from './routes/language-models/index.js';
import meRoutes from './routes/me/index.js';
import memberRoutes from './routes/members/index.js';
import modelRoutes from './routes/models/index.js';
import projectRoutes from './routes/projects/index.js';
import saeRoutes from './routes/saes/index.js';
import tokenizerRoutes from './routes/tokenizers/index.js';
import tokenRoutes from './routes/tokens/index.js';
import workerRoutes from './routes/workers/index.js';

export const API_PREFIX = '/api/v1';
const REQUEST_ID = /^[\w.:-]{1,128}$/;

export async function buildApp(config: ApiConfig): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.logLevel },
    // One line per request from the onResponse hook below instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // A caller's (or proxy's) request id is kept so logs line up across services.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // X-Forwarded-For only from the configured proxies: from anyone else it would let a client
    // choose the address the limiters count it by.
    trustProxy: config.trustProxy && config.trustProxy.length > 0 ? config.trustProxy : false,
    forceCloseConnections: 'idle',
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const line = {
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    // Reads that succeed are the bulk of the traffic: debug; so are refused keys (401, and 429 for
    // too many of them: auth.ts logs one line per address when it starts refusing); the rest: info.
    const quiet =
      (request.method === 'GET' && reply.statusCode < 400) ||
      reply.statusCode === 401 ||
      reply.statusCode === 429;
    if (quiet) request.log.debug(line, 'request');
    else request.log.info(line, 'request');
  });

  // External plugins.
  await registerSecurityHeaders(app);
  await registerOpenApi(app);
  await app.register(multipart, {
    limits: { fileSize: Math.floor(config.uploadLimitMb * 1024 * 1024) },
  });
  await registerRateLimit(app, config);

  // App plugins.
  await app.register(errorsPlugin);
  await app.register(dbPlugin, config);
  await app.register(redisPlugin, config);
  await app.register(authPlugin, config);

  // Routes.
  await app.register(healthRoutes);
  const v1 = { prefix: API_PREFIX, config };
  await app.register(meRoutes, v1);
  await app.register(projectRoutes, v1);
  await app.register(memberRoutes, v1);
  await app.register(keyRoutes, v1);
  await app.register(datasetRoutes, v1);
  await app.register(corpusRoutes, v1);
  await app.register(tokenizerRoutes, v1);
  await app.register(modelRoutes, v1);
  await app.register(saeRoutes, v1);
  await app.register(languageModelRoutes, v1);
  await app.register(tokenRoutes, v1);
  await app.register(decompositionRoutes, v1);
  await app.register(activationsRoutes, v1);
  await app.register(jobRoutes, v1);
  await app.register(workerRoutes, v1);
  return app;
}
