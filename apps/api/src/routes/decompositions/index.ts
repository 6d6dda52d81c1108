import {
  DECOMPOSITION_PAGE,
  DecompositionAcceptedSchema,
  DecompositionQuerySchema,
  DecompositionRequestSchema,
  DecompositionSchema,
  DecompositionSummarySchema,
  decimalInteger,
  EigenvectorQuerySchema,
  EigenvectorsSchema,
  JobStatusSchema,
  ProjectParamsSchema,
} from '@bilinear-lab/contracts';
import { MNIST_PIXELS } from '@bilinear-lab/datasets';
import type { Decomposition } from '@bilinear-lab/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ApiConfig, tuningOf } from '../../env.js';
import { notFound } from '../../errors.js';
import { principalOf } from '../../plugins/auth.js';
import { contentDisposition } from '../../services/artifact-download.js';
import {
  decompositionBody,
  eigenvectorBody,
  type ResponseBody,
} from '../../services/decomposition-results.js';
import { decompositionFor, modelFor, projectFor } from '../../services/resources.js';
import { type CachedResponse, etagOf, matchesEtag, ResponseCache } from '../../services/response-cache.js';
import { once } from '../../services/single-flight.js';
import { spectraDownload } from '../../services/spectra-download.js';
import { submitDecomposition } from '../../services/submit-decomposition.js';
import { decompositionSummaryView } from '../../services/views.js';
import { errorResponses } from '../schemas.js';

const ModelParamsSchema = z.object({ modelId: z.uuid() });
const DecompositionParamsSchema = z.object({ decompositionId: z.uuid() });
const OutputParamsSchema = z.object({
  decompositionId: z.uuid(),
  index: decimalInteger(),
});
const SpectraQuerySchema = z.object({ format: z.enum(['npy', 'csv']).default('npy') }).strict();
const ListQuerySchema = z
  .object({
    status: JobStatusSchema.optional(),
    limit: decimalInteger().pipe(z.number().min(1).max(1000)).default(200),
  })
  .strict();

/**
 * Decompositions: requested per model (deduplicated), read back as spectra and eigenvectors.
 * Completed ones never change, so their serialized bodies are served from memory with ETags.
 */
interface Built {
  projectId: string;
  entry?: CachedResponse;
  error?: unknown;
}

