import { HealthSchema } from '@bilinear-lab/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

const CHECK_TIMEOUT_MS = 2_000;

/** GET /health: can this replica reach Postgres and Redis? 200 when both answer, 503 otherwise. */
const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'Postgres and Redis reachability (no API key needed)',
        security: [],
        response: { 200: HealthSchema, 503: HealthSchema },
      },
    },
    async (_request, reply) => {
      const [db, redis] = await Promise.all([answers(app.db.$queryRaw`SELECT 1`), answers(app.redis.ping())]);
      const ok = db && redis;
      return reply.status(ok ? 200 : 503).send({
        status: ok ? 'ok' : 'degraded',
        db: db ? 'ok' : 'down',
        redis: redis ? 'ok' : 'down',
      });
    },
  );
};

async function answers(check: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check.then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export default healthRoutes;
