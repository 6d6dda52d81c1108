import {
  CONFIG_METADATA_KEY,
  checkShapes,
  inferModelConfig,
  type ModelConfig,
  ModelConfigError,
  modelConfigFromJson,
  modelConfigToJson,
  parseSafetensors,
  referenceShapes,
  type SafetensorsFile,
  writeSafetensors,
} from '@bilinear-lab/core';
import type { NamedTensor } from '../optim/adamw.js';
import { checkJsonValue, float32Tensors, type ReferenceTensor, readFloat32 } from './tensors.js';

export interface ExportModelInput {
  config: ModelConfig;
  /** Reference layout (see referenceShapes), float32, row-major. */
  parameters: readonly NamedTensor[];
  /** How the model was trained, for the JSON config's "training" (JSON values only). */
  training?: Record<string, unknown>;
}

export interface ExportedModel {
  /** F32 tensors in the reference layout; the config JSON is also in its metadata. */
  safetensors: Uint8Array;
  /** The same config as a standalone, indented JSON file (ends with a newline). */
  configJson: string;
}

export interface ImportedModel {
  config: ModelConfig;
  /** The "training" object of the stored config ({} when there is none). */
  training: Record<string, unknown>;
  /** In referenceShapes order. */
  parameters: ReferenceTensor[];
  /** 'metadata' when the file carried our config; 'shapes' when it was inferred (see inferModelConfig). */
  configSource: 'metadata' | 'shapes';
}

/** Metadata key that marks a training checkpoint (its optimizer.* tensors are not part of the model). */
export const CHECKPOINT_METADATA_KEY = 'bilinear_lab_checkpoint';
export const OPTIMIZER_PREFIX = 'optimizer.';

/** A trained model as a self-describing F32 safetensors file plus the JSON config PyTorch users read. */
export function writeModelFile(input: ExportModelInput): ExportedModel {
  const training = input.training ?? {};
  checkJsonValue(training, 'training');
  const json = modelConfigToJson(input.config, training);
  const tensors = float32Tensors(input.parameters, referenceShapes(input.config), 'parameters');
  return {
    safetensors: writeSafetensors(tensors, { [CONFIG_METADATA_KEY]: JSON.stringify(json) }),
    configJson: `${JSON.stringify(json, null, 2)}\n`,
  };
}

/**
 * Reads a model in the reference layout: the config from the metadata when present, otherwise
 * inferred from the shapes. F32 weights come back bit for bit. A training checkpoint is accepted
 * too (its optimizer moments are skipped). Throws ModelConfigError or CheckpointError naming the tensor at fault, or
 * core's SafetensorsError for a file that is not valid safetensors or holds NaN/±Infinity.
 */
export function readModelFile(bytes: Uint8Array): ImportedModel {
  const file = parseSafetensors(bytes);
  const isCheckpoint = Object.hasOwn(file.metadata, CHECKPOINT_METADATA_KEY);
  return readModel(file, isCheckpoint ? (name) => name.startsWith(OPTIMIZER_PREFIX) : () => false);
}

/** The model part of a parsed file; `ignore` names tensors that belong to something else. */
export function readModel(file: SafetensorsFile, ignore: (name: string) => boolean): ImportedModel {
  const shapes = new Map([...file.tensors].map(([name, info]) => [name, info.shape]));
  const stored = file.metadata[CONFIG_METADATA_KEY];
  let config: ModelConfig;
  let training: Record<string, unknown> = {};
  if (stored !== undefined) {
    try {
      ({ config, training } = modelConfigFromJson(stored));
    } catch (error) {
      if (error instanceof ModelConfigError) {
        throw new ModelConfigError(
          'invalid-metadata',
          `__metadata__.${CONFIG_METADATA_KEY}: ${error.message.replace(/^model config( JSON)?: /, '')}`,
        );
      }
      throw error;
    }
    checkShapes(shapes, config, `from __metadata__.${CONFIG_METADATA_KEY}`, ignore);
  } else {
    const modelShapes = new Map([...shapes].filter(([name]) => !ignore(name)));
    config = inferModelConfig(modelShapes);
  }
  return {
    config,
    training,
    parameters: referenceShapes(config).map(({ name }) => readFloat32(file, name)),
    configSource: stored !== undefined ? 'metadata' : 'shapes',
  };
}
