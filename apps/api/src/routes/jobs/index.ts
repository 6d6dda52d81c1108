import {
  JobEventsQuerySchema,
  JobListQuerySchema,
  JobSchema,
  ProjectParamsSchema,
} from '@bilinear-lab/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ApiConfig, tuningOf } from '../../env.js';
import { badRequest } from '../../errors.js';
import { cancelJob, retryJob } from '../../services/job-control.js';
import { streamJobEvents } from '../../services/job-event-stream.js';
import { jobFor, projectFor } from '../../services/resources.js';
import { jobView } from '../../services/views.js';
import { errorResponses } from '../schemas.js';

const JobParamsSchema = z.object({ jobId: z.uuid() });
const EVENT_ID = /^\d+-\d+$/;

declare module 'fastify' {
  interface FastifyInstance {
    /** Stops for the open SSE streams, called when the server closes. */
    activeEventStreams: Set<() => void>;
  }
}

/** Jobs: the durable record of queued work, its cancel/retry, and its live events. */
const jobRoutes: FastifyPluginAsyncZod<{ config: ApiConfig }> = async (app, { config }) => {
  const heartbeatMs = tuningOf(config).sseHeartbeatMs;
  app.decorate('activeEventStreams', new Set<() => void>());
  app.addHook('preClose', async () => {
    for (const stop of app.activeEventStreams) stop();
  });

  app.get(
    '/projects/:projectId/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Jobs of a project, newest first, optionally by status or queue',
        params: ProjectParamsSchema,
        querystring: JobListQuerySchema,
        response: { 200: z.array(JobSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { projectId } = request.params;
      const { status, queue, limit } = request.query;
      await projectFor(app, request, projectId, 'read');
      const jobs = await app.db.job.findMany({
        where: { projectId, ...(status ? { status } : {}), ...(queue ? { queue } : {}) },
        orderBy: { createdAt: 'desc' },
        take: limit,
      });
      return jobs.map(jobView);
    },
  );

  app.get(
    '/jobs/:jobId',
    {
      schema: {
        tags: ['jobs'],
        summary: 'A job: status, progress, attempts, error, worker',
        params: JobParamsSchema,
        response: { 200: JobSchema, ...errorResponses },
      },
    },
    async (request) => jobView(await jobFor(app, request, request.params.jobId, 'read')),
  );

  app.post(
    '/jobs/:jobId/cancel',
    {
      schema: {
        tags: ['jobs'],
        summary:
          'Cancel a job: 200 when it was still waiting (now cancelled), 202 when its worker was asked to stop',
        params: JobParamsSchema,
        response: { 200: JobSchema, 202: JobSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const job = await jobFor(app, request, request.params.jobId, 'run');
      const outcome = await cancelJob(app, job);
      return reply.status(outcome.immediate ? 200 : 202).send(jobView(outcome.job));
    },
  );

  app.post(
    '/jobs/:jobId/retry',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Queue a failed or cancelled job again (same id)',
        params: JobParamsSchema,
        response: { 202: JobSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const job = await jobFor(app, request, request.params.jobId, 'run');
      return reply.status(202).send(jobView(await retryJob(app, job)));
    },
  );

  app.get(
    '/jobs/:jobId/events',
    {
      schema: {
        tags: ['jobs'],
        summary:
          'Server-sent events: every state/progress/metrics/log event from the start (or after Last-Event-ID / ?after=), then the current state if none of those was a state event, live until a final state',
        params: JobParamsSchema,
        querystring: JobEventsQuerySchema,
        produces: ['text/event-stream'],
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const job = await jobFor(app, request, request.params.jobId, 'read');
      const header = request.headers['last-event-id'];
      const lastEventId = typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
      if (lastEventId !== undefined && !EVENT_ID.test(lastEventId)) {
        throw badRequest(
          'invalid-request',
          `Last-Event-ID: ${lastEventId} is not an event id like 1732540000000-0`,
        );
      }
      await streamJobEvents(app, request, reply, job, {
        afterId: lastEventId ?? request.query.after ?? null,
        heartbeatMs,
      });
      return reply;
    },
  );
};

export default jobRoutes;
