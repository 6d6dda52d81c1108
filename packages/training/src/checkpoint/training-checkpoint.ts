import {
  CONFIG_METADATA_KEY,
  type ModelConfig,
  modelConfigToJson,
  parseSafetensors,
  referenceShapes,
  writeSafetensors,
} from '@bilinear-lab/core';
import type { AdamWState, NamedTensor } from '../optim/adamw.js';
import { CheckpointError } from './errors.js';
import { CHECKPOINT_METADATA_KEY, OPTIMIZER_PREFIX, readModel } from './model-file.js';
import { checkJsonValue, float32Tensors, type ReferenceTensor, readFloat32 } from './tensors.js';

/** Everything needed to continue a training run exactly where it stopped. */
export interface TrainingCheckpoint {
  config: ModelConfig;
  /** Reference layout (see referenceShapes), float32. */
  parameters: readonly NamedTensor[];
  /**
   * AdamW's state with m and v named and laid out like the parameters (AdamW is elementwise, so
   * moments kept in another layout convert with the same transposition as the weights).
   */
  optimizerState: AdamWState;
  /** Epochs completed. */
  epoch: number;
  /** Training steps taken (may differ from optimizerState.step, e.g. after skipped steps). */
  step: number;
  /** The random generator's state: its words, or an opaque string. */
  rngState?: readonly number[] | string;
  /** The options the run was started with (JSON values only). */
  trainingOptions: unknown;
  /** Per-epoch metrics so far (JSON values only). */
  history?: readonly unknown[];
}

export interface ReadTrainingCheckpoint {
  config: ModelConfig;
  parameters: ReferenceTensor[];
  optimizerState: { step: number; m: ReferenceTensor[]; v: ReferenceTensor[] };
  epoch: number;
  step: number;
  rngState: number[] | string | null;
  trainingOptions: unknown;
  history: unknown[];
}

const FORMAT = 'bilinear-lab-checkpoint';
const VERSION = 1;

/** The JSON stored under `__metadata__.bilinear_lab_checkpoint`. */
interface CheckpointMetadata {
  format: typeof FORMAT;
  version: typeof VERSION;
  epoch: number;
  step: number;
  optimizer_step: number;
  rng_state: number[] | string | null;
  training_options: unknown;
  history: unknown[];
}

const momentName = (kind: 'm' | 'v', name: string) => `${OPTIMIZER_PREFIX}${kind}.${name}`;

/**
 * One safetensors file: parameters under their reference names, AdamW moments under
 * `optimizer.m.<name>` / `optimizer.v.<name>` (all F32, so the round trip is bit-exact), the model
 * config under `__metadata__.bilinear_lab_config` and everything else as JSON under
 * `__metadata__.bilinear_lab_checkpoint`.
 */
export function writeCheckpoint(checkpoint: TrainingCheckpoint): Uint8Array {
  const { config, optimizerState } = checkpoint;
  const shapes = referenceShapes(config);
  checkCount(checkpoint.epoch, 'epoch');
  checkCount(checkpoint.step, 'step');
  checkCount(optimizerState.step, 'optimizerState.step');
  const rngState = checkRngState(checkpoint.rngState ?? null, 'rngState');
  checkJsonValue(checkpoint.trainingOptions, 'trainingOptions');
  if (checkpoint.trainingOptions === undefined) {
    throw new CheckpointError('invalid-input', 'trainingOptions is undefined; pass the options the run used');
  }
  const history = [...(checkpoint.history ?? [])];
  checkJsonValue(history, 'history');

  const tensors = [
    ...float32Tensors(checkpoint.parameters, shapes, 'parameters'),
    ...float32Tensors(optimizerState.m, shapes, 'optimizerState.m', momentName('m', '')),
    ...float32Tensors(optimizerState.v, shapes, 'optimizerState.v', momentName('v', '')),
  ];
  for (const { name, values } of optimizerState.v) {
    const negative = values.findIndex((value) => value < 0);
    if (negative >= 0) {
      throw new CheckpointError(
        'invalid-input',
        `optimizerState.v: "${name}" is ${values[negative]} at index ${negative}; second moments are ≥ 0`,
        name,
      );
    }
  }

  const metadata: CheckpointMetadata = {
    format: FORMAT,
    version: VERSION,
    epoch: checkpoint.epoch,
    step: checkpoint.step,
    optimizer_step: optimizerState.step,
    rng_state: rngState,
    training_options: checkpoint.trainingOptions,
    history,
  };
  const training = isPlainObject(checkpoint.trainingOptions) ? checkpoint.trainingOptions : {};
  return writeSafetensors(tensors, {
    [CONFIG_METADATA_KEY]: JSON.stringify(modelConfigToJson(config, training)),
    [CHECKPOINT_METADATA_KEY]: JSON.stringify(metadata),
  });
}

/**
 * Reads what writeCheckpoint wrote, bit-exactly, checking that every parameter has both moments with
 * its shape. Throws CheckpointError naming the tensor or metadata field at fault.
 */
