// POST /models/:id/decompositions: identical requests (whatever their key order) share one
// decomposition — the existing one answers 200, or is retried (202) when it failed or was
// cancelled; a new one is created with its Job in one statement (202) and then enqueued.
import { randomUUID } from 'node:crypto';
import { type DecompositionRequest, decompositionKey, type JobStatus } from '@bilinear-lab/contracts';
import { GATES, type Gate, notBilinearReason } from '@bilinear-lab/core';
import { MNIST_CLASSES, PLATFORM_DATASET_KINDS, parseDatasetSpec } from '@bilinear-lab/datasets';
import { type Decomposition, type Model, uniqueKeyText } from '@bilinear-lab/db';
import type { FastifyInstance } from 'fastify';
import { badRequest, conflict, unprocessable } from '../errors.js';
import type { Principal } from './access.js';
import { enqueueOrUndo, maxAttemptsOf } from './enqueue-job.js';
import { retryJob } from './job-control.js';
import { insertDecompositionRows } from './job-inserts.js';
import { queueShardJobs } from './shard-jobs.js';

export interface DecompositionSubmission {
  decompositionId: string;
  jobId: string;
  status: JobStatus;
  deduplicated: boolean;
  /** 202 when work was queued by this request, 200 when an existing decomposition answers it. */
  statusCode: 200 | 202;
}

export async function submitDecomposition(
  app: FastifyInstance,
  principal: Principal,
  model: Model,
  request: DecompositionRequest,
): Promise<DecompositionSubmission> {
  if (model.status !== 'completed') {
    throw conflict(
      'model-not-ready',
      `model ${model.id} is ${model.status}; decompose it once its training has completed`,
    );
  }
  // The model file's gate, as read at training or import time (Model.config); the worker checks the file again.
  const gate = (model.config as { gate?: unknown } | null)?.gate;
  const notBilinear = GATES.includes(gate as Gate) ? notBilinearReason(gate as Gate) : null;
  if (notBilinear !== null) {
    throw unprocessable('not-bilinear', `model ${model.id} cannot be decomposed: ${notBilinear}`);
  }
  const fitted = await fitToModel(app, model, request);
  const parametersKey = uniqueKeyText(decompositionKey(fitted));
  const decompositionId = randomUUID();
  const jobId = randomUUID();
  const payload = { jobId, projectId: model.projectId, decompositionId };
  const inserted = await insertDecompositionRows(app.db, app.dbSchema, {
    decompositionId,
    jobId,
    projectId: model.projectId,
    modelId: model.id,
    parameters: canonicalParameters(fitted),
    parametersKey,
    createdById: principal.userId,
    maxAttempts: maxAttemptsOf('decompose'),
    payload,
  });
  if (!inserted) {
    const existing = await app.db.decomposition.findUniqueOrThrow({
      where: { modelId_parametersKey: { modelId: model.id, parametersKey } },
    });
    return reuse(app, principal, model, existing, fitted);
  }
  await enqueueOrUndo(app, 'decompose', payload, () =>
    app.db.$transaction([
      app.db.job.deleteMany({ where: { id: jobId } }),
      app.db.decomposition.deleteMany({ where: { id: decompositionId } }),
    ]),
  );
  if (isLanguageModel(model)) await queueShardJobs(app, principal, model, decompositionId, fitted);
  return { decompositionId, jobId, status: 'queued', deduplicated: false, statusCode: 202 };
}

async function reuse(
  app: FastifyInstance,
  principal: Principal,
  model: Model,
  existing: Decomposition,
  request: DecompositionRequest,
): Promise<DecompositionSubmission> {
  const jobId = existing.jobId;
  if (jobId === null) throw new Error(`decomposition ${existing.id} has no job`);
  if (existing.status === 'failed' || existing.status === 'cancelled') {
    const job = await app.db.job.findUniqueOrThrow({ where: { id: jobId } });
    if (job.status === 'failed' || job.status === 'cancelled') {
      await retryJob(app, job);
      // The earlier attempt's helpers have ended: the retry gets its own.
      if (isLanguageModel(model)) await queueShardJobs(app, principal, model, existing.id, request);
    }
    return { decompositionId: existing.id, jobId, status: 'queued', deduplicated: true, statusCode: 202 };
  }
  return {
    decompositionId: existing.id,
    jobId,
    status: existing.status,
    deduplicated: true,
    statusCode: 200,
  };
}

