// A language model's decomposition is split into shards of 256 outputs that its decompose job and
// decompose-shard jobs claim one at a time (apps/worker results/decomposition-shards.ts). This
// queues the helpers: one per other live worker that serves the decompose-shard queue, at most one
// per shard beyond the first — with a single worker there are none, and nothing changes.
import { randomUUID } from 'node:crypto';
import {
  DECOMPOSITION_SHARD_OUTPUTS,
  type DecompositionRequest,
  type JobPayload,
} from '@bilinear-lab/contracts';
import type { Model } from '@bilinear-lab/db';
import { formatSubject, subjectOf } from '@bilinear-lab/jobs';
import type { FastifyInstance } from 'fastify';
import type { Principal } from './access.js';
import { enqueueOrUndo, maxAttemptsOf } from './enqueue-job.js';
import { ALIVE_HEARTBEAT_AGE_S } from './views.js';

/** Queues the decompose-shard jobs a new decomposition gets; the ids of those queued. */
export async function queueShardJobs(
  app: FastifyInstance,
  principal: Principal,
  model: Model,
  decompositionId: string,
  request: DecompositionRequest,
): Promise<string[]> {
  const outputs = await outputCount(app, model, request);
  const shards = Math.ceil(outputs / DECOMPOSITION_SHARD_OUTPUTS);
  if (shards < 2) return [];
  const workers = await app.db.worker.count({
    where: {
      stoppedAt: null,
      // Alive as GET /workers says it: not stopped, a recent heartbeat.
      lastHeartbeatAt: { gt: new Date(Date.now() - ALIVE_HEARTBEAT_AGE_S * 1000) },
      queues: { has: 'decompose-shard' },
    },
  });
  const helpers = Math.min(shards - 1, workers - 1);
  const queued: string[] = [];
  for (let n = 0; n < helpers; n++) {
    const jobId = randomUUID();
    const payload: JobPayload<'decompose-shard'> = { jobId, projectId: model.projectId, decompositionId };
    await app.db.job.create({
      data: {
        id: jobId,
        projectId: model.projectId,
        queue: 'decompose-shard',
        payload,
        maxAttempts: maxAttemptsOf('decompose-shard'),
        subject: formatSubject(subjectOf('decompose-shard', payload)),
        createdById: principal.userId,
      },
    });
    try {
      await enqueueOrUndo(app, 'decompose-shard', payload, () =>
        app.db.job.deleteMany({ where: { id: jobId } }),
      );
    } catch {
      // The decomposition is queued already, and its decompose job does every shard no helper takes.
      break;
    }
    queued.push(jobId);
  }
  return queued;
}

/** How many outputs the worker will list for the request (tokens, or the output SAE's features). */
async function outputCount(
  app: FastifyInstance,
  model: Model,
  request: DecompositionRequest,
): Promise<number> {
  if (request.allTokens) return (model.config as { vocabSize: number }).vocabSize;
  if (request.allFeatures && request.saeOut !== undefined) {
    const sae = await app.db.sparseAutoencoder.findUnique({ where: { id: request.saeOut } });
    return sae?.features ?? 0;
  }
  return (request.features ?? request.outputs ?? []).length;
}
