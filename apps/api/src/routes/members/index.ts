import {
  AddedMemberSchema,
  AddMemberSchema,
  MemberParamsSchema,
  MemberSchema,
  ProjectParamsSchema,
} from '@bilinear-lab/contracts';
import type { Prisma } from '@bilinear-lab/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { conflict, notFound } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { newApiKeyRecord } from '../../services/api-keys.js';
import { errorResponses } from '../schemas.js';

/** Project members: everyone in the project sees them; owners add, change and remove them. */
const memberRoutes: FastifyPluginAsyncZod = async (app) => {
  const project = (id: string) => ({ what: 'project', id });

  app.get(
    '/projects/:projectId/members',
    {
      schema: {
        tags: ['members'],
        summary: 'Members of a project and their roles',
        params: ProjectParamsSchema,
        response: { 200: z.array(MemberSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { projectId } = request.params;
      await app.access.require(principalOf(request), projectId, 'read', project(projectId));
      const members = await app.db.membership.findMany({
        where: { projectId },
        include: { user: { select: { name: true } } },
        orderBy: { createdAt: 'asc' },
      });
      return members.map((member) => ({
        userId: member.userId,
        name: member.user.name,
        role: member.role,
        createdAt: member.createdAt.toISOString(),
      }));
    },
  );

  app.post(
    '/projects/:projectId/members',
    {
      schema: {
        tags: ['members'],
        summary:
          'Add a member by user name (a new name creates the user and returns its first API key, once), or change a member’s role',
        params: ProjectParamsSchema,
        body: AddMemberSchema,
        response: { 200: AddedMemberSchema, 201: AddedMemberSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { projectId } = request.params;
      const { user: userName, role } = request.body;
      await app.access.require(principalOf(request), projectId, 'manage', project(projectId));

      const result = await app.db.$transaction(async (tx) => {
        let user = await tx.user.findUnique({ where: { name: userName } });
        let apiKey: string | null = null;
        if (user === null) {
          const record = newApiKeyRecord();
          user = await tx.user.create({
            data: {
              name: userName,
              apiKeys: { create: { name: 'first key', prefix: record.prefix, hash: record.hash } },
            },
          });
          apiKey = record.key;
        }
        const existing = await tx.membership.findUnique({
          where: { projectId_userId: { projectId, userId: user.id } },
        });
        if (existing?.role === 'owner' && role !== 'owner') await checkNotLastOwner(tx, projectId, userName);
        const membership = existing
          ? await tx.membership.update({
              where: { projectId_userId: { projectId, userId: user.id } },
              data: { role },
            })
          : await tx.membership.create({ data: { projectId, userId: user.id, role } });
        return { user, membership, apiKey, created: existing === null };
      });
      app.access.forgetRole(result.user.id, projectId);
      return reply.status(result.created ? 201 : 200).send({
        userId: result.user.id,
        name: result.user.name,
        role: result.membership.role,
        createdAt: result.membership.createdAt.toISOString(),
        createdUser: result.apiKey !== null,
        apiKey: result.apiKey,
      });
    },
  );

  app.delete(
    '/projects/:projectId/members/:userId',
    {
      schema: {
        tags: ['members'],
        summary: 'Remove a member (not the last owner)',
        params: MemberParamsSchema,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { projectId, userId } = request.params;
      await app.access.require(principalOf(request), projectId, 'manage', project(projectId));
      await app.db.$transaction(async (tx) => {
        const membership = await tx.membership.findUnique({
          where: { projectId_userId: { projectId, userId } },
          include: { user: { select: { name: true } } },
        });
        if (membership === null) throw notFound(`member of project ${projectId} with user id`, userId);
        if (membership.role === 'owner') await checkNotLastOwner(tx, projectId, membership.user.name);
        await tx.membership.delete({ where: { projectId_userId: { projectId, userId } } });
      });
      app.access.forgetRole(userId, projectId);
      return reply.status(204).send(null);
    },
  );
};

async function checkNotLastOwner(
  tx: Prisma.TransactionClient,
  projectId: string,
  userName: string,
): Promise<void> {
  const owners = await tx.membership.count({ where: { projectId, role: 'owner' } });
  if (owners <= 1) {
    throw conflict(
      'last-owner',
      `${userName} is the only owner of project ${projectId}; make another member owner first`,
    );
  }
}

export default memberRoutes;