function isLanguageModel(model: Model): boolean {
  return (model.config as { kind?: unknown } | null)?.kind === 'language-model';
}

/** The request with its defaults, lists sorted and deduplicated: what the worker reads. */
function canonicalParameters(request: DecompositionRequest): Record<string, unknown> {
  const sorted = (values: number[]) => [...new Set(values)].sort((a, b) => a - b);
  return {
    topK: request.topK,
    truncationK: sorted(request.truncationK),
    hosvd: request.hosvd,
    adversarial: request.adversarial,
    ...(request.outputs ? { outputs: sorted(request.outputs) } : {}),
    ...(request.layer !== undefined ? { layer: request.layer } : {}),
    ...(request.allTokens ? { allTokens: true } : {}),
    ...(request.comparison ? { comparison: sorted(request.comparison) } : {}),
    ...(request.saeOut ? { saeOut: request.saeOut } : {}),
    ...(request.features ? { features: sorted(request.features) } : {}),
    ...(request.allFeatures ? { allFeatures: true } : {}),
    ...(request.saeIn ? { saeIn: request.saeIn } : {}),
  };
}

const invalid = (path: string, message: string) =>
  badRequest('invalid-request', `${path}: ${message}`, { issues: [{ path, message, code: 'custom' }] });

/**
 * The request as it applies to this model: topK beyond the width d keeps all d eigenvectors (so
 * such requests share one decomposition); outputs must be among the model's classes or tokens.
 */
async function fitToModel(
  app: FastifyInstance,
  model: Model,
  request: DecompositionRequest,
): Promise<DecompositionRequest> {
  if (isLanguageModel(model)) return fitToLanguageModel(app, model, request);
  const languageOnly = (
    ['layer', 'allTokens', 'comparison', 'saeOut', 'saeIn', 'features', 'allFeatures'] as const
  ).find((key) => request[key] !== undefined);
  if (languageOnly !== undefined) {
    throw invalid(
      `body.${languageOnly}`,
      `applies to language models; model ${model.id} is an image classifier`,
    );
  }
  const config = model.config as { hiddenDim?: unknown; outputDim?: unknown };
  const hiddenDim = typeof config.hiddenDim === 'number' ? config.hiddenDim : null;
  const classes = await outputCount(app, model, config.outputDim);
  const outside = (request.outputs ?? []).filter((index) => classes !== null && index >= classes);
  if (outside.length > 0 && classes !== null) {
    throw badRequest(
      'invalid-request',
      `body.outputs: ${outside.join(', ')} outside the model's outputs 0..${classes - 1}`,
      { issues: [{ path: 'body.outputs', message: `indices must be below ${classes}`, code: 'too_big' }] },
    );
  }
  return hiddenDim !== null && request.topK > hiddenDim ? { ...request, topK: hiddenDim } : request;
}

async function outputCount(app: FastifyInstance, model: Model, outputDim: unknown): Promise<number | null> {
  if (typeof outputDim === 'number') return outputDim;
  const spec =
    model.datasetSpec === null
      ? null
      : parseDatasetSpec(model.datasetSpec, { allow: PLATFORM_DATASET_KINDS });
  if (spec?.kind === 'mnist') return MNIST_CLASSES;
  if (model.datasetId === null) return null;
  const dataset = await app.db.dataset.findUnique({ where: { id: model.datasetId } });
  const classes = (dataset?.metadata as { classes?: unknown } | undefined)?.classes;
  return typeof classes === 'number' ? classes : null;
}

/**
 * A language model's request: one layer's MLP along token directions — the tokens named, or every
 * token, optionally against comparison tokens — or along an output SAE's features (saeOut with
 * features or allFeatures), optionally over an input SAE's features (saeIn: DᵀQD). The layer is the
 * SAEs' own (they must agree with it and each other), else `layer`, else 0. Image analyses do not apply.
 */
