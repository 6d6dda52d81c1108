// POST …/models/import: a safetensors model in the reference layout, parsed with the training
// package's reader, stored as a checkpoint artifact with a completed Model row. An MNIST-shaped
// classifier is evaluated on the bundled test split so it arrives with its testAccuracy.
import { ModelImportFieldsSchema } from '@bilinear-lab/contracts';
import { loadDataset } from '@bilinear-lab/datasets';
import type { Model, Prisma } from '@bilinear-lab/db';
import type { ImportedModel, ModelConfig } from '@bilinear-lab/training';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';
import type { Principal } from './access.js';
import { fieldIssues, readUpload } from './multipart-upload.js';

// TensorFlow.js loads on the first import only: most API processes never need it.
type Training = typeof import('@bilinear-lab/training');
let training: Promise<Training> | null = null;
function loadTraining(): Promise<Training> {
  training ??= import('@bilinear-lab/training').then(async (module) => {
    // wasm is fast and always present; plain JS is the fallback.
    await module.selectBackend('wasm').catch(() => module.selectBackend('cpu'));
    return module;
  });
  return training;
}

const MODEL_FILE_ERRORS = new Set(['CheckpointError', 'SafetensorsError']);

export async function importModel(
  app: FastifyInstance,
  request: FastifyRequest,
  principal: Principal,
  projectId: string,
  limitMb: number,
): Promise<Model> {
  const upload = await readUpload(request, { limitMb, maxFiles: 1 });
  const fields = ModelImportFieldsSchema.safeParse(upload.fields);
  if (!fields.success) {
    const issues = fieldIssues(fields.error.issues);
    throw badRequest('invalid-request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  }
  const file = upload.files[0];
  if (file === undefined) {
    throw badRequest('missing-file', 'no model file: send the .safetensors file in the field "file"');
  }

  const engine = await loadTraining();
  let model: ImportedModel;
  try {
    model = engine.readModelFile(new Uint8Array(file.bytes));
  } catch (error) {
    if (MODEL_FILE_ERRORS.has((error as Error).name)) {
      throw badRequest('invalid-model-file', `${file.fileName}: ${(error as Error).message}`);
    }
    throw error;
  }
  const config = withResidual(model, fields.data.residual, file.fileName);
  const metrics = isMnistClassifier(config) ? await evaluateOnMnist(engine, config, model) : null;

  const name = fields.data.name ?? (file.fileName.replace(/\.safetensors$/i, '') || 'imported');
  const artifact = await app.artifacts.put(new Uint8Array(file.bytes), {
    kind: 'checkpoint',
    fileName: `${name}.safetensors`,
    contentType: 'application/octet-stream',
  });
  try {
    return await app.db.model.create({
      data: {
        projectId,
        name,
        source: 'imported',
        status: 'completed',
        config: { ...config, configSource: model.configSource } as unknown as Prisma.InputJsonValue,
        datasetSpec: metrics === null ? null : 'mnist',
        checkpointArtifactId: artifact.id,
        metrics: metrics ?? undefined,
        createdById: principal.userId,
      },
    });
  } catch (error) {
    await app.artifacts.delete(artifact.id).catch(() => {});
    throw error;
  }
}

/**
 * The residual flag: a file carrying our config says it; for a file without it (e.g. saved from
 * PyTorch) the weights cannot tell, so the `residual` field does.
 */
function withResidual(
  model: ImportedModel,
  field: 'true' | 'false' | undefined,
  fileName: string,
): ModelConfig {
  if (field === undefined) return model.config;
  const residual = field === 'true';
  if (model.configSource === 'metadata' && model.config.residual !== residual) {
    throw badRequest(
      'invalid-request',
      `body.residual: ${fileName} says residual = ${model.config.residual} in its config; leave the field out or make it agree`,
    );
  }
  return { ...model.config, residual };
}

function isMnistClassifier(config: ModelConfig): boolean {
  return (
    config.kind === 'image-classifier' &&
    config.inputDim === 784 &&
    config.outputDim === 10 &&
    config.loss === 'cross-entropy'
  );
}

async function evaluateOnMnist(
  engine: Training,
  config: ModelConfig,
  model: ImportedModel,
): Promise<Prisma.InputJsonObject> {
  const mnist = await loadDataset('mnist');
  const shape = {
    inputDim: config.inputDim,
    hiddenDim: config.hiddenDim,
    layers: config.layers,
    outputDim: config.outputDim,
    embed: true,
    residual: config.residual,
    gate: config.gate,
    loss: config.loss,
  };
  const test = engine.evaluateParameters(
    shape,
    engine.fromReferenceLayout(shape, model.parameters),
    mnist.test,
    mnist.outputDim,
  );
  return {
    testAccuracy: test.accuracy,
    testLoss: test.loss,
    testSamples: mnist.test.count,
    evaluatedOn: 'mnist',
  };
}
