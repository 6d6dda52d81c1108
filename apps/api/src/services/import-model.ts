// POST …/models/import: a safetensors model in the reference layout, parsed with the training
// package's reader, stored as a checkpoint artifact with a completed Model row. An MNIST-shaped
// classifier is evaluated on the bundled test split so it arrives with its testAccuracy.
import { Worker } from 'node:worker_threads';
import { ModelImportFieldsSchema } from '@bilinear-lab/contracts';
import { formatDatasetSpec } from '@bilinear-lab/datasets';
import type { Model, Prisma } from '@bilinear-lab/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';
import type { InspectRequest, InspectResult } from '../threads/inspect-model-file.js';
import type { Principal } from './access.js';
import { fieldIssues, readUpload } from './multipart-upload.js';

// A thread runs JavaScript: from the build, its sibling; from the sources (vitest), the built copy.
const THREAD_FILE = new URL(
  import.meta.url.endsWith('.ts')
    ? '../../dist/threads/inspect-model-file.js'
    : '../threads/inspect-model-file.js',
  import.meta.url,
);

/** Reads (and scores) the model file on a worker thread: see threads/inspect-model-file.ts. */
function inspectModelFile(request: InspectRequest): Promise<InspectResult> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(THREAD_FILE, {
      workerData: request,
    });
    thread.once('message', (result: InspectResult) => resolve(result));
    thread.once('error', reject);
    thread.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the model-file thread exited with code ${code}`));
    });
  });
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

  const field = fields.data.residual;
  const inspected = await inspectModelFile({
    bytes: new Uint8Array(file.bytes),
    residual: field === undefined ? null : field === 'true',
  });
  if (!inspected.ok) {
    if (MODEL_FILE_ERRORS.has(inspected.name)) {
      throw badRequest('invalid-model-file', `${file.fileName}: ${inspected.message}`);
    }
    throw new Error(`reading ${file.fileName} failed: ${inspected.name}: ${inspected.message}`);
  }
  if (
    field !== undefined &&
    inspected.configSource === 'metadata' &&
    inspected.config.residual !== (field === 'true')
  ) {
    throw badRequest(
      'invalid-request',
      `body.residual: ${file.fileName} says residual = ${inspected.config.residual} in its config; leave the field out or make it agree`,
    );
  }
  const { config, metrics } = inspected;

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
        config: { ...config, configSource: inspected.configSource } as unknown as Prisma.InputJsonValue,
        datasetSpec: metrics === null ? null : formatDatasetSpec({ kind: 'mnist' }),
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
