// A language-model training run saved between two steps: one safetensors file with the parameters
// under their HF keys, AdamW's moments beside them and everything else as JSON in the metadata,
// so that resuming continues bit for bit.
import { languageModelConfigFromJson, parseSafetensors, writeSafetensors } from '@bilinear-lab/core';
import { CheckpointError } from '../checkpoint/errors.js';
import { checkJsonValue, float32Tensors, readFloat32 } from '../checkpoint/tensors.js';
import type { NamedArray } from '../model/parameters.js';
import {
  languageModelConfigJson,
  languageModelParameterShapes,
  languageModelShapeOf,
} from './model-shape.js';
import type {
  LanguageModelEvaluation,
  LanguageModelTrainingOptions,
  LanguageModelTrainingState,
} from './train-language-model.js';

/** The metadata key that marks a language-model checkpoint (image checkpoints use bilinear_lab_checkpoint). */
export const LANGUAGE_MODEL_CHECKPOINT_KEY = 'bilinear_lab_language_model_checkpoint';
const FORMAT = 'bilinear-lab-language-model-checkpoint';
const VERSION = 1;
const MOMENT = (kind: 'm' | 'v', name: string) => `optimizer.${kind}.${name}`;

/** A saved run: the trainer's state and what the caller needs to rebuild its data (JSON values). */
export interface LanguageModelCheckpoint {
  state: LanguageModelTrainingState;
  /** E.g. the dataset spec and the tokenizer's JSON: how to get the same token streams again. */
  run: Record<string, unknown>;
}

export function writeLanguageModelCheckpoint(checkpoint: LanguageModelCheckpoint): Uint8Array {
  const { state, run } = checkpoint;
  const { shape, ...training } = state.options;
  const shapes = languageModelParameterShapes(shape);
  checkJsonValue(run, 'run');
  checkJsonValue(training, 'options');
  const metadata = {
    format: FORMAT,
    version: VERSION,
    step: state.step,
    optimizer_step: state.optimizer.step,
    config: languageModelConfigJson(shape),
    options: training,
    evaluations: state.evaluations,
    since_evaluation: state.sinceEvaluation,
    run,
  };
  return writeSafetensors(
    [
      ...float32Tensors(state.parameters, shapes, 'parameters'),
      ...float32Tensors(state.optimizer.m, shapes, 'optimizer m', 'optimizer.m.'),
      ...float32Tensors(state.optimizer.v, shapes, 'optimizer v', 'optimizer.v.'),
    ],
    { [LANGUAGE_MODEL_CHECKPOINT_KEY]: JSON.stringify(metadata) },
  );
}

/** Whether a parsed safetensors file's metadata marks it as a language-model checkpoint. */
export function isLanguageModelCheckpoint(metadata: Readonly<Record<string, string>>): boolean {
  return Object.hasOwn(metadata, LANGUAGE_MODEL_CHECKPOINT_KEY);
}

function sinceEvaluation(
  value: unknown,
  fail: (what: string) => never,
): LanguageModelTrainingState['sinceEvaluation'] {
  const record = value as { lossSum?: unknown; steps?: unknown } | null;
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.lossSum !== 'number' ||
    !Number.isFinite(record.lossSum) ||
    typeof record.steps !== 'number' ||
    !Number.isSafeInteger(record.steps) ||
    record.steps < 0
  ) {
    return fail('"since_evaluation" must be {"lossSum": <number>, "steps": <integer ≥ 0>}');
  }
  return { lossSum: record.lossSum, steps: record.steps };
}

/** What writeLanguageModelCheckpoint wrote, bit for bit. Throws CheckpointError naming what is wrong. */
export function readLanguageModelCheckpoint(bytes: Uint8Array): LanguageModelCheckpoint {
  const file = parseSafetensors(bytes);
  const text = file.metadata[LANGUAGE_MODEL_CHECKPOINT_KEY];
  const fail = (what: string): never => {
    throw new CheckpointError('invalid-metadata', `__metadata__.${LANGUAGE_MODEL_CHECKPOINT_KEY}: ${what}`);
  };
  if (text === undefined) {
    throw new CheckpointError(
      'invalid-metadata',
      `not a language-model checkpoint: __metadata__ has no "${LANGUAGE_MODEL_CHECKPOINT_KEY}"`,
    );
  }
  let metadata: Record<string, unknown>;
  try {
    metadata = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message})`);
  }
  if (metadata.format !== FORMAT || metadata.version !== VERSION) {
    fail(
      `format ${JSON.stringify(metadata.format)} version ${JSON.stringify(metadata.version)} is not ${FORMAT} ${VERSION}`,
    );
  }
  const count = (key: string): number => {
    const value = metadata[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      return fail(`"${key}" must be an integer ≥ 0, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const object = (key: string): Record<string, unknown> => {
    const value = metadata[key];
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return fail(`"${key}" must be an object`);
    return value as Record<string, unknown>;
  };
  const shape = languageModelShapeOf(languageModelConfigFromJson(object('config')));
  const shapes = languageModelParameterShapes(shape);
  const read = (prefix: string): NamedArray[] =>
    shapes.map(({ name, shape: dims }) => {
      const info = file.tensors.get(prefix + name);
      if (info !== undefined && (info.shape[0] !== dims[0] || info.shape[1] !== dims[1])) {
        throw new CheckpointError(
          'wrong-shape',
          `tensor "${prefix + name}" has shape [${info.shape.join(', ')}]; the config gives [${dims.join(', ')}]`,
          prefix + name,
        );
      }
      return { name, shape: dims, values: readFloat32(file, prefix + name).values };
    });
  const evaluations = metadata.evaluations;
  if (!Array.isArray(evaluations)) fail('"evaluations" must be an array');
  const options = { ...object('options'), shape } as unknown as LanguageModelTrainingOptions;
  return {
    state: {
      options,
      step: count('step'),
      parameters: read(''),
      optimizer: { step: count('optimizer_step'), m: read(MOMENT('m', '')), v: read(MOMENT('v', '')) },
      evaluations: evaluations as LanguageModelEvaluation[],
      sinceEvaluation: sinceEvaluation(metadata.since_evaluation, fail),
    },
    run: object('run'),
  };
}
