// What a model file says about itself, decided in one place for every reader: the configuration in
// its safetensors metadata, the config file that came with it, and — only for a file that records
// neither — what the caller declares. A declaration that contradicts the file is an error.
import type { SafetensorsHeader } from '../safetensors/read.js';
import {
  CONFIG_METADATA_KEY,
  describeConfig,
  type Gate,
  type ModelConfig,
  ModelConfigError,
  modelConfigFromJson,
} from './config.js';
import type { InspectedLanguageModel } from './import.js';
import {
  isLanguageModelConfigJson,
  type LanguageModelConfig,
  languageModelConfigFromJson,
} from './language-model-config.js';
import type { ConfigSource } from './types.js';

export interface ModelConfigOptions {
  /**
   * The config file that came with the weights — `<name>.config.json` as `bilinear train` writes it,
   * or the `config.json` of an HF model folder — as its text or parsed JSON.
   */
  config?: unknown;
  /** What to call that file in messages (its path); default "the config file". */
  configName?: string;
  /**
   * Image classifiers whose file records no configuration: whether the blocks are residual
   * (x + g(x)), which the weights cannot tell. An error when it contradicts a recorded config.
   */
  residual?: boolean;
}

/**
 * A platform's stored record of a model (its Model.config: what training wrote, or what was read or
 * declared at import) as import options: its residual flag is a declaration, which the file's own
 * config, when it has one, must agree with.
 */
export function declaredConfigOptions(record: unknown): ModelConfigOptions {
  const { residual, fileConfig } = (record ?? {}) as { residual?: unknown; fileConfig?: unknown };
  // A language model's record keeps the config.json it came with: the file is read through it again.
  if (fileConfig !== undefined) return { config: fileConfig, configName: 'config.json' };
  return typeof residual === 'boolean' ? { residual } : {};
}

/**
 * A language model's platform record (Model.config): its shapes and config as inspectLanguageModel
 * read them, and the config.json itself (`fileConfig`), which declaredConfigOptions hands back to
 * every later reader of the file.
 */
export function languageModelRecord(
  inspected: InspectedLanguageModel,
  fileConfig: unknown,
): Record<string, unknown> {
  const { config, ...shape } = inspected;
  return {
    kind: 'language-model',
    ...shape,
    heads: config?.heads ?? null,
    context: config?.context ?? null,
    scaleAttention: config?.scaleAttention ?? null,
    normalization: config?.normalization ?? null,
    fileConfig,
  };
}

/** The shapes read off a classifier's weights, which a recorded config must agree with. */
export interface ClassifierShape {
  inputDim: number;
  modelDim: number;
  blocks: number;
  classes: number;
}

export interface ClassifierFileConfig {
  residual: boolean;
  gate: Gate;
  source: ConfigSource;
  /** The recorded configuration, when there is one. */
  recorded: ModelConfig | null;
}

export function classifierFileConfig(
  file: SafetensorsHeader,
  options: ModelConfigOptions,
  shape: ClassifierShape,
): ClassifierFileConfig {
  const configName = options.configName ?? 'the config file';
  const stored = file.metadata[CONFIG_METADATA_KEY];
  const fromMetadata =
    stored === undefined
      ? null
      : classifierConfigOf(stored, `__metadata__.${CONFIG_METADATA_KEY}`, 'invalid-metadata');
  let fromFile: ModelConfig | null = null;
  if (options.config !== undefined) {
    const json = parsedJson(options.config, configName);
    if (isLanguageModelConfigJson(json)) {
      throw new ModelConfigError(
        'invalid-config',
        `${configName} describes a language model (d_model, vocab_size), but the weights are an image classifier`,
      );
    }
    fromFile = classifierConfigOf(json, configName, 'invalid-config');
  }
  if (fromMetadata && fromFile && !sameConfig(fromMetadata, fromFile)) {
    throw new ModelConfigError(
      'invalid-config',
      `${configName} says ${describeConfig(fromFile)}, but the file's own metadata says ${describeConfig(fromMetadata)}`,
    );
  }
  const recorded = fromMetadata ?? fromFile;
  if (recorded === null) {
    return {
      residual: options.residual ?? false,
      gate: 'none',
      source: options.residual === undefined ? 'default' : 'declared',
      recorded: null,
    };
  }
  const where = fromMetadata ? `the file's metadata (${CONFIG_METADATA_KEY})` : configName;
  if (recorded.kind !== 'image-classifier') {
    throw new ModelConfigError(
      'invalid-config',
      `${where} describes a ${recorded.kind} model, but the weights are in the image-classifier layout (embed.weight, blocks.{i}.weight, head.weight)`,
    );
  }
  const mismatch = (
    [
      ['d_input', recorded.inputDim, shape.inputDim, 'embed.weight [d, in]'],
      ['d_hidden', recorded.hiddenDim, shape.modelDim, 'embed.weight [d, in]'],
      ['n_layer', recorded.layers, shape.blocks, 'the blocks.{i}.weight tensors'],
      ['n_classes', recorded.outputDim, shape.classes, 'head.weight [classes, d]'],
    ] as const
  ).find(([, said, found]) => said !== found);
  if (mismatch) {
    const [key, said, found, source] = mismatch;
    throw new ModelConfigError('wrong-shape', `${where} says ${key} = ${said}, but ${source} gives ${found}`);
  }
  if (options.residual !== undefined && options.residual !== recorded.residual) {
    throw new ModelConfigError(
      'invalid-config',
      `${where} says the blocks are ${recorded.residual ? '' : 'not '}residual; declaring residual = ${options.residual} contradicts it (leave the declaration out: the file decides)`,
    );
  }
  return {
    residual: recorded.residual,
    gate: recorded.gate,
    source: fromMetadata ? 'metadata' : 'config-file',
    recorded,
  };
}

