// POST …/models/import: a safetensors model, streamed into the artifact store as it arrives
// (model-upload.ts), then judged by its layout. An image classifier is read back and scored on a
// pool thread (an MNIST-shaped one arrives with its testAccuracy); a language model — an HF folder's
// model.safetensors with its config.json and, optionally, tokenizer.json — is judged from its header
// and config alone, so a checkpoint of hundreds of MB never sits in the API's memory.
import { ModelImportFieldsSchema } from '@bilinear-lab/contracts';
import { inspectLanguageModel, languageModelRecord } from '@bilinear-lab/core';
import { formatDatasetSpec } from '@bilinear-lab/datasets';
import type { Model, Prisma } from '@bilinear-lab/db';
import { loadTokenizer } from '@bilinear-lab/text';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';
import type { Principal } from './access.js';
import type { ModelInspectionPool } from './model-inspection-pool.js';
import { type ReceivedModel, receiveModelUpload } from './model-upload.js';
import { fieldIssues } from './multipart-upload.js';

// ModelConfigError: a readable safetensors file whose tensors fit no model layout (no "blocks.0.weight", …).
const MODEL_FILE_ERRORS = new Set([
  'CheckpointError',
  'SafetensorsError',
  'ModelConfigError',
  'ModelLayoutError',
]);

export interface ImportLimits {
  /** BILINEAR_UPLOAD_LIMIT_MB: image classifiers are read back whole. */
  uploadLimitMb: number;
  /** BILINEAR_MODEL_UPLOAD_LIMIT_MB: language models only stream through. */
  modelUploadLimitMb: number;
}

type ImportFields = ReturnType<typeof ModelImportFieldsSchema.parse>;

/** What an import adds to the Model row besides its name and owner. */
type ModelRecord = Pick<Prisma.ModelUncheckedCreateInput, 'config' | 'datasetSpec' | 'metrics'>;

export async function importModel(
  app: FastifyInstance,
  request: FastifyRequest,
  principal: Principal,
  projectId: string,
  limits: ImportLimits,
  inspector: ModelInspectionPool,
): Promise<Model> {
  const received = await receiveModelUpload(request, app.artifacts, {
    classifierBytes: Math.floor(limits.uploadLimitMb * 2 ** 20),
    languageModelBytes: Math.floor(limits.modelUploadLimitMb * 2 ** 20),
  });
  const written = [received.artifact.id];
  try {
    const fields = ModelImportFieldsSchema.safeParse(received.fields);
    if (!fields.success) {
      const issues = fieldIssues(fields.error.issues);
      throw badRequest('invalid-request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), {
        issues,
      });
    }
    const record =
      received.layout === 'language-model'
        ? await languageModelImport(app, received, fields.data, written)
        : await classifierImport(received, fields.data, inspector);
    const name = fields.data.name ?? (received.fileName.replace(/\.safetensors$/i, '') || 'imported');
    return await app.db.model.create({
      data: {
        projectId,
        name,
        source: 'imported',
        status: 'completed',
        checkpointArtifactId: received.artifact.id,
        createdById: principal.userId,
        ...record,
      },
    });
  } catch (error) {
    await Promise.all(written.map((id) => app.artifacts.delete(id).catch(() => {})));
    throw error;
  }
}

async function classifierImport(
  received: ReceivedModel,
  fields: ImportFields,
  inspector: ModelInspectionPool,
): Promise<ModelRecord> {
  const stray = (['config', 'tokenizer'] as const).find((part) => received.parts[part] !== null);
  if (stray !== undefined) {
    throw badRequest(
      'invalid-request',
      `body.${stray}: ${received.fileName} is an image classifier, whose configuration travels in its own safetensors metadata; "${stray}" is for a language-model folder`,
    );
  }
  if (received.bytes === null) throw new Error('internal: an image classifier arrived without its bytes');
  const field = fields.residual;
  const { result: inspected } = await inspector.inspect(
    received.bytes,
    field === undefined ? null : field === 'true',
  );
  if (!inspected.ok) {
    if (MODEL_FILE_ERRORS.has(inspected.name)) {
      throw badRequest('invalid-model-file', `${received.fileName}: ${inspected.message}`);
    }
    throw new Error(`reading ${received.fileName} failed: ${inspected.name}: ${inspected.message}`);
  }
  if (
    field !== undefined &&
    inspected.configSource === 'metadata' &&
    inspected.config.residual !== (field === 'true')
  ) {
    throw badRequest(
      'invalid-request',
      `body.residual: ${received.fileName} says residual = ${inspected.config.residual} in its config; leave the field out or make it agree`,
    );
  }
  const { config, metrics } = inspected;
  return {
    config: { ...config, configSource: inspected.configSource } as unknown as Prisma.InputJsonValue,
    datasetSpec: metrics === null ? null : formatDatasetSpec({ kind: 'mnist' }),
    metrics: metrics ?? undefined,
  };
}

/**
 * A language model from its header and config.json (required: it decides the gate and the attention
 * scale); its tokenizer, when sent, must load and fit the vocabulary, and is stored beside it.
 */
async function languageModelImport(
  app: FastifyInstance,
  received: ReceivedModel,
  fields: ImportFields,
  written: string[],
): Promise<ModelRecord> {
  if (fields.residual !== undefined) {
    throw badRequest(
      'invalid-request',
      "body.residual: applies to image classifiers only; a language model's residual stream is part of its layout",
    );
  }
  const configPart = received.parts.config;
  if (configPart === null) {
    throw badRequest(
      'missing-file',
      `${received.fileName} is a language model: send its config.json in the part "config" (it decides how the weights are read)`,
    );
  }
  let fileConfig: unknown;
  try {
    fileConfig = JSON.parse(configPart.text);
  } catch (error) {
    throw badRequest('invalid-config', `${configPart.fileName}: not JSON (${(error as Error).message})`);
  }
  let inspected: ReturnType<typeof inspectLanguageModel>;
  try {
    inspected = inspectLanguageModel(received.header, {
      config: fileConfig,
      configName: configPart.fileName,
    });
  } catch (error) {
    if (MODEL_FILE_ERRORS.has((error as Error).name)) {
      throw badRequest('invalid-model-file', `${received.fileName}: ${(error as Error).message}`);
    }
    throw error;
  }
  const record = languageModelRecord(inspected, fileConfig);
  const tokenizerPart = received.parts.tokenizer;
  let tokenizer: Record<string, unknown> | null = null;
  if (tokenizerPart !== null) {
    let vocabSize: number;
    try {
      vocabSize = loadTokenizer(tokenizerPart.text, tokenizerPart.fileName).vocabSize;
    } catch (error) {
      throw badRequest('invalid-tokenizer', `${tokenizerPart.fileName}: ${(error as Error).message}`);
    }
    if (vocabSize > inspected.vocabSize) {
      throw badRequest(
        'invalid-tokenizer',
        `${tokenizerPart.fileName} has ${vocabSize} tokens but the model's vocabulary has ${inspected.vocabSize}: it is not this model's tokenizer`,
      );
    }
    const artifact = await app.artifacts.put(Buffer.from(tokenizerPart.text, 'utf8'), {
      kind: 'tokenizer',
      fileName: tokenizerPart.fileName,
      contentType: 'application/json',
    });
    written.push(artifact.id);
    tokenizer = { artifactId: artifact.id, vocabSize, sha256: artifact.sha256 };
  }
  return {
    config: { ...record, tokenizer } as Prisma.InputJsonValue,
    datasetSpec: null,
  };
}
