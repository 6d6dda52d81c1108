import {
  EvaluateRequestSchema,
  EvaluationAcceptedSchema,
  SaeTrainAcceptedSchema,
  SaeTrainRequestSchema,
  SparseAutoencoderSchema,
} from '@bilinear-lab/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiConfig } from '../../env.js';
import { notFound } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { sendArtifact } from '../../services/artifact-download.js';
import { importSae, saeView } from '../../services/import-sae.js';
import { modelFor, saeFor } from '../../services/resources.js';
import { submitEvaluation, submitSaeTraining } from '../../services/submit-language-model-jobs.js';
import { errorResponses } from '../schemas.js';

const ModelParamsSchema = z.object({ modelId: z.uuid() });
const SaeParamsSchema = z.object({ saeId: z.uuid() });

/** Sparse autoencoders: attached to one hook point of one layer of a language model. */
const saeRoutes: FastifyPluginAsyncZod<{ config: ApiConfig }> = async (app, { config }) => {
  app.post(
    '/models/:modelId/saes/import',
    {
      schema: {
        tags: ['saes'],
        summary:
          'Attach a TopK SAE in the official layout (multipart: "file" = the weights, "config" = config.json; optional "name", "layer", "point")',
        description:
          'w_enc.weight [F, d], w_dec.weight [d, F] (unit columns), b_dec [d], optional w_enc.bias [F]. Layer and hook point ' +
          '(mlp-in, mlp-out, resid-pre, resid-mid, resid-post) come from config.json; the fields fill in for a config without them ' +
          'and must agree with one that has them. d must be the model’s d_model.',
        consumes: ['multipart/form-data'],
        params: ModelParamsSchema,
        response: { 201: SparseAutoencoderSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const model = await modelFor(app, request, request.params.modelId, 'run');
      const sae = await importSae(app, request, principalOf(request), model, config.uploadLimitMb);
      return reply.status(201).send(saeView(sae));
    },
  );

  app.post(
    '/models/:modelId/saes/train',
    {
      schema: {
        tags: ['saes'],
        summary:
          "Train a TopK SAE on a layer's hook point of a language model, as a job (`bilinear sae train`)",
        description:
          'The SAE row is created queued (source "trained") with the job; the job reads the corpus through the model\'s ' +
          'tokenizer, trains by the reference procedure (MSE per step as metrics events), measures the SAE on the held-out ' +
          'end of the text (SAE.metrics: mse, explainedVariance, lossRecovered, …) and stores it in the official layout ' +
          "(GET /saes/{id}/checkpoint, config.json as config). Give features or expansion; defaults are the CLI's.",
        params: ModelParamsSchema,
        body: SaeTrainRequestSchema,
        response: { 201: SaeTrainAcceptedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const model = await modelFor(app, request, request.params.modelId, 'run');
      const accepted = await submitSaeTraining(app, principalOf(request), model, request.body);
      return reply.status(201).send({ ...accepted, status: 'queued' as const });
    },
  );

  app.post(
    '/saes/:saeId/evaluate',
    {
      schema: {
        tags: ['saes'],
        summary: 'Measure an SAE on a corpus as a job (`bilinear sae eval`): its metrics become the measures',
        description:
          'MSE and explained variance at its hook point, and the loss recovered when its reconstruction is spliced into ' +
          "the model, over at most maxTokens tokens of the corpus (windows of the model's context); stored in the SAE's " +
          'metrics with the dataset and the positions measured (tokens).',
        params: SaeParamsSchema,
        body: EvaluateRequestSchema,
        response: { 202: EvaluationAcceptedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const sae = await saeFor(app, request, request.params.saeId, 'run');
      const model = await modelFor(app, request, sae.modelId, 'run');
      const accepted = await submitEvaluation(app, principalOf(request), model, sae, request.body);
      return reply.status(202).send({ ...accepted, status: 'queued' as const });
    },
  );

  app.get(
    '/models/:modelId/saes',
    {
      schema: {
        tags: ['saes'],
        summary: 'The SAEs attached to a language model, by layer and hook point',
        params: ModelParamsSchema,
        response: { 200: z.array(SparseAutoencoderSchema), ...errorResponses },
      },
    },
    async (request) => {
      const model = await modelFor(app, request, request.params.modelId, 'read');
      const rows = await app.db.sparseAutoencoder.findMany({
        where: { modelId: model.id },
        orderBy: [{ layer: 'asc' }, { hookPoint: 'asc' }, { createdAt: 'asc' }],
      });
      return rows.map(saeView);
    },
  );

  app.get(
    '/saes/:saeId',
    {
      schema: {
        tags: ['saes'],
        summary: 'An SAE: layer, hook point, width, k, its config.json and metrics',
        params: SaeParamsSchema,
        response: { 200: SparseAutoencoderSchema, ...errorResponses },
      },
    },
    async (request) => saeView(await saeFor(app, request, request.params.saeId, 'read')),
  );

  app.get(
    '/saes/:saeId/checkpoint',
    {
      schema: {
        tags: ['saes'],
        summary: 'Download the SAE’s weights as safetensors (official layout)',
        params: SaeParamsSchema,
        produces: ['application/octet-stream'],
        response: { 200: z.unknown().describe('the SAE as a .safetensors file'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const sae = await saeFor(app, request, request.params.saeId, 'read');
      const info =
        sae.checkpointArtifactId === null ? null : await app.artifacts.info(sae.checkpointArtifactId);
      if (info === null) throw notFound('checkpoint of SAE', sae.id);
      return sendArtifact(app, reply, info);
    },
  );
};

export default saeRoutes;