const decompositionRoutes: FastifyPluginAsyncZod<{ config: ApiConfig }> = async (app, { config }) => {
  const cache = new ResponseCache(tuningOf(config).responseCacheBytes);

  // Bodies being built: a burst of requests for one uncached body waits on a single build.
  const building = new Map<string, Promise<Built | null>>();

  /**
   * A decomposition's body from the cache, else built once (cached when the decomposition is
   * final) and sent. The caller's access is checked on every request before anything about the
   * decomposition — its body or an error about the query — is revealed.
   */
  async function serve(
    request: FastifyRequest,
    reply: FastifyReply,
    decompositionId: string,
    variant: string,
    build: (decomposition: Decomposition) => Promise<ResponseBody>,
  ) {
    const key = `${decompositionId}|${variant}`;
    const cached = cache.get(key);
    const built = cached
      ? { projectId: cached.projectId, entry: cached }
      : await once(building, key, async (): Promise<Built | null> => {
          const decomposition = await app.db.decomposition.findUnique({ where: { id: decompositionId } });
          if (decomposition === null) return null;
          try {
            const body = await build(decomposition);
            const entry = { ...body, etag: etagOf(body.body), projectId: decomposition.projectId };
            if (decomposition.status === 'completed') cache.set(key, entry);
            return { projectId: decomposition.projectId, entry };
          } catch (error) {
            return { projectId: decomposition.projectId, error };
          }
        });
    if (built === null) throw notFound('decomposition', decompositionId);
    await app.access.require(principalOf(request), built.projectId, 'read', {
      what: 'decomposition',
      id: decompositionId,
    });
    if (built.entry === undefined) throw built.error;
    return send(request, reply, built.entry);
  }

  app.post(
    '/models/:modelId/decompositions',
    {
      schema: {
        tags: ['decompositions'],
        summary:
          'Decompose a model: 202 with a new (or re-queued) decomposition, 200 when an identical request already has one',
        description:
          'A model whose blocks are gated (relu, silu, gelu) is not bilinear: its outputs are not quadratic forms, so it answers 422 not-bilinear.',
        params: ModelParamsSchema,
        body: DecompositionRequestSchema,
        response: { 200: DecompositionAcceptedSchema, 202: DecompositionAcceptedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const model = await modelFor(app, request, request.params.modelId, 'run');
      const { statusCode, ...submission } = await submitDecomposition(
        app,
        principalOf(request),
        model,
        request.body,
      );
      return reply.status(statusCode).send(submission);
    },
  );

  app.get(
    '/projects/:projectId/decompositions',
    {
      schema: {
        tags: ['decompositions'],
        summary: 'Decompositions of a project, newest first (without their spectra)',
        params: ProjectParamsSchema,
        querystring: ListQuerySchema,
        response: { 200: z.array(DecompositionSummarySchema), ...errorResponses },
      },
    },
    async (request) => {
      const { projectId } = request.params;
      await projectFor(app, request, projectId, 'read');
      const rows = await app.db.decomposition.findMany({
        where: { projectId, ...(request.query.status ? { status: request.query.status } : {}) },
        orderBy: { createdAt: 'desc' },
        take: request.query.limit,
      });
      return rows.map(decompositionSummaryView);
    },
  );

  app.get(
    '/models/:modelId/decompositions',
    {
      schema: {
        tags: ['decompositions'],
        summary: 'Decompositions of a model, newest first (without their spectra)',
        params: ModelParamsSchema,
        querystring: ListQuerySchema,
        response: { 200: z.array(DecompositionSummarySchema), ...errorResponses },
      },
    },
    async (request) => {
      const model = await modelFor(app, request, request.params.modelId, 'read');
      const rows = await app.db.decomposition.findMany({
        where: { modelId: model.id, ...(request.query.status ? { status: request.query.status } : {}) },
        orderBy: { createdAt: 'desc' },
        take: request.query.limit,
      });
      return rows.map(decompositionSummaryView);
    },
  );

  app.get(
    '/decompositions/:decompositionId',
    {
      schema: {
        tags: ['decompositions'],
        summary:
          'Status, parameters, every output’s spectrum (all eigenvalues, most positive first), exactness and linear term, and the analyses',
        description:
          'Each output is exactly Σ λ (vᵀx)² over its eigenpairs, plus aᵀx for a residual block, with a = `linear_model` (null otherwise). ' +
          '`exactness` is the worst relative error of that rebuild against the model file’s own forward pass. ' +
          `A decomposition of more than ${DECOMPOSITION_PAGE} outputs (every token of a language model, say) lists them a page at a time, in index order: ` +
          '`page` says which (`?offset=&limit=`, at most 512 a page); `?outputs=4,99` gives just those outputs.',
        params: DecompositionParamsSchema,
        querystring: DecompositionQuerySchema,
        response: { 200: DecompositionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { offset, limit, outputs } = request.query;
      const variant =
        outputs !== undefined
          ? `view|outputs|${[...outputs].sort((a, b) => a - b).join(',')}`
          : offset === undefined && limit === undefined
            ? 'view'
            : `view|${offset ?? 0}|${limit ?? ''}`;
      return serve(request, reply, request.params.decompositionId, variant, (decomposition) =>
        decompositionBody(app.db, decomposition, request.query),
      );
    },
  );

  app.get(
    '/decompositions/:decompositionId/outputs/:index/eigenvectors',
    {
      schema: {
        tags: ['decompositions'],
        summary:
          'Top-k eigenvectors of one output: json, f32 (raw little-endian rows; X-Shape, X-Dtype, X-Eigenvalues, X-Positive-Count, X-Negative-Count, X-Linear-Term headers) or npy (the same headers)',
        description:
          'Rows: the k largest positive eigenvalues (descending), then the k most negative (ascending), as `sign` selects; ' +
          'positiveCount / negativeCount (X-Positive-Count / X-Negative-Count) say how many of each were returned. ' +
          'For a residual block, linearTerm (X-Linear-Term, comma-separated) is the linear term a in the same space: the output is Σ λ (vᵀx)² + aᵀx. ' +
          `\`space=input\` gives pixel-space vectors (length ${MNIST_PIXELS} for MNIST), \`space=model\` hidden-space ones (length d).`,
        params: OutputParamsSchema,
        querystring: EigenvectorQuerySchema,
        produces: ['application/json', 'application/octet-stream'],
        response: { 200: EigenvectorsSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { decompositionId, index } = request.params;
      const query = request.query;
      const variant = `${index}|${query.space}|${query.k ?? ''}|${query.sign}|${query.format}`;
      return serve(request, reply, decompositionId, variant, (decomposition) =>
        eigenvectorBody(app.db, decomposition, index, query, async () => {
          const model = await app.db.model.findUnique({
            where: { id: decomposition.modelId },
            select: { config: true },
          });
          return model === null ? null : app.tokenizers.tokenText(model.config);
        }),
      );
    },
  );

  app.get(
    '/decompositions/:decompositionId/spectra',
    {
      schema: {
        tags: ['decompositions'],
        summary: 'Every output’s spectrum as one download: npy (float64, [outputs, d]) or CSV',
        description:
          'Rows in output-index order (the sorted `outputs` of the request, every token 0…V−1, or the SAE features), each the whole spectrum most positive first; ' +
          'CSV starts each row with the output index. Streamed: a decomposition of every token reads a page of rows at a time. 409 until the decomposition has completed.',
        params: DecompositionParamsSchema,
        querystring: SpectraQuerySchema,
        produces: ['application/octet-stream', 'text/csv'],
        response: { 200: z.unknown().describe('the spectra as .npy or .csv'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const decomposition = await decompositionFor(app, request, request.params.decompositionId, 'read');
      const download = await spectraDownload(app.db, decomposition, request.query.format);
      reply
        .header('content-type', download.contentType)
        .header('content-disposition', contentDisposition(download.fileName));
      if (download.byteLength !== null) reply.header('content-length', String(download.byteLength));
      return reply.send(download.body);
    },
  );
};

function send(request: FastifyRequest, reply: FastifyReply, entry: CachedResponse) {
  reply.header('etag', entry.etag).header('cache-control', 'private, no-cache');
  if (matchesEtag(request.headers['if-none-match'], entry.etag)) return reply.status(304).send();
  return reply.headers(entry.headers).type(entry.contentType).send(entry.body);
}

export default decompositionRoutes;
