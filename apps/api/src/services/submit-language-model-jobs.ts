// POST /models/:id/saes/train, POST /saes/:id/evaluate and POST /models/:id/evaluate: the request
// checked against the model it names (a completed language model with a tokenizer, a layer it has, a
// width its d_model gives), the subject row (a queued SparseAutoencoder, or an Evaluation) and its Job
// in one transaction, then the job enqueued (or the rows undone). The worker reads the rest from them.
import { randomUUID } from 'node:crypto';
import type { EvaluateRequest, JobPayload, QueueName, SaeTrainRequest } from '@bilinear-lab/contracts';
import type { Model, Prisma, SparseAutoencoder } from '@bilinear-lab/db';
import { formatSubject, subjectOf } from '@bilinear-lab/jobs';
import type { FastifyInstance } from 'fastify';
import { badRequest, conflict, unprocessable } from '../errors.js';
import type { Principal } from './access.js';
import { enqueueOrUndo, maxAttemptsOf } from './enqueue-job.js';
import { checkLanguageModelDataset } from './language-model-datasets.js';

/** Widest SAE trained on the platform: the trainer holds 4 float32 copies of F × d (weights, Adam). */
const MAX_SAE_PARAMETERS = 64 * 1024 * 1024;
/** The activation buffer a request may ask for (float32 rows of d_model): 1 GiB. */
const MAX_BUFFER_BYTES = 1 << 30;

interface LanguageModelRecord {
  kind?: unknown;
  modelDim?: number;
  layers?: number;
  tokenizer?: { artifactId?: unknown } | null;
}

/** The model must be a completed language model that has a tokenizer (its text goes through it). */
export function readableLanguageModel(model: Model, purpose: string): LanguageModelRecord {
  const config = model.config as LanguageModelRecord;
  if (config.kind !== 'language-model') {
    throw unprocessable(
      'not-a-language-model',
      `model ${model.id} is an image classifier; ${purpose} needs a language model`,
    );
  }
  if (model.status !== 'completed' || model.checkpointArtifactId === null) {
    throw conflict('not-ready', `model ${model.id} is ${model.status}; ${purpose} needs a completed model`);
  }
  if (typeof config.tokenizer?.artifactId !== 'string') {
    throw unprocessable(
      'no-tokenizer',
      `model ${model.id} has no tokenizer to read the corpus with: import it with its tokenizer.json (the part "tokenizer")`,
    );
  }
  return config;
}

function fieldError(path: string, message: string) {
  return badRequest('invalid-request', `${path}: ${message}`, {
    issues: [{ path, message, code: 'invalid_setting' }],
  });
}

export async function submitSaeTraining(
  app: FastifyInstance,
  principal: Principal,
  model: Model,
  request: SaeTrainRequest,
): Promise<{ saeId: string; jobId: string }> {
  const config = readableLanguageModel(model, 'training an SAE');
  const layers = config.layers ?? 0;
  const modelDim = config.modelDim ?? 0;
  if (request.layer >= layers) {
    throw fieldError('body.layer', `model ${model.id} has layers 0..${layers - 1}`);
  }
  const features = request.features ?? (request.expansion as number) * modelDim;
  if (request.k > features) {
    throw fieldError('body.k', `more than the SAE's ${features} features; k is how many of them are active`);
  }
  if (features * modelDim > MAX_SAE_PARAMETERS) {
    throw fieldError(
      request.features === undefined ? 'body.expansion' : 'body.features',
      `${features} features × d_model ${modelDim} is more than the ${MAX_SAE_PARAMETERS} weights an SAE trained here may have`,
    );
  }
  await checkLanguageModelDataset(app, model.projectId, request.dataset);
  if (request.bufferRows !== undefined && request.bufferRows * modelDim * 4 > MAX_BUFFER_BYTES) {
    throw fieldError(
      'body.bufferRows',
      `${request.bufferRows} rows of d_model ${modelDim} float32 values are more than the ${MAX_BUFFER_BYTES / 2 ** 20} MiB a buffer may take`,
    );
  }
  const saeId = randomUUID();
  const jobId = randomUUID();
  const payload: JobPayload<'train-sae'> = { jobId, projectId: model.projectId, saeId };
  // Stored with the width resolved: the worker reads features, never expansion.
  const { expansion: _expansion, ...settings } = request;
  const training = { ...settings, features } as Prisma.InputJsonObject;
  await app.db.$transaction([
    app.db.sparseAutoencoder.create({
      data: {
        id: saeId,
        projectId: model.projectId,
        modelId: model.id,
        name: request.name ?? `layer ${request.layer} ${request.point} ×${features} (k ${request.k})`,
        source: 'trained',
        status: 'queued',
        layer: request.layer,
        hookPoint: request.point,
        features,
        modelDim,
        k: request.k,
        // What config.json will say; the worker stores the file it writes.
        config: {
          d_model: modelDim,
          n_features: features,
          k: request.k,
          layer: request.layer,
          point: request.point,
        },
        training,
        jobId,
        createdById: principal.userId,
      },
    }),
    jobRow(app, 'train-sae', payload, principal),
  ]);
  await enqueueOrUndo(app, 'train-sae', payload, () =>
    app.db.$transaction([
      app.db.job.deleteMany({ where: { id: jobId } }),
      app.db.sparseAutoencoder.deleteMany({ where: { id: saeId } }),
    ]),
  );
  return { saeId, jobId };
}

/** A model's held-out loss (sae null) or an SAE's measures on a corpus, as an evaluate job. */
export async function submitEvaluation(
  app: FastifyInstance,
  principal: Principal,
  model: Model,
  sae: SparseAutoencoder | null,
  request: EvaluateRequest,
): Promise<{ evaluationId: string; jobId: string }> {
  readableLanguageModel(model, sae === null ? 'an evaluation' : "an SAE's evaluation");
  if (sae !== null && (sae.status !== 'completed' || sae.checkpointArtifactId === null)) {
    throw conflict('not-ready', `SAE ${sae.id} is ${sae.status}; evaluate it once it is completed`);
  }
  await checkLanguageModelDataset(app, model.projectId, request.dataset);
  const evaluationId = randomUUID();
  const jobId = randomUUID();
  const payload: JobPayload<'evaluate'> = { jobId, projectId: model.projectId, evaluationId };
  await app.db.$transaction([
    app.db.evaluation.create({
      data: {
        id: evaluationId,
        projectId: model.projectId,
        modelId: model.id,
        saeId: sae?.id ?? null,
        dataset: request.dataset,
        maxTokens: request.maxTokens,
        status: 'queued',
        jobId,
        createdById: principal.userId,
      },
    }),
    jobRow(app, 'evaluate', payload, principal),
  ]);
  await enqueueOrUndo(app, 'evaluate', payload, () =>
    app.db.$transaction([
      app.db.job.deleteMany({ where: { id: jobId } }),
      app.db.evaluation.deleteMany({ where: { id: evaluationId } }),
    ]),
  );
  return { evaluationId, jobId };
}

function jobRow<Q extends QueueName>(
  app: FastifyInstance,
  queue: Q,
  payload: JobPayload<Q>,
  principal: Principal,
) {
  return app.db.job.create({
    data: {
      id: payload.jobId,
      projectId: payload.projectId,
      queue,
      payload: payload as Prisma.InputJsonObject,
      status: 'queued',
      maxAttempts: maxAttemptsOf(queue),
      subject: formatSubject(subjectOf(queue, payload)),
      createdById: principal.userId,
    },
  });
}
