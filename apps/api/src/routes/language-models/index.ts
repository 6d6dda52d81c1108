import {
  EvaluateRequestSchema,
  EvaluationAcceptedSchema,
  GeneratedSchema,
  GenerateRequestSchema,
} from '@bilinear-lab/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiConfig } from '../../env.js';
import { unprocessable } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { modelFor } from '../../services/resources.js';
import { readableLanguageModel, submitEvaluation } from '../../services/submit-language-model-jobs.js';
import { TextGeneration } from '../../services/text-generation.js';
import { errorResponses } from '../schemas.js';

const ModelParamsSchema = z.object({ modelId: z.uuid() });

/** A language model measured on a corpus (a job) and continuing a prompt (answered at once). */
const languageModelRoutes: FastifyPluginAsyncZod<{ config: ApiConfig }> = async (app) => {
  const generation = new TextGeneration(app.artifacts);
  app.addHook('onClose', () => generation.close());

  app.post(
    '/models/:modelId/evaluate',
    {
      schema: {
        tags: ['models'],
        summary: "A language model's held-out loss on a corpus, as a job (`bilinear lm eval`)",
        description:
          "The mean next-token cross-entropy (nats) over every position of the windows of the model's context read from " +
          'at most maxTokens tokens of the corpus; when the job completes, Model.metrics.evaluation holds ' +
          '{loss, perplexity, dataset, tokens (predicted), positions, sequences}.',
        params: ModelParamsSchema,
        body: EvaluateRequestSchema,
        response: { 202: EvaluationAcceptedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const model = await modelFor(app, request, request.params.modelId, 'run');
      const accepted = await submitEvaluation(app, principalOf(request), model, null, request.body);
      return reply.status(202).send({ ...accepted, status: 'queued' as const });
    },
  );

  app.post(
    '/models/:modelId/generate',
    {
      schema: {
        tags: ['models'],
        summary: "Continue a prompt with a language model's own tokens (`bilinear lm generate`)",
        description:
          "The prompt goes through the model's tokenizer; `ids` are the tokens added (the same for the same seed), `text` " +
          'the prompt and the added tokens decoded. Temperature 0 takes the most likely token. Bounded: at most 256 ' +
          'tokens, and 422 `too-large` for a request whose forward passes would cost more than the server allows.',
        params: ModelParamsSchema,
        body: GenerateRequestSchema,
        response: { 200: GeneratedSchema, ...errorResponses },
      },
    },
    async (request) => {
      // Sampling spends the API's CPU (seconds per request): members run it, viewers read.
      const model = await modelFor(app, request, request.params.modelId, 'run');
      readableLanguageModel(model, 'generating text');
      const tokenizer = await app.tokenizers.tokenizer(model.config);
      if (tokenizer === null) {
        throw unprocessable('no-tokenizer', `model ${model.id}: its tokenizer is missing`);
      }
      return generation.generate(model, tokenizer, request.body);
    },
  );
};

export default languageModelRoutes;
