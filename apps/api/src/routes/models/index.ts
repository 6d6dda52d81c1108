import {
  LanguageModelTrainRequestSchema,
  MetricsQuerySchema,
  ModelImportedSchema,
  ModelListQuerySchema,
  ModelSchema,
  ProjectParamsSchema,
  TrainAcceptedSchema,
  TrainingMetricSchema,
  TrainRequestSchema,
} from '@bilinear-lab/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ApiConfig, tuningOf } from '../../env.js';
import { conflict, notFound } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { sendArtifact } from '../../services/artifact-download.js';
import { importModel } from '../../services/import-model.js';
import { ModelInspectionPool } from '../../services/model-inspection-pool.js';
import { modelFor, projectFor } from '../../services/resources.js';
import { submitLanguageModelTraining } from '../../services/submit-language-model-training.js';
import { submitTraining } from '../../services/submit-training.js';
import { modelView, trainingMetricView } from '../../services/views.js';
import { errorResponses } from '../schemas.js';

const ModelParamsSchema = z.object({ modelId: z.uuid() });

/** Models: trained here (a queued job) or imported from a safetensors file. */
const modelRoutes: FastifyPluginAsyncZod<{ config: ApiConfig }> = async (app, { config }) => {
  const inspector = new ModelInspectionPool(tuningOf(config).modelInspection);
  app.addHook('onClose', () => inspector.close());

  app.get(
    '/projects/:projectId/models',
    {
      schema: {
        tags: ['models'],
        summary: 'Models of a project, newest first',
        params: ProjectParamsSchema,
        querystring: ModelListQuerySchema,
        response: { 200: z.array(ModelSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { projectId } = request.params;
      await projectFor(app, request, projectId, 'read');
      const models = await app.db.model.findMany({
        where: { projectId },
        include: { trainingRun: { select: { jobId: true } } },
        orderBy: { createdAt: 'desc' },
        take: request.query.limit,
      });
      return models.map(modelView);
    },
  );

  app.post(
    '/projects/:projectId/models/train',
    {
      schema: {
        tags: ['models'],
        summary: 'Queue a training run on the bundled MNIST digits or an uploaded dataset',
        params: ProjectParamsSchema,
        body: TrainRequestSchema,
        response: { 202: TrainAcceptedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { projectId } = request.params;
      await projectFor(app, request, projectId, 'run');
      const accepted = await submitTraining(app, principalOf(request), projectId, request.body);
      return reply.status(202).send(accepted);
    },
  );

  app.post(
    '/projects/:projectId/models/train-language-model',
    {
      schema: {
        tags: ['models'],
        summary: 'Queue the training of a language model (bilinear transformer) on the bundled stories',
        description:
          "The CLI's `bilinear train --dataset stories …` as a job: a WordPiece tokenizer of `vocab` tokens is trained " +
          'on the corpus (or the tokenizer of the model `tokenizer` is reused), then the transformer. The job streams ' +
          'step metrics (loss, learning rate, tokens per second) as events and metric rows, stores a resumable ' +
          'checkpoint every `checkpointEvery` steps (a retried job continues from it) and ends with the HF folder: ' +
          'model.safetensors as the checkpoint, config.json in config.fileConfig, tokenizer.json as config.tokenizer.',
        params: ProjectParamsSchema,
        body: LanguageModelTrainRequestSchema,
        response: { 202: TrainAcceptedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { projectId } = request.params;
      await projectFor(app, request, projectId, 'run');
      const accepted = await submitLanguageModelTraining(app, principalOf(request), projectId, request.body);
      return reply.status(202).send(accepted);
    },
  );

  app.post(
    '/projects/:projectId/models/import',
    {
      schema: {
        tags: ['models'],
        summary:
          'Import a safetensors model (multipart): an image classifier in the field "file" (optional "residual"), or a language model\'s HF folder as the parts "file" (model.safetensors), "config" (config.json) and optionally "tokenizer" (tokenizer.json); optional "name"',
        description:
          'The file streams into the artifact store as it arrives; its safetensors header decides the layout and the ' +
          'limit that applies (BILINEAR_UPLOAD_LIMIT_MB for classifiers, BILINEAR_MODEL_UPLOAD_LIMIT_MB for language ' +
          'models, which are never held in memory). A language model answers with config.kind "language-model". ' +
          'Classifier files are read and scored by a small pool of threads; when too many imports are already waiting, ' +
          'the request is refused with 503 `unavailable` and a Retry-After header (seconds): retry then.',
        consumes: ['multipart/form-data'],
        params: ProjectParamsSchema,
        response: { 201: ModelImportedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { projectId } = request.params;
      await projectFor(app, request, projectId, 'run');
      const model = await importModel(
        app,
        request,
        principalOf(request),
        projectId,
        { uploadLimitMb: config.uploadLimitMb, modelUploadLimitMb: config.modelUploadLimitMb },
        inspector,
      );
      return reply.status(201).send({
        modelId: model.id,
        config: model.config as Record<string, unknown>,
        metrics: model.metrics as Record<string, unknown> | null,
      });
    },
  );

  app.get(
    '/models/:modelId',
    {
      schema: {
        tags: ['models'],
        summary: 'A model: status, config and metrics (testAccuracy once known)',
        params: ModelParamsSchema,
        response: { 200: ModelSchema, ...errorResponses },
      },
    },
    async (request) => modelView(await modelFor(app, request, request.params.modelId, 'read')),
  );

  app.get(
    '/models/:modelId/metrics',
    {
      schema: {
        tags: ['models'],
        summary: 'The training metric series (steps and epochs), in order',
        params: ModelParamsSchema,
        querystring: MetricsQuerySchema,
        response: { 200: z.array(TrainingMetricSchema), ...errorResponses },
      },
    },
    async (request) => {
      const model = await modelFor(app, request, request.params.modelId, 'read');
      if (model.trainingRun === null) return [];
      const metrics = await app.db.trainingMetric.findMany({
        where: {
          runId: model.trainingRun.id,
          ...(request.query.kind ? { kind: request.query.kind } : {}),
        },
        orderBy: [{ step: 'asc' }, { kind: 'desc' }],
      });
      return metrics.map(trainingMetricView);
    },
  );

  app.get(
    '/models/:modelId/checkpoint',
    {
      schema: {
        tags: ['models'],
        summary: 'Download the model as safetensors (reference layout)',
        params: ModelParamsSchema,
        produces: ['application/octet-stream'],
        response: { 200: z.unknown().describe('the model as a .safetensors file'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const model = await modelFor(app, request, request.params.modelId, 'read');
      if (model.checkpointArtifactId === null) {
        if (model.status !== 'completed') {
          throw conflict(
            'not-ready',
            `model ${model.id} is ${model.status}; its checkpoint exists once training has completed`,
          );
        }
        throw notFound('checkpoint of model', model.id);
      }
      const info = await app.artifacts.info(model.checkpointArtifactId);
      if (info === null) throw notFound('checkpoint of model', model.id);
      return sendArtifact(app, reply, info);
    },
  );
};

export default modelRoutes;