export interface LanguageModelShape {
  vocabSize: number;
  modelDim: number;
  hiddenDim: number;
  layers: number;
}

export interface LanguageModelFileConfig {
  gate: Gate;
  source: ConfigSource;
  recorded: LanguageModelConfig | null;
}

export function languageModelFileConfig(
  file: SafetensorsHeader,
  options: ModelConfigOptions,
  shape: LanguageModelShape,
): LanguageModelFileConfig {
  const configName = options.configName ?? 'the config file';
  if (options.residual !== undefined) {
    throw new ModelConfigError(
      'invalid-config',
      "residual applies to image classifiers only; a language model's residual stream is part of its layout",
    );
  }
  if (file.metadata[CONFIG_METADATA_KEY] !== undefined) {
    throw new ModelConfigError(
      'invalid-metadata',
      `__metadata__.${CONFIG_METADATA_KEY} describes an image classifier or toy model, but the weights are in the language-model layout`,
    );
  }
  if (options.config === undefined) return { gate: 'none', source: 'default', recorded: null };
  const json = parsedJson(options.config, configName);
  if (!isLanguageModelConfigJson(json)) {
    throw new ModelConfigError(
      'invalid-config',
      `${configName} is not a language model's config (no d_model or vocab_size), but the weights are in the language-model layout`,
    );
  }
  let recorded: LanguageModelConfig;
  try {
    recorded = languageModelConfigFromJson(json);
  } catch (error) {
    throw prefixed(error, configName);
  }
  const mismatch = (
    [
      ['vocab_size', recorded.vocabSize, shape.vocabSize, 'transformer.wte.weight [V, d]'],
      ['d_model', recorded.modelDim, shape.modelDim, 'transformer.wte.weight [V, d]'],
      ['d_hidden', recorded.hiddenDim, shape.hiddenDim, 'transformer.h.0.mlp.w.weight [2h, d]'],
      ['n_layer', recorded.layers, shape.layers, 'the transformer.h.{i} tensors'],
    ] as const
  ).find(([, said, found]) => said !== found);
  if (mismatch) {
    const [key, said, found, source] = mismatch;
    throw new ModelConfigError(
      'wrong-shape',
      `${configName} says ${key} = ${said}, but ${source} gives ${found}`,
    );
  }
  return { gate: recorded.gate, source: 'config-file', recorded };
}

function classifierConfigOf(
  json: unknown,
  where: string,
  code: 'invalid-config' | 'invalid-metadata',
): ModelConfig {
  try {
    return modelConfigFromJson(json).config;
  } catch (error) {
    if (error instanceof ModelConfigError) {
      throw new ModelConfigError(code, `${where}: ${error.message.replace(/^model config( JSON)?: /, '')}`);
    }
    throw error;
  }
}

function parsedJson(value: unknown, where: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new ModelConfigError('invalid-config', `${where}: not valid JSON (${(error as Error).message})`);
  }
}

function prefixed(error: unknown, where: string): unknown {
  if (!(error instanceof ModelConfigError)) return error;
  return new ModelConfigError(
    error.code,
    `${where}: ${error.message.replace(/^language-model config: /, '')}`,
  );
}

function sameConfig(a: ModelConfig, b: ModelConfig): boolean {
  return (
    a.kind === b.kind &&
    a.inputDim === b.inputDim &&
    a.hiddenDim === b.hiddenDim &&
    a.layers === b.layers &&
    a.outputDim === b.outputDim &&
    a.residual === b.residual &&
    a.gate === b.gate &&
    a.loss === b.loss
  );
}
