import { MeSchema } from '@bilinear-lab/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf } from '../../plugins/auth.js';
import { errorResponses } from '../schemas.js';

/** GET /api/v1/me: who the key belongs to. */
const meRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/me',
    {
      schema: {
        tags: ['access'],
        summary: 'The user and key making this request',
        response: { 200: MeSchema, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return {
        id: principal.userId,
        name: principal.userName,
        isAdmin: principal.isAdmin,
        key: {
          id: principal.keyId,
          name: principal.keyName,
          prefix: principal.keyPrefix,
          projectId: principal.keyProjectId,
        },
      };
    },
  );
};

export default meRoutes;
