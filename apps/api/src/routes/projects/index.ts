import {
  CreatedProjectSchema,
  CreateProjectSchema,
  ProjectParamsSchema,
  ProjectSchema,
} from '@bilinear-lab/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { forbidden } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { errorResponses } from '../schemas.js';

/** Projects: team workspaces. Any authenticated user may create one and becomes its owner. */
const projectRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/projects',
    {
      schema: {
        tags: ['projects'],
        summary: 'The projects this key opens, with my role in each',
        response: { 200: z.array(ProjectSchema), ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const scope = principal.keyProjectId === null ? {} : { id: principal.keyProjectId };
      if (principal.isAdmin) {
        const projects = await app.db.project.findMany({
          where: scope,
          orderBy: { createdAt: 'asc' },
          include: { members: { where: { userId: principal.userId }, select: { role: true } } },
        });
        return projects.map((project) => ({
          id: project.id,
          name: project.name,
          role: project.members[0]?.role ?? 'owner',
          createdAt: project.createdAt.toISOString(),
        }));
      }
      const memberships = await app.db.membership.findMany({
        where: { userId: principal.userId, project: scope },
        include: { project: true },
        orderBy: { project: { createdAt: 'asc' } },
      });
      return memberships.map(({ project, role }) => ({
        id: project.id,
        name: project.name,
        role,
        createdAt: project.createdAt.toISOString(),
      }));
    },
  );

  app.post(
    '/projects',
    {
      schema: {
        tags: ['projects'],
        summary: 'Create a project; the caller becomes its owner',
        body: CreateProjectSchema,
        response: { 201: CreatedProjectSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (principal.keyProjectId !== null) {
        throw forbidden(
          `this key only opens project ${principal.keyProjectId}; create projects with a key that is not bound to a project`,
        );
      }
      const project = await app.db.project.create({
        data: {
          name: request.body.name,
          members: { create: { userId: principal.userId, role: 'owner' } },
        },
      });
      app.access.forgetRole(principal.userId, project.id);
      return reply.status(201).send({
        id: project.id,
        name: project.name,
        role: 'owner' as const,
        createdAt: project.createdAt.toISOString(),
      });
    },
  );

  app.get(
    '/projects/:projectId',
    {
      schema: {
        tags: ['projects'],
        summary: 'One project, with my role in it',
        params: ProjectParamsSchema,
        response: { 200: ProjectSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { projectId } = request.params;
      const role = await app.access.require(principalOf(request), projectId, 'read', {
        what: 'project',
        id: projectId,
      });
      const project = await app.db.project.findUniqueOrThrow({ where: { id: projectId } });
      return { id: project.id, name: project.name, role, createdAt: project.createdAt.toISOString() };
    },
  );
};

export default projectRoutes;
