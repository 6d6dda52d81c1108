import { WorkerSchema } from '@bilinear-lab/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { workerView } from '../../services/views.js';
import { errorResponses } from '../schemas.js';

/** GET /api/v1/workers: every registered worker, newest heartbeat first (any authenticated user). */
const workerRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/workers',
    {
      schema: {
        tags: ['workers'],
        summary: 'Registered workers with their heartbeat age and whether they are alive',
        response: { 200: z.array(WorkerSchema), ...errorResponses },
      },
    },
    async () => {
      const workers = await app.db.worker.findMany({ orderBy: { lastHeartbeatAt: 'desc' }, take: 1000 });
      const now = Date.now();
      return workers.map((worker) => workerView(worker, now));
    },
  );
};

export default workerRoutes;
