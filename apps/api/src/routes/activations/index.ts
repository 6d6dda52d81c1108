import {
  ActivationsAcceptedSchema,
  ActivationsPageSchema,
  ActivationsQuerySchema,
  ActivationsRequestSchema,
  ActivationsRunSchema,
} from '@bilinear-lab/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { activationsPage, activationsRunView } from '../../services/activation-results.js';
import { decompositionFor } from '../../services/resources.js';
import { submitActivations } from '../../services/submit-activations.js';
import { errorResponses } from '../schemas.js';

const DecompositionParamsSchema = z.object({ decompositionId: z.uuid() });
const RunParamsSchema = z.object({ decompositionId: z.uuid(), activationsId: z.uuid() });

/**
 * Activations of a language model's decomposition over a corpus: started as a job per request
 * (identical requests share one run), read back per output as contexts with token text, per-token
 * values, a histogram and the low-rank correlation curve.
 */
const activationsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/decompositions/:decompositionId/activations',
    {
      schema: {
        tags: ['decompositions'],
        summary:
          "Read a completed language-model decomposition's outputs over a corpus (a job): 202 with a new (or re-queued) run, 200 when an identical request already has one",
        description:
          "Per output: the top-activating contexts of its direction (a token's u·MLP(x), or an output SAE feature's TopK code) and of its first `eigenvectors` stored eigenvectors per sign (λ (vᵀx)²), an activation histogram and the low-rank correlation curve. " +
          'A decomposition that is not completed answers 409, one of an image classifier or over an input SAE (DᵀQD) 422.',
        params: DecompositionParamsSchema,
        body: ActivationsRequestSchema,
        response: { 200: ActivationsAcceptedSchema, 202: ActivationsAcceptedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const decomposition = await decompositionFor(app, request, request.params.decompositionId, 'run');
      const { statusCode, ...submission } = await submitActivations(
        app,
        principalOf(request),
        decomposition,
        request.body,
      );
      return reply.status(statusCode).send(submission);
    },
  );

  app.get(
    '/decompositions/:decompositionId/activations',
    {
      schema: {
        tags: ['decompositions'],
        summary: "A decomposition's activations runs, newest first, with their status and progress",
        params: DecompositionParamsSchema,
        response: { 200: z.array(ActivationsRunSchema), ...errorResponses },
      },
    },
    async (request) => {
      const decomposition = await decompositionFor(app, request, request.params.decompositionId, 'read');
      const runs = await app.db.activationsRun.findMany({
        where: { decompositionId: decomposition.id },
        orderBy: { createdAt: 'desc' },
      });
      return Promise.all(runs.map((run) => activationsRunView(app, run)));
    },
  );

  app.get(
    '/decompositions/:decompositionId/activations/:activationsId',
    {
      schema: {
        tags: ['decompositions'],
        summary:
          'One activations run and its stored outputs, a page at a time (`?offset=&limit=`, at most 32; by default 4, or fewer so that the page stays under 1 MB) or `?outputs=4,99`',
        description:
          'Each output lists its series (the output, then each eigenvector read), each with its contexts: token ids, their text through the model’s tokenizer, the value at each token and the focus (the position that activated).',
        params: RunParamsSchema,
        querystring: ActivationsQuerySchema,
        response: { 200: ActivationsPageSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { decompositionId, activationsId } = request.params;
      const decomposition = await decompositionFor(app, request, decompositionId, 'read');
      const run = await app.db.activationsRun.findUnique({ where: { id: activationsId } });
      if (run === null || run.decompositionId !== decomposition.id)
        throw notFound('activations', activationsId);
      const model = await app.db.model.findUnique({
        where: { id: decomposition.modelId },
        select: { config: true },
      });
      const tokenText = model === null ? null : await app.tokenizers.tokenText(model.config);
      return activationsPage(app, run, request.query, tokenText);
    },
  );
};

export default activationsRoutes;
