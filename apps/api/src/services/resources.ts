// Loading a resource by id for a caller: absent, or in a project the caller's key does not open,
// both answer 404 with the same message (never another project's data).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../errors.js';
import { principalOf } from '../plugins/auth.js';
import type { Need } from './access.js';

export async function modelFor(app: FastifyInstance, request: FastifyRequest, id: string, need: Need) {
  const model = await app.db.model.findUnique({
    where: { id },
    include: { trainingRun: { select: { id: true, jobId: true } } },
  });
  if (model === null) throw notFound('model', id);
  await app.access.require(principalOf(request), model.projectId, need, { what: 'model', id });
  return model;
}

export async function decompositionFor(
  app: FastifyInstance,
  request: FastifyRequest,
  id: string,
  need: Need,
) {
  const decomposition = await app.db.decomposition.findUnique({ where: { id } });
  if (decomposition === null) throw notFound('decomposition', id);
  await app.access.require(principalOf(request), decomposition.projectId, need, {
    what: 'decomposition',
    id,
  });
  return decomposition;
}

export async function jobFor(app: FastifyInstance, request: FastifyRequest, id: string, need: Need) {
  const job = await app.db.job.findUnique({ where: { id } });
  if (job === null) throw notFound('job', id);
  await app.access.require(principalOf(request), job.projectId, need, { what: 'job', id });
  return job;
}

/** For routes under /projects/:projectId. */
export async function projectFor(app: FastifyInstance, request: FastifyRequest, id: string, need: Need) {
  return app.access.require(principalOf(request), id, need, { what: 'project', id });
}

export async function saeFor(app: FastifyInstance, request: FastifyRequest, id: string, need: Need) {
  const sae = await app.db.sparseAutoencoder.findUnique({ where: { id } });
  if (sae === null) throw notFound('SAE', id);
  await app.access.require(principalOf(request), sae.projectId, need, { what: 'SAE', id });
  return sae;
}

export async function corpusFor(app: FastifyInstance, request: FastifyRequest, id: string, need: Need) {
  const corpus = await app.db.corpus.findUnique({ where: { id } });
  if (corpus === null) throw notFound('corpus', id);
  await app.access.require(principalOf(request), corpus.projectId, need, { what: 'corpus', id });
  return corpus;
}

export async function tokenizerFor(app: FastifyInstance, request: FastifyRequest, id: string, need: Need) {
  const tokenizer = await app.db.tokenizer.findUnique({ where: { id } });
  if (tokenizer === null) throw notFound('tokenizer', id);
  await app.access.require(principalOf(request), tokenizer.projectId, need, { what: 'tokenizer', id });
  return tokenizer;
}