export function readCheckpoint(bytes: Uint8Array): ReadTrainingCheckpoint {
  const file = parseSafetensors(bytes);
  const stored = file.metadata[CHECKPOINT_METADATA_KEY];
  if (stored === undefined) {
    throw new CheckpointError(
      'invalid-metadata',
      `not a training checkpoint: __metadata__ has no "${CHECKPOINT_METADATA_KEY}" (a model file? read it with readModelFile)`,
    );
  }
  if (file.metadata[CONFIG_METADATA_KEY] === undefined) {
    throw new CheckpointError(
      'invalid-metadata',
      `checkpoint has no "${CONFIG_METADATA_KEY}" in __metadata__, so its model config is unknown`,
    );
  }
  const metadata = parseCheckpointMetadata(stored);
  const model = readModel(file, (name) => name.startsWith(OPTIMIZER_PREFIX));

  const expectedMoments = new Set<string>();
  const moments = (kind: 'm' | 'v') =>
    model.parameters.map((parameter) => {
      const name = momentName(kind, parameter.name);
      expectedMoments.add(name);
      const info = file.tensors.get(name);
      if (info === undefined) {
        const present = [...file.tensors.keys()].filter((key) => key.startsWith(momentName(kind, ''))).length;
        throw new CheckpointError(
          'missing-tensor',
          `optimizer tensor "${name}" is missing: the checkpoint holds ${kind} for ${present} of ${model.parameters.length} parameters, and resuming needs all of them`,
          name,
        );
      }
      if (
        info.shape.length !== 2 ||
        info.shape[0] !== parameter.shape[0] ||
        info.shape[1] !== parameter.shape[1]
      ) {
        throw new CheckpointError(
          'wrong-shape',
          `optimizer tensor "${name}" has shape [${info.shape.join(', ')}], but "${parameter.name}" is [${parameter.shape.join(', ')}]`,
          name,
        );
      }
      const tensor = readFloat32(file, name);
      if (kind === 'v') {
        const negative = tensor.values.findIndex((value) => value < 0);
        if (negative >= 0) {
          throw new CheckpointError(
            'invalid-metadata',
            `optimizer tensor "${name}" is ${tensor.values[negative]} at index ${negative}; second moments are ≥ 0`,
            name,
          );
        }
      }
      return { ...tensor, name: parameter.name };
    });
  const m = moments('m');
  const v = moments('v');
  const stray = [...file.tensors.keys()].find(
    (name) => name.startsWith(OPTIMIZER_PREFIX) && !expectedMoments.has(name),
  );
  if (stray !== undefined) {
    throw new CheckpointError(
      'unexpected-tensor',
      `optimizer tensor "${stray}" matches no parameter (optimizer tensors are optimizer.m.<parameter> and optimizer.v.<parameter>)`,
      stray,
    );
  }

  return {
    config: model.config,
    parameters: model.parameters,
    optimizerState: { step: metadata.optimizer_step, m, v },
    epoch: metadata.epoch,
    step: metadata.step,
    rngState: metadata.rng_state,
    trainingOptions: metadata.training_options,
    history: metadata.history,
  };
}

function parseCheckpointMetadata(text: string): CheckpointMetadata {
  const where = `__metadata__.${CHECKPOINT_METADATA_KEY}`;
  const fail = (what: string): never => {
    throw new CheckpointError('invalid-metadata', `${where}: ${what}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    fail(`not valid JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(value)) return fail('expected a JSON object');
  if (value.format !== FORMAT) fail(`format must be "${FORMAT}", got ${JSON.stringify(value.format)}`);
  if (value.version !== VERSION) {
    fail(`version ${JSON.stringify(value.version)} is not supported (this build reads version ${VERSION})`);
  }
  const count = (key: string): number => {
    const field = value[key];
    if (typeof field !== 'number' || !Number.isSafeInteger(field) || field < 0) {
      return fail(`"${key}" must be an integer ≥ 0, got ${JSON.stringify(field)}`);
    }
    return field;
  };
  if (!Object.hasOwn(value, 'training_options')) fail('"training_options" is missing');
  const history = value.history ?? [];
  if (!Array.isArray(history)) fail('"history" must be an array');
  let rngState: number[] | string | null;
  try {
    rngState = checkRngState(value.rng_state ?? null, '"rng_state"');
  } catch (error) {
    return fail((error as Error).message);
  }
  return {
    format: FORMAT,
    version: VERSION,
    epoch: count('epoch'),
    step: count('step'),
    optimizer_step: count('optimizer_step'),
    rng_state: rngState,
    training_options: value.training_options,
    history: history as unknown[],
  };
}

function checkRngState(value: unknown, what: string): number[] | string | null {
  if (value === null || typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((word) => typeof word === 'number' && Number.isFinite(word))) {
    return [...(value as number[])];
  }
  throw new CheckpointError('invalid-input', `${what} must be an array of finite numbers or a string`);
}

function checkCount(value: number, what: string): void {
  if (!(Number.isSafeInteger(value) && value >= 0)) {
    throw new CheckpointError('invalid-input', `${what} must be an integer ≥ 0, got ${value}`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
