import {
  ApiKeySchema,
  CreatedApiKeySchema,
  CreateKeySchema,
  KeyParamsSchema,
  ProjectParamsSchema,
} from '@bilinear-lab/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { newApiKeyRecord } from '../../services/api-keys.js';
import { apiKeyView } from '../../services/views.js';
import { errorResponses } from '../schemas.js';

/**
 * Project keys: keys that open only this project (for a CI job or a notebook). Owners list, create
 * and revoke them; a new key is shown once, only its SHA-256 is stored.
 */
const keyRoutes: FastifyPluginAsyncZod = async (app) => {
  const project = (id: string) => ({ what: 'project', id });

  app.get(
    '/projects/:projectId/keys',
    {
      schema: {
        tags: ['keys'],
        summary: 'Keys bound to this project (never the keys themselves)',
        params: ProjectParamsSchema,
        response: { 200: z.array(ApiKeySchema), ...errorResponses },
      },
    },
    async (request) => {
      const { projectId } = request.params;
      await app.access.require(principalOf(request), projectId, 'manage', project(projectId));
      const keys = await app.db.apiKey.findMany({
        where: { projectId },
        include: { user: { select: { name: true } } },
        orderBy: { createdAt: 'asc' },
      });
      return keys.map(apiKeyView);
    },
  );

  app.post(
    '/projects/:projectId/keys',
    {
      schema: {
        tags: ['keys'],
        summary: 'Create a key for me that opens only this project; the key is in this response only',
        params: ProjectParamsSchema,
        body: CreateKeySchema,
        response: { 201: CreatedApiKeySchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { projectId } = request.params;
      const principal = principalOf(request);
      await app.access.require(principal, projectId, 'manage', project(projectId));
      const record = newApiKeyRecord();
      const key = await app.db.apiKey.create({
        data: {
          userId: principal.userId,
          projectId,
          name: request.body.name,
          prefix: record.prefix,
          hash: record.hash,
        },
        include: { user: { select: { name: true } } },
      });
      return reply.status(201).send({ ...apiKeyView(key), projectId, key: record.key });
    },
  );

  app.delete(
    '/projects/:projectId/keys/:keyId',
    {
      schema: {
        tags: ['keys'],
        summary: 'Revoke a key bound to this project; it stops working at once',
        params: KeyParamsSchema,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { projectId, keyId } = request.params;
      await app.access.require(principalOf(request), projectId, 'manage', project(projectId));
      const key = await app.db.apiKey.findFirst({ where: { id: keyId, projectId } });
      if (key === null) throw notFound(`key of project ${projectId} with id`, keyId);
      if (key.revokedAt === null) {
        await app.db.apiKey.update({ where: { id: keyId }, data: { revokedAt: new Date() } });
      }
      app.access.forgetKey(key.hash);
      return reply.status(204).send(null);
    },
  );
};

export default keyRoutes;
