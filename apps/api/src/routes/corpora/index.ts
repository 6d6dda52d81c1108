import { CorpusSchema, ProjectParamsSchema } from '@bilinear-lab/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ApiConfig, DEFAULT_CORPUS_UPLOAD_LIMIT_MB, tuningOf } from '../../env.js';
import { notFound } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { sendArtifact } from '../../services/artifact-download.js';
import { corpusFor, projectFor } from '../../services/resources.js';
import { uploadCorpus } from '../../services/upload-corpus.js';
import { corpusView, storiesCorpusView } from '../../services/views.js';
import { errorResponses } from '../schemas.js';

const CorpusParamsSchema = z.object({ corpusId: z.uuid() });

/** Text corpora uploaded to a project (and the bundled story generator), for language-model jobs. */
const corpusRoutes: FastifyPluginAsyncZod<{ config: ApiConfig }> = async (app, { config }) => {
  app.get(
    '/projects/:projectId/corpora',
    {
      schema: {
        tags: ['corpora'],
        summary: 'The built-in story generator, then the corpora uploaded to a project, newest first',
        params: ProjectParamsSchema,
        response: { 200: z.array(CorpusSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { projectId } = request.params;
      await projectFor(app, request, projectId, 'read');
      const corpora = await app.db.corpus.findMany({ where: { projectId }, orderBy: { createdAt: 'desc' } });
      return [storiesCorpusView(), ...corpora.map(corpusView)];
    },
  );

  app.post(
    '/projects/:projectId/corpora',
    {
      schema: {
        tags: ['corpora'],
        summary:
          'Upload a text corpus: "file" = .txt (documents separated by blank lines or <|endoftext|>) or .jsonl (one record per line), optionally .gz; optional fields "name", "format" (text | jsonl), "field" (jsonl: the documents\' field, default "text")',
        description:
          'Streamed into the artifact store and checked line by line as it arrives: a malformed record, a missing field, invalid UTF-8, ' +
          'a broken gzip or an over-long line answers 400 naming the line; a corpus with no documents 400; a file over ' +
          'BILINEAR_CORPUS_UPLOAD_LIMIT_MB 413. Nothing is stored after a refusal. Jobs name the corpus "corpus:<corpusId>".',
        consumes: ['multipart/form-data'],
        params: ProjectParamsSchema,
        response: { 201: CorpusSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { projectId } = request.params;
      await projectFor(app, request, projectId, 'run');
      const corpus = await uploadCorpus(app, request, principalOf(request), projectId, {
        limitMb: config.corpusUploadLimitMb ?? DEFAULT_CORPUS_UPLOAD_LIMIT_MB,
        ...tuningOf(config).corpus,
      });
      return reply.status(201).send(corpusView(corpus));
    },
  );

  app.get(
    '/corpora/:corpusId',
    {
      schema: {
        tags: ['corpora'],
        summary: 'An uploaded corpus: format, documents, bytes, lines, characters, SHA-256',
        params: CorpusParamsSchema,
        response: { 200: CorpusSchema, ...errorResponses },
      },
    },
    async (request) => corpusView(await corpusFor(app, request, request.params.corpusId, 'read')),
  );

  app.get(
    '/corpora/:corpusId/file',
    {
      schema: {
        tags: ['corpora'],
        summary: 'Download the corpus file as it was uploaded (byte for byte)',
        params: CorpusParamsSchema,
        produces: ['application/octet-stream'],
        response: { 200: z.unknown().describe('the uploaded file'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const corpus = await corpusFor(app, request, request.params.corpusId, 'read');
      const info = await app.artifacts.info(corpus.artifactId);
      if (info === null) throw notFound('file of corpus', corpus.id);
      return sendArtifact(app, reply, info);
    },
  );

  app.delete(
    '/corpora/:corpusId',
    {
      schema: {
        tags: ['corpora'],
        summary: 'Delete an uploaded corpus and its file (models trained on it keep their weights)',
        params: CorpusParamsSchema,
        response: { 204: z.null().describe('deleted'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const corpus = await corpusFor(app, request, request.params.corpusId, 'run');
      await app.db.corpus.delete({ where: { id: corpus.id } });
      await app.artifacts.delete(corpus.artifactId);
      return reply.status(204).send(null);
    },
  );
};

export default corpusRoutes;
