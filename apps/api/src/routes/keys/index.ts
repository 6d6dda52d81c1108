import {
  ApiKeySchema,
  CreatedApiKeySchema,
  CreateKeySchema,
  KeyIdParamsSchema,
  KeyParamsSchema,
  OwnApiKeySchema,
  ProjectParamsSchema,
} from '@bilinear-lab/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { conflict, notFound } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { newApiKeyRecord } from '../../services/api-keys.js';
import { apiKeyView } from '../../services/views.js';
import { errorResponses } from '../schemas.js';

/**
 * Project keys: keys that open only this project (for a CI job or a notebook). Owners list, create
 * and revoke them; a new key is shown once, only its SHA-256 is stored. And everyone's own keys
 * (/keys): listed and revoked by their user, any of them by an admin.
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

  app.get(
    '/keys',
    {
      schema: {
        tags: ['keys'],
        summary: 'My keys, project-bound or not (never the keys themselves)',
        response: { 200: z.array(OwnApiKeySchema), ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const keys = await app.db.apiKey.findMany({
        // A project-bound key sees only the keys bound to its project.
        where: {
          userId: principal.userId,
          ...(principal.keyProjectId === null ? {} : { projectId: principal.keyProjectId }),
        },
        include: { user: { select: { name: true } } },
        orderBy: { createdAt: 'asc' },
      });
      return keys.map((key) => ({ ...apiKeyView(key), projectId: key.projectId }));
    },
  );

  app.delete(
    '/keys/:keyId',
    {
      schema: {
        tags: ['keys'],
        summary:
          "Revoke one of my keys (an admin: anyone's); it stops working at once. My last active key cannot revoke itself",
        params: KeyIdParamsSchema,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { keyId } = request.params;
      const principal = principalOf(request);
      const key = await app.db.apiKey.findUnique({ where: { id: keyId } });
      // An admin's powers need an admin key that opens everything; a project-bound key reaches only
      // its user's keys for the same project. Keys out of reach answer as if they did not exist.
      const reachable =
        key !== null &&
        ((principal.isAdmin && principal.keyProjectId === null) ||
          (key.userId === principal.userId &&
            (principal.keyProjectId === null || key.projectId === principal.keyProjectId)));
      if (!reachable) throw notFound('key', keyId);
      if (key.revokedAt === null) {
        if (key.id === principal.keyId) {
          const others = await app.db.apiKey.count({
            where: { userId: key.userId, revokedAt: null, id: { not: key.id } },
          });
          if (others === 0) {
            throw conflict(
              'last-key',
              `key ${keyId} is the only active key of ${principal.userName} and is the one making this request: revoking it would lock you out. Create another key first (POST /api/v1/projects/{projectId}/keys), or ask an admin to revoke it`,
            );
          }
        }
        await app.db.apiKey.update({ where: { id: keyId }, data: { revokedAt: new Date() } });
      }
      app.access.forgetKey(key.hash);
      return reply.status(204).send(null);
    },
  );
};

export default keyRoutes;
