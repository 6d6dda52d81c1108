// POST /decompositions/:id/activations: an activations job of a completed language-model
// decomposition. Identical requests (defaults filled in, eigenvectors capped at the decomposition's
// topK) share one run — the existing one answers 200, or is retried (202) when it failed or was
// cancelled; a new run is created with its Job in one transaction (202) and then enqueued.
import { randomUUID } from 'node:crypto';
import {
  type ActivationsRequest,
  activationsKey,
  DecompositionRequestSchema,
  type JobPayload,
  type JobStatus,
} from '@bilinear-lab/contracts';
import { type ActivationsRun, type Decomposition, Prisma } from '@bilinear-lab/db';
import { formatSubject, subjectOf } from '@bilinear-lab/jobs';
import type { FastifyInstance } from 'fastify';
import { conflict, unprocessable } from '../errors.js';
import type { Principal } from './access.js';
import { enqueueOrUndo, maxAttemptsOf } from './enqueue-job.js';
import { retryJob } from './job-control.js';
import { checkLanguageModelDataset } from './language-model-datasets.js';

export interface ActivationsSubmission {
  activationsId: string;
  jobId: string;
  status: JobStatus;
  deduplicated: boolean;
  statusCode: 200 | 202;
}

export async function submitActivations(
  app: FastifyInstance,
  principal: Principal,
  decomposition: Decomposition,
  request: ActivationsRequest,
): Promise<ActivationsSubmission> {
  const model = await app.db.model.findUniqueOrThrow({ where: { id: decomposition.modelId } });
  const config = model.config as { kind?: unknown; tokenizer?: { artifactId?: unknown } | null } | null;
  if (config?.kind !== 'language-model') {
    throw unprocessable(
      'not-a-language-model',
      `decomposition ${decomposition.id} is of model ${model.id}, an image classifier: activations are read over a text corpus`,
    );
  }
  if (decomposition.status !== 'completed') {
    throw conflict(
      'decomposition-not-ready',
      `decomposition ${decomposition.id} is ${decomposition.status}; read its activations once it has completed`,
    );
  }
  const parameters = DecompositionRequestSchema.parse(decomposition.parameters);
  if (parameters.saeIn !== undefined) {
    throw unprocessable(
      'not-applicable',
      `decomposition ${decomposition.id} is over an input SAE's features (DᵀQD); activations read eigenvectors of the residual stream`,
    );
  }
  if (typeof config.tokenizer?.artifactId !== 'string') {
    throw unprocessable(
      'no-tokenizer',
      `model ${model.id} came without a tokenizer: its activations on text cannot be read`,
    );
  }
  await checkLanguageModelDataset(app, decomposition.projectId, request.dataset);
  const fitted: ActivationsRequest = {
    ...request,
    eigenvectors: Math.min(request.eigenvectors, parameters.topK),
  };
  const parametersKey = activationsKey(fitted);
  const existing = await app.db.activationsRun.findUnique({
    where: { decompositionId_parametersKey: { decompositionId: decomposition.id, parametersKey } },
  });
  if (existing !== null) return reuse(app, existing);

  const activationsId = randomUUID();
  const jobId = randomUUID();
  const payload: JobPayload<'activations'> = { jobId, projectId: decomposition.projectId, activationsId };
  try {
    await app.db.$transaction([
      app.db.activationsRun.create({
        data: {
          id: activationsId,
          projectId: decomposition.projectId,
          decompositionId: decomposition.id,
          parameters: fitted,
          parametersKey,
          status: 'queued',
          jobId,
          createdById: principal.userId,
        },
      }),
      app.db.job.create({
        data: {
          id: jobId,
          projectId: decomposition.projectId,
          queue: 'activations',
          payload,
          status: 'queued',
          maxAttempts: maxAttemptsOf('activations'),
          subject: formatSubject(subjectOf('activations', payload)),
          createdById: principal.userId,
        },
      }),
    ]);
  } catch (error) {
    // An identical request created the run between our read and our insert.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      const raced = await app.db.activationsRun.findUniqueOrThrow({
        where: { decompositionId_parametersKey: { decompositionId: decomposition.id, parametersKey } },
      });
      return reuse(app, raced);
    }
    throw error;
  }
  await enqueueOrUndo(app, 'activations', payload, () =>
    app.db.$transaction([
      app.db.job.deleteMany({ where: { id: jobId } }),
      app.db.activationsRun.deleteMany({ where: { id: activationsId } }),
    ]),
  );
  return { activationsId, jobId, status: 'queued', deduplicated: false, statusCode: 202 };
}

async function reuse(app: FastifyInstance, existing: ActivationsRun): Promise<ActivationsSubmission> {
  const jobId = existing.jobId;
  if (existing.status === 'failed' || existing.status === 'cancelled') {
    const job = await app.db.job.findUniqueOrThrow({ where: { id: jobId } });
    if (job.status === 'failed' || job.status === 'cancelled') await retryJob(app, job);
    return { activationsId: existing.id, jobId, status: 'queued', deduplicated: true, statusCode: 202 };
  }
  return { activationsId: existing.id, jobId, status: existing.status, deduplicated: true, statusCode: 200 };
}
