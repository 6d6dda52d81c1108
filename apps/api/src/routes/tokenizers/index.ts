import { ProjectParamsSchema, TokenizerSchema, TokenizerTrainRequestSchema } from '@bilinear-lab/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiConfig } from '../../env.js';
import { notFound } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { sendArtifact } from '../../services/artifact-download.js';
import { projectFor, tokenizerFor } from '../../services/resources.js';
import { submitTokenizerTraining } from '../../services/submit-tokenizer-training.js';
import { uploadTokenizer } from '../../services/upload-tokenizer.js';
import { tokenizerView } from '../../services/views.js';
import { errorResponses } from '../schemas.js';

const TokenizerParamsSchema = z.object({ tokenizerId: z.uuid() });

const TokenizeBodySchema = z
  .object({
    text: z.string().min(1).max(1_000_000).describe('the text to encode'),
    special: z
      .boolean()
      .default(true)
      .describe("add the tokenizer's special tokens ([BOS] …) as in training"),
  })
  .strict();

const TokenizedSchema = z.object({ ids: z.array(z.number().int()), tokens: z.array(z.string()) });

/** Tokenizers kept in a project (tokenizer.json artifacts), for language-model training. */
const tokenizerRoutes: FastifyPluginAsyncZod<{ config: ApiConfig }> = async (app, { config }) => {
  app.get(
    '/projects/:projectId/tokenizers',
    {
      schema: {
        tags: ['tokenizers'],
        summary: 'Tokenizers uploaded to or trained in a project, newest first',
        params: ProjectParamsSchema,
        response: { 200: z.array(TokenizerSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { projectId } = request.params;
      await projectFor(app, request, projectId, 'read');
      const rows = await app.db.tokenizer.findMany({ where: { projectId }, orderBy: { createdAt: 'desc' } });
      return rows.map(tokenizerView);
    },
  );

  app.post(
    '/projects/:projectId/tokenizers',
    {
      schema: {
        tags: ['tokenizers'],
        summary:
          'Upload a tokenizer.json ("file"; optional field "name"), checked by the text package’s loadTokenizer',
        description:
          'A file the tokenizer library cannot load answers 400 `invalid-tokenizer` saying what is wrong. Training a language ' +
          'model may then name it: config.tokenizerId.',
        consumes: ['multipart/form-data'],
        params: ProjectParamsSchema,
        response: { 201: TokenizerSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { projectId } = request.params;
      await projectFor(app, request, projectId, 'run');
      const tokenizer = await uploadTokenizer(
        app,
        request,
        principalOf(request),
        projectId,
        config.uploadLimitMb,
      );
      return reply.status(201).send(tokenizerView(tokenizer));
    },
  );

  app.post(
    '/projects/:projectId/tokenizers/train',
    {
      schema: {
        tags: ['tokenizers'],
        summary:
          'Train a WordPiece tokenizer of `vocab` tokens on a corpus ("stories", "stories:<count>", "corpus:<id>") as a job',
        description:
          'The same trainer as `bilinear tokenizer train`; its progress streams on GET /jobs/{jobId}/events. When the job completes ' +
          'the tokenizer is GET /tokenizers/{tokenizerId} (source "trained").',
        params: ProjectParamsSchema,
        body: TokenizerTrainRequestSchema,
        response: { 202: z.object({ tokenizerId: z.uuid(), jobId: z.uuid() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { projectId } = request.params;
      await projectFor(app, request, projectId, 'run');
      const submitted = await submitTokenizerTraining(app, principalOf(request), projectId, request.body);
      return reply.status(202).send(submitted);
    },
  );

  app.get(
    '/tokenizers/:tokenizerId',
    {
      schema: {
        tags: ['tokenizers'],
        summary: 'A tokenizer: name, vocabulary size, where it came from',
        params: TokenizerParamsSchema,
        response: { 200: TokenizerSchema, ...errorResponses },
      },
    },
    async (request) => tokenizerView(await tokenizerFor(app, request, request.params.tokenizerId, 'read')),
  );

  app.get(
    '/tokenizers/:tokenizerId/file',
    {
      schema: {
        tags: ['tokenizers'],
        summary: 'Download the tokenizer.json',
        params: TokenizerParamsSchema,
        produces: ['application/octet-stream'],
        response: { 200: z.unknown().describe('tokenizer.json'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const tokenizer = await tokenizerFor(app, request, request.params.tokenizerId, 'read');
      const info = await app.artifacts.info(tokenizer.artifactId);
      if (info === null) throw notFound('file of tokenizer', tokenizer.id);
      return sendArtifact(app, reply, info);
    },
  );

  app.post(
    '/tokenizers/:tokenizerId/tokenize',
    {
      schema: {
        tags: ['tokenizers'],
        summary: 'A text as this tokenizer encodes it: ids and their tokens',
        params: TokenizerParamsSchema,
        body: TokenizeBodySchema,
        response: { 200: TokenizedSchema, ...errorResponses },
      },
    },
    async (request) => {
      const row = await tokenizerFor(app, request, request.params.tokenizerId, 'read');
      // The cache of loaded tokenizers the model routes use, keyed by the artifact.
      const tokenizer = await app.tokenizers.tokenizer({ tokenizer: { artifactId: row.artifactId } });
      if (tokenizer === null) throw notFound('file of tokenizer', row.id);
      const encoding = await tokenizer.encode(request.body.text, { addSpecialTokens: request.body.special });
      return { ids: Array.from(encoding.ids), tokens: [...encoding.tokens] };
    },
  );
};

export default tokenizerRoutes;
