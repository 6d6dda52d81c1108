// POST …/models/import: a safetensors model in the reference layout, parsed with the training
// package's reader, stored as a checkpoint artifact with a completed Model row. An MNIST-shaped
// classifier is evaluated on the bundled test split so it arrives with its testAccuracy.
import { ModelImportFieldsSchema } from '@bilinear-lab/contracts';
import { formatDatasetSpec } from '@bilinear-lab/datasets';
import type { Model, Prisma } from '@bilinear-lab/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';
import type { Principal } from './access.js';
import type { ModelInspectionPool } from './model-inspection-pool.js';
import { fieldIssues, readUpload } from './multipart-upload.js';

// ModelConfigError: a readable safetensors file whose tensors fit no model layout (no "blocks.0.weight", …).
const MODEL_FILE_ERRORS = new Set(['CheckpointError', 'SafetensorsError', 'ModelConfigError']);

export async function importModel(
  app: FastifyInstance,
  request: FastifyRequest,
  principal: Principal,
  projectId: string,
  limitMb: number,
  inspector: ModelInspectionPool,
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
  // The bytes go to the thread and back by transfer; a Buffer that shares its memory (Node's pool for
  // small ones) is copied once, since transferring would take the whole shared buffer with it.
  const { buffer, byteOffset, byteLength } = file.bytes;
  const owned =
    buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength
      ? new Uint8Array(buffer)
      : new Uint8Array(file.bytes);
  const { result: inspected, bytes } = await inspector.inspect(
    owned,
    field === undefined ? null : field === 'true',
  );
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
  const artifact = await app.artifacts.put(bytes, {
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
