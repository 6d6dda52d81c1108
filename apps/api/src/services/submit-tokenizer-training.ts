// POST …/tokenizers/train: the corpus checked (checkLanguageModelDataset), the Job inserted and
// enqueued on tokenizer-train (or the row undone). The Tokenizer row, under the id answered here, is
// written by the worker when the job completes.
import { randomUUID } from 'node:crypto';
import type { JobPayload, TokenizerTrainRequest } from '@bilinear-lab/contracts';
import type { Prisma } from '@bilinear-lab/db';
import { formatSubject, subjectOf } from '@bilinear-lab/jobs';
import type { FastifyInstance } from 'fastify';
import type { Principal } from './access.js';
import { enqueueOrUndo, maxAttemptsOf } from './enqueue-job.js';
import { checkLanguageModelDataset } from './language-model-datasets.js';

export async function submitTokenizerTraining(
  app: FastifyInstance,
  principal: Principal,
  projectId: string,
  request: TokenizerTrainRequest,
): Promise<{ tokenizerId: string; jobId: string }> {
  const corpus = await checkLanguageModelDataset(app, projectId, request.dataset);
  const tokenizerId = randomUUID();
  const jobId = randomUUID();
  const payload: JobPayload<'tokenizer-train'> = {
    jobId,
    projectId,
    tokenizerId,
    dataset: request.dataset,
    vocab: request.vocab,
    name: request.name ?? `wordpiece-${request.vocab} (${corpus === null ? request.dataset : corpus.name})`,
  };
  await app.db.job.create({
    data: {
      id: jobId,
      projectId,
      queue: 'tokenizer-train',
      payload: payload as Prisma.InputJsonObject,
      status: 'queued',
      maxAttempts: maxAttemptsOf('tokenizer-train'),
      subject: formatSubject(subjectOf('tokenizer-train', payload)),
      createdById: principal.userId,
    },
  });
  await enqueueOrUndo(app, 'tokenizer-train', payload, () => app.db.job.deleteMany({ where: { id: jobId } }));
  return { tokenizerId, jobId };
}
