// POST /models/:id/saes/import: a TopK sparse autoencoder in the official layout — weights as
// `file`, config.json as `config` (a file or a text field) — attached to one hook point of one layer
// of a language model. The file is read whole with the core's reader (every shape checked against
// the other and against the config), its layer and hook point come from config.json (the `layer`
// and `point` fields only fill in for a config that leaves them out), and its width must be the
// model's. Stored as an artifact with a completed row; nothing is stored on refusal.
import { SaeImportFieldsSchema, type SparseAutoencoderView } from '@bilinear-lab/contracts';
import { importSparseAutoencoder, parseSafetensors, type SparseAutoencoder } from '@bilinear-lab/core';
import type { Model, SparseAutoencoder as SaeRow } from '@bilinear-lab/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, unprocessable } from '../errors.js';
import type { Principal } from './access.js';
import { FILE_FIELD, fieldIssues, readUpload } from './multipart-upload.js';

const SAE_FILE_ERRORS = new Set(['SafetensorsError', 'ModelConfigError']);

export async function importSae(
  app: FastifyInstance,
  request: FastifyRequest,
  principal: Principal,
  model: Model,
  limitMb: number,
): Promise<SaeRow> {
  const config = model.config as { kind?: unknown; modelDim?: number; layers?: number };
  if (config.kind !== 'language-model') {
    throw unprocessable(
      'not-a-language-model',
      `model ${model.id} is an image classifier; sparse autoencoders attach to a language model's layers`,
    );
  }
  const upload = await readUpload(request, { limitMb, maxFiles: 2, fileFields: [FILE_FIELD, 'config'] });
  const { config: configText, ...textFields } = upload.fields;
  const fields = SaeImportFieldsSchema.safeParse(textFields);
  if (!fields.success) {
    const issues = fieldIssues(fields.error.issues);
    throw badRequest('invalid-request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
  }
  const weights = upload.files.find((file) => file.field === FILE_FIELD);
  if (weights === undefined) {
    throw badRequest(
      'missing-file',
      `no SAE weights: send the .safetensors file in the field "${FILE_FIELD}"`,
    );
  }
  const configFile = upload.files.find((file) => file.field === 'config');
  const configSource = configFile
    ? { text: configFile.bytes.toString('utf8'), name: configFile.fileName }
    : configText !== undefined
      ? { text: configText, name: 'config.json' }
      : null;
  if (configSource === null) {
    throw badRequest(
      'missing-file',
      'no config.json: send it in the part "config" (k, layer and hook point "point" come from it)',
    );
  }
  let fileConfig: Record<string, unknown>;
  try {
    fileConfig = JSON.parse(configSource.text);
  } catch (error) {
    throw badRequest('invalid-config', `${configSource.name}: not JSON (${(error as Error).message})`);
  }
  let sae: SparseAutoencoder;
  try {
    sae = importSparseAutoencoder(parseSafetensors(weights.bytes), {
      config: fileConfig,
      configName: configSource.name,
    });
  } catch (error) {
    if (SAE_FILE_ERRORS.has((error as Error).name)) {
      throw badRequest('invalid-model-file', `${weights.fileName}: ${(error as Error).message}`);
    }
    throw error;
  }

  const layer = agreed('layer', sae.layer, fields.data.layer, configSource.name);
  const point = agreed('point', sae.point, fields.data.point, configSource.name);
  if (sae.modelDim !== config.modelDim) {
    throw badRequest(
      'invalid-model-file',
      `${weights.fileName}: the SAE reads vectors of ${sae.modelDim} values (w_enc.weight [F, d]), but model ${model.id} has d_model = ${config.modelDim}`,
    );
  }
  if (layer >= (config.layers ?? 0)) {
    throw badRequest(
      'invalid-request',
      `layer ${layer} does not exist: model ${model.id} has layers 0..${(config.layers ?? 1) - 1}`,
    );
  }

  const name = fields.data.name ?? `layer ${layer} ${point} ×${sae.features}`;
  const artifact = await app.artifacts.put(new Uint8Array(weights.bytes), {
    kind: 'sae',
    fileName: weights.fileName,
    contentType: 'application/octet-stream',
  });
  try {
    return await app.db.sparseAutoencoder.create({
      data: {
        projectId: model.projectId,
        modelId: model.id,
        name,
        source: 'imported',
        status: 'completed',
        layer,
        hookPoint: point,
        features: sae.features,
        modelDim: sae.modelDim,
        k: sae.k,
        config: fileConfig as object,
        checkpointArtifactId: artifact.id,
        createdById: principal.userId,
      },
    });
  } catch (error) {
    await app.artifacts.delete(artifact.id).catch(() => {});
    throw error;
  }
}

/** The config's value, else the field's; both given must agree: the file decides. */
function agreed<T extends string | number>(
  key: 'layer' | 'point',
  fromConfig: T | null,
  fromField: T | undefined,
  configName: string,
): T {
  if (fromConfig !== null && fromField !== undefined && fromConfig !== fromField) {
    throw badRequest(
      'invalid-request',
      `body.${key}: ${configName} says ${key} = ${fromConfig}; leave the field out or make it agree`,
    );
  }
  const value = fromConfig ?? fromField;
  if (value === undefined) {
    throw badRequest(
      'invalid-request',
      `body.${key}: ${configName} does not say the SAE's ${key === 'point' ? 'hook point' : 'layer'}; give it as the field "${key}"`,
    );
  }
  return value;
}

export function saeView(row: SaeRow): SparseAutoencoderView {
  return {
    id: row.id,
    projectId: row.projectId,
    modelId: row.modelId,
    name: row.name,
    source: row.source,
    status: row.status,
    layer: row.layer,
    hookPoint: row.hookPoint as SparseAutoencoderView['hookPoint'],
    features: row.features,
    modelDim: row.modelDim,
    k: row.k,
    config: row.config as Record<string, unknown>,
    metrics: row.metrics as Record<string, unknown> | null,
    hasCheckpoint: row.checkpointArtifactId !== null,
    jobId: row.jobId,
    createdAt: row.createdAt.toISOString(),
  };
}
