// POST …/models/train-language-model: the request checked as the CLI checks its flags (one rule,
// the training package's), then the Model (config.kind "language-model"), its TrainingRun and the
// Job in one statement, and the job enqueued (or the rows undone).
import { randomUUID } from 'node:crypto';
import {
  type LanguageModelRunOptions,
  type LanguageModelTrainRequest,
  languageModelRunSettings,
} from '@bilinear-lab/contracts';
// The settings rule alone: the training package's main entry would load TensorFlow.js into the API.
import {
  LanguageModelSettingsError,
  LanguageModelShapeError,
  languageModelRunOptions,
} from '@bilinear-lab/training/language-model-options';
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../errors.js';
import type { Principal } from './access.js';
import { enqueueOrUndo, maxAttemptsOf } from './enqueue-job.js';
import { insertTrainingRows } from './job-inserts.js';
import { checkLanguageModelDataset } from './language-model-datasets.js';

/** The request's names for the shape's settings (the transformer's own names in the errors). */
const FIELD_OF: Record<string, string> = {
  vocabSize: 'vocab',
  modelDim: 'dModel',
  hiddenDim: 'dHidden',
  context: 'ctx',
  layers: 'layers',
  heads: 'heads',
  gate: 'gate',
  warmupSteps: 'warmupSteps',
};
const DEFAULT_VOCAB = 4096;

export async function submitLanguageModelTraining(
  app: FastifyInstance,
  principal: Principal,
  projectId: string,
  request: LanguageModelTrainRequest,
): Promise<{ modelId: string; jobId: string }> {
  const { config } = request;
  const corpus = await checkLanguageModelDataset(app, projectId, request.dataset);
  const vocabSize =
    config.tokenizerId !== undefined
      ? await projectTokenizerSize(app, projectId, config.tokenizerId)
      : config.tokenizer === undefined
        ? (config.vocab ?? DEFAULT_VOCAB)
        : await reusedTokenizerSize(app, projectId, config.tokenizer);
  checkSettings(config, vocabSize);
  const modelId = randomUUID();
  const jobId = randomUUID();
  const payload = { jobId, projectId, modelId };
  const options: LanguageModelRunOptions = { kind: 'language-model', dataset: request.dataset, config };
  await insertTrainingRows(app.db, app.dbSchema, {
    modelId,
    runId: randomUUID(),
    jobId,
    projectId,
    name:
      request.name ?? `${corpus === null ? 'stories' : corpus.name}-lm-d${config.dModel}-l${config.layers}`,
    // What the model will be, as an imported language model records it; the worker replaces it with
    // the record of the trained folder (the tokenizer's real size, config.json, the tokenizer artifact).
    config: {
      kind: 'language-model',
      vocabSize,
      modelDim: config.dModel,
      hiddenDim: config.dHidden,
      layers: config.layers,
      attention: true,
      gate: config.gate,
      heads: config.heads,
      context: config.ctx,
      tokenizer: null,
      fileConfig: null,
    },
    options,
    datasetSpec: request.dataset,
    datasetId: null,
    createdById: principal.userId,
    maxAttempts: maxAttemptsOf('train'),
    payload,
  });
  await enqueueOrUndo(app, 'train', payload, () =>
    app.db.$transaction([
      app.db.job.deleteMany({ where: { id: jobId } }),
      app.db.model.deleteMany({ where: { id: modelId } }),
    ]),
  );
  return { modelId, jobId };
}

/** The transformer's shape and the schedule, by the training package's rule, as 400s naming the field. */
function checkSettings(config: LanguageModelTrainRequest['config'], vocabSize: number): void {
  try {
    languageModelRunOptions(languageModelRunSettings(config), vocabSize, Number.POSITIVE_INFINITY);
  } catch (error) {
    if (!(error instanceof LanguageModelSettingsError || error instanceof LanguageModelShapeError))
      throw error;
    const path = `body.config.${FIELD_OF[error.setting] ?? error.setting}`;
    throw badRequest('invalid-request', `${path}: ${error.problem}`, {
      issues: [{ path, message: error.problem, code: 'invalid_setting' }],
    });
  }
}

/** The vocabulary of the tokenizer a model of this project has (config.tokenizer), or a 400. */
async function reusedTokenizerSize(
  app: FastifyInstance,
  projectId: string,
  modelId: string,
): Promise<number> {
  const model = await app.db.model.findFirst({ where: { id: modelId, projectId } });
  const tokenizer = (
    model?.config as { tokenizer?: { artifactId?: unknown; vocabSize?: unknown } | null } | undefined
  )?.tokenizer;
  const path = 'body.config.tokenizer';
  if (model === null || model === undefined) {
    throw badRequest('invalid-request', `${path}: no model ${modelId} in project ${projectId}`, {
      issues: [{ path, message: 'unknown model', code: 'unknown_model' }],
    });
  }
  if (typeof tokenizer?.artifactId !== 'string' || typeof tokenizer.vocabSize !== 'number') {
    throw badRequest(
      'invalid-request',
      `${path}: model ${modelId} has no tokenizer to reuse (import its tokenizer.json, or give config.vocab to train one)`,
      { issues: [{ path, message: 'the model has no tokenizer', code: 'no_tokenizer' }] },
    );
  }
  return tokenizer.vocabSize;
}

/** The vocabulary of a tokenizer of this project (uploaded or trained), or a 400. */
async function projectTokenizerSize(
  app: FastifyInstance,
  projectId: string,
  tokenizerId: string,
): Promise<number> {
  const tokenizer = await app.db.tokenizer.findFirst({ where: { id: tokenizerId, projectId } });
  if (tokenizer === null) {
    const path = 'body.config.tokenizerId';
    throw badRequest('invalid-request', `${path}: no tokenizer ${tokenizerId} in project ${projectId}`, {
      issues: [{ path, message: 'unknown tokenizer', code: 'unknown_tokenizer' }],
    });
  }
  return tokenizer.vocabSize;
}