async function fitToLanguageModel(
  app: FastifyInstance,
  model: Model,
  request: DecompositionRequest,
): Promise<DecompositionRequest> {
  const config = model.config as { vocabSize: number; modelDim: number; layers: number };
  const imageOnly = (['hosvd', 'adversarial'] as const).find((key) => request[key]);
  if (imageOnly !== undefined) {
    throw invalid(`body.${imageOnly}`, `applies to image classifiers; model ${model.id} is a language model`);
  }
  const saeOut =
    request.saeOut === undefined ? null : await attachedSae(app, model, request.saeOut, 'saeOut', 'mlp-out');
  const saeIn =
    request.saeIn === undefined ? null : await attachedSae(app, model, request.saeIn, 'saeIn', 'mlp-in');
  const layer = request.layer ?? saeOut?.layer ?? saeIn?.layer ?? 0;
  if (layer >= config.layers) {
    throw invalid(
      'body.layer',
      `layer ${layer} does not exist: model ${model.id} has layers 0..${config.layers - 1}`,
    );
  }
  for (const [key, sae] of [
    ['saeOut', saeOut],
    ['saeIn', saeIn],
  ] as const) {
    if (sae !== null && sae.layer !== layer) {
      throw invalid(
        `body.${key}`,
        `SAE ${sae.id} reads layer ${sae.layer}, but the decomposition is of layer ${layer}`,
      );
    }
  }
  if (saeOut !== null) {
    const tokenKey = (['outputs', 'allTokens', 'comparison'] as const).find(
      (key) => request[key] !== undefined,
    );
    if (tokenKey !== undefined) {
      throw invalid(
        `body.${tokenKey}`,
        "the directions are saeOut's features: give features or allFeatures, not tokens",
      );
    }
    if ((request.allFeatures === true) === (request.features !== undefined)) {
      throw invalid(
        'body.features',
        `name the features of SAE ${saeOut.id} (0..${saeOut.features - 1}) or set allFeatures, one of the two`,
      );
    }
    const outside = (request.features ?? []).filter((feature) => feature >= saeOut.features);
    if (outside.length > 0) {
      throw invalid(
        'body.features',
        `${outside.slice(0, 8).join(', ')} outside SAE ${saeOut.id}'s features 0..${saeOut.features - 1}`,
      );
    }
  } else {
    const featureKey = (['features', 'allFeatures'] as const).find((key) => request[key] !== undefined);
    if (featureKey !== undefined) {
      throw invalid(`body.${featureKey}`, "features are an output SAE's: give saeOut as well");
    }
    if (request.allTokens === true && request.outputs !== undefined) {
      throw invalid('body.allTokens', 'name the tokens in outputs or ask for allTokens, not both');
    }
    if (request.allTokens !== true && request.outputs === undefined) {
      throw invalid(
        'body.outputs',
        `a language model has one output per token: name the token ids (0..${config.vocabSize - 1}), set allTokens, or give saeOut with features`,
      );
    }
    if (request.allTokens === true && request.comparison !== undefined) {
      throw invalid('body.comparison', 'compares named tokens: give outputs rather than allTokens');
    }
    for (const key of ['outputs', 'comparison'] as const) {
      const outside = (request[key] ?? []).filter((token) => token >= config.vocabSize);
      if (outside.length > 0) {
        throw invalid(
          `body.${key}`,
          `${outside.slice(0, 8).join(', ')}${outside.length > 8 ? ', …' : ''} outside the vocabulary 0..${config.vocabSize - 1}`,
        );
      }
    }
  }
  return {
    ...request,
    layer,
    allTokens: request.allTokens === true ? true : undefined,
    allFeatures: request.allFeatures === true ? true : undefined,
    topK: Math.min(request.topK, config.modelDim),
  };
}

/** An SAE of this model at the hook point a decomposition reads it at. */
async function attachedSae(
  app: FastifyInstance,
  model: Model,
  saeId: string,
  key: 'saeOut' | 'saeIn',
  point: 'mlp-in' | 'mlp-out',
) {
  const sae = await app.db.sparseAutoencoder.findUnique({ where: { id: saeId } });
  if (sae === null || sae.modelId !== model.id) {
    throw invalid(
      `body.${key}`,
      `SAE ${saeId} is not attached to model ${model.id} (GET /models/${model.id}/saes lists those that are)`,
    );
  }
  if (sae.status !== 'completed') throw invalid(`body.${key}`, `SAE ${saeId} is ${sae.status}`);
  if (sae.hookPoint !== point) {
    throw invalid(
      `body.${key}`,
      `SAE ${saeId} reads ${sae.hookPoint}; ${key} needs one on the MLP's ${point === 'mlp-out' ? 'output (mlp-out)' : 'input (mlp-in)'}`,
    );
  }
  return sae;
}
