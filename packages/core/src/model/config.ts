// How a model file is to be read, stated by the file itself: the configuration JSON that
// `bilinear train` stores in the safetensors metadata and writes beside the weights, its codec, and
// the reference layout it implies. Every reader of model files (decomposition, training, evaluation,
// the platform) decides gate and residual from here.

/** The non-linearity on the left half of a block: 'none' is the bilinear layer; the others are GLU baselines. */
export type Gate = 'none' | 'relu' | 'silu' | 'gelu';
export const GATES: readonly Gate[] = ['none', 'relu', 'silu', 'gelu'];
export type Loss = 'cross-entropy' | 'mse';
export const LOSSES: readonly Loss[] = ['cross-entropy', 'mse'];

export type ModelConfigErrorCode =
  /** The configuration is malformed, or contradicts the weights or what the caller declared. */
  | 'invalid-config'
  /** The configuration stored in `__metadata__` is malformed. */
  | 'invalid-metadata'
  /** A tensor the configuration needs is absent. */
  | 'missing-tensor'
  /** A tensor the configuration has no place for. */
  | 'unexpected-tensor'
  | 'wrong-shape';

/** A model configuration that is malformed or does not fit the weights it came with. */
export class ModelConfigError extends Error {
  override readonly name = 'ModelConfigError';
  readonly code: ModelConfigErrorCode;
  /** The tensor at fault, when one is. */
  readonly tensor: string | undefined;

  constructor(code: ModelConfigErrorCode, message: string, tensor?: string) {
    super(message);
    this.code = code;
    this.tensor = tensor;
  }
}

export type ModelKind = 'image-classifier' | 'toy';

/** What a trained model is, independent of its weights. */
export interface ModelConfig {
  /** 'image-classifier': embed [d, in] → blocks → head; 'toy': the first block reads the input directly. */
  kind: ModelKind;
  inputDim: number;
  /** d: the width of every bilinear block (d hidden units, W and V stacked as [2d, d_in]). */
  hiddenDim: number;
  layers: number;
  /** Classes (image classifier) or outputs (toy). */
  outputDim: number;
  residual: boolean;
  gate: Gate;
  loss: Loss;
}

/** The configuration as a PyTorch user reads it (the JSON file next to the weights). */
export interface ModelConfigJson {
  architecture: 'bilinear-image-classifier' | 'bilinear-toy';
  d_input: number;
  d_hidden: number;
  n_layer: number;
  /** Image classifiers. */
  n_classes?: number;
  /** Toy models. */
  d_output?: number;
  residual: boolean;
  gate: Gate;
  loss: Loss;
  /** How the model was trained (free-form; empty when unknown). */
  training: Record<string, unknown>;
}

/** Where the configuration JSON lives in a safetensors file's `__metadata__`. */
export const CONFIG_METADATA_KEY = 'bilinear_lab_config';

const ARCHITECTURES: Record<ModelKind, ModelConfigJson['architecture']> = {
  'image-classifier': 'bilinear-image-classifier',
  toy: 'bilinear-toy',
};

/**
 * The tensors of the PyTorch reference layout, row-major, no biases:
 * image classifier `embed.weight [d, in]`, `blocks.{i}.weight [2d, d]`, `head.weight [out, d]`;
 * toy `blocks.0.weight [2d, in]`, `blocks.{i}.weight [2d, d]` for i ≥ 1, `head.weight [out, d]`.
 * In every block rows 0..d-1 are W and rows d..2d-1 are V.
 */
export function referenceShapes(config: ModelConfig): { name: string; shape: [number, number] }[] {
  checkModelConfig(config);
  const { kind, inputDim, hiddenDim: d, layers, outputDim } = config;
  const shapes: { name: string; shape: [number, number] }[] = [];
  if (kind === 'image-classifier') shapes.push({ name: 'embed.weight', shape: [d, inputDim] });
  for (let i = 0; i < layers; i++) {
    const fanIn = kind === 'toy' && i === 0 ? inputDim : d;
    shapes.push({ name: `blocks.${i}.weight`, shape: [2 * d, fanIn] });
  }
  shapes.push({ name: 'head.weight', shape: [outputDim, d] });
  return shapes;
}

/** Throws ModelConfigError('invalid-config') naming the first field that is wrong. */
export function checkModelConfig(config: ModelConfig): void {
  const fail = (what: string): never => {
    throw new ModelConfigError('invalid-config', `model config: ${what}`);
  };
  if (config === null || typeof config !== 'object') fail(`expected an object, got ${String(config)}`);
  if (config.kind !== 'image-classifier' && config.kind !== 'toy') {
    fail(`kind must be "image-classifier" or "toy", got ${JSON.stringify(config.kind)}`);
  }
  for (const key of ['inputDim', 'hiddenDim', 'layers', 'outputDim'] as const) {
    const value = config[key];
    if (!(Number.isSafeInteger(value) && value >= 1))
      fail(`${key} must be an integer ≥ 1, got ${String(value)}`);
  }
  if (typeof config.residual !== 'boolean')
    fail(`residual must be true or false, got ${String(config.residual)}`);
  if (!GATES.includes(config.gate))
    fail(`gate must be one of ${GATES.join(', ')}, got ${JSON.stringify(config.gate)}`);
  if (!LOSSES.includes(config.loss))
    fail(`loss must be one of ${LOSSES.join(', ')}, got ${JSON.stringify(config.loss)}`);
}

export function modelConfigToJson(
  config: ModelConfig,
  training: Record<string, unknown> = {},
): ModelConfigJson {
  checkModelConfig(config);
  return {
    architecture: ARCHITECTURES[config.kind],
    d_input: config.inputDim,
    d_hidden: config.hiddenDim,
    n_layer: config.layers,
    ...(config.kind === 'image-classifier'
      ? { n_classes: config.outputDim }
      : { d_output: config.outputDim }),
    residual: config.residual,
    gate: config.gate,
    loss: config.loss,
    training,
  };
}

/**
 * Reads the PyTorch-side JSON (from a file or the safetensors metadata). Keys it does not know are
 * ignored; residual, gate and loss default to false, "none" and the kind's usual loss.
 */
export function modelConfigFromJson(json: unknown): {
  config: ModelConfig;
  training: Record<string, unknown>;
} {
  const fail = (what: string): never => {
    throw new ModelConfigError('invalid-config', `model config JSON: ${what}`);
  };
  const value = jsonObject(json, fail);
  const kind = (Object.keys(ARCHITECTURES) as ModelKind[]).find(
    (k) => ARCHITECTURES[k] === value.architecture,
  );
  if (kind === undefined) {
    return fail(
      `architecture must be "bilinear-image-classifier" or "bilinear-toy", got ${describeValue(value.architecture)}`,
    );
  }
  const integer = (key: string): number => {
    const field = value[key];
    if (typeof field !== 'number' || !Number.isSafeInteger(field) || field < 1) {
      return fail(`"${key}" must be an integer ≥ 1, got ${describeValue(field)}`);
    }
    return field;
  };
  const outputKey = kind === 'image-classifier' ? 'n_classes' : 'd_output';
  const otherKey = kind === 'image-classifier' ? 'd_output' : 'n_classes';
  const training = value.training ?? {};
  if (!isPlainObject(training)) return fail(`"training" must be an object, got ${describeValue(training)}`);
  const config: ModelConfig = {
    kind,
    inputDim: integer('d_input'),
    hiddenDim: integer('d_hidden'),
    layers: integer('n_layer'),
    outputDim: integer(
      value[outputKey] === undefined && value[otherKey] !== undefined ? otherKey : outputKey,
    ),
    residual: (value.residual ?? false) as boolean,
    gate: (value.gate ?? 'none') as Gate,
    loss: (value.loss ?? (kind === 'image-classifier' ? 'cross-entropy' : 'mse')) as Loss,
  };
  checkModelConfig(config);
  return { config, training };
}

/**
 * The configuration the reference layout's shapes imply, for files without our metadata (e.g. one
 * saved from PyTorch). What shapes cannot tell is assumed: no residual, no gate, and cross-entropy
 * (image classifier) or MSE (toy). Throws ModelConfigError naming the tensor that does not fit.
 */
export function inferModelConfig(shapes: ReadonlyMap<string, readonly number[]>): ModelConfig {
  const names = [...shapes.keys()];
  const matrix = (name: string, meaning: string): [number, number] => {
    const shape = shapes.get(name);
    if (shape === undefined) {
      throw new ModelConfigError(
        'missing-tensor',
        `cannot infer the model: no tensor "${name}" ${meaning}; the file has ${listNames(names)}`,
        name,
      );
    }
    if (shape.length !== 2 || shape.some((size) => size < 1)) {
      throw new ModelConfigError(
        'wrong-shape',
        `tensor "${name}" has shape [${shape.join(', ')}], expected a non-empty matrix ${meaning}`,
        name,
      );
    }
    return [shape[0] as number, shape[1] as number];
  };

  const layers = countBlocks(names);
  if (layers === 0) matrix('blocks.0.weight', '[2d, d_in]');
  const head = matrix('head.weight', '[classes, d]');
  let config: ModelConfig;
  if (shapes.has('embed.weight')) {
    const [d, inputDim] = matrix('embed.weight', '[d, in]');
    config = baseConfig('image-classifier', inputDim, d, layers, head[0]);
  } else {
    const [twiceD, inputDim] = matrix('blocks.0.weight', '[2d, in] (toy layout: no embed.weight)');
    if (twiceD % 2 !== 0) {
      throw new ModelConfigError(
        'wrong-shape',
        `tensor "blocks.0.weight" has ${twiceD} rows; W and V are stacked as [2d, in], so the count must be even`,
        'blocks.0.weight',
      );
    }
    config = baseConfig('toy', inputDim, twiceD / 2, layers, head[0]);
  }
  checkShapes(shapes, config, 'inferred from the shapes of embed.weight/blocks.0.weight and head.weight');
  return config;
}

/**
 * Checks that `shapes` are exactly the reference layout of `config`: every tensor present with its
 * shape, nothing else except names `ignore` accepts.
 */
export function checkShapes(
  shapes: ReadonlyMap<string, readonly number[]>,
  config: ModelConfig,
  source: string,
  ignore: (name: string) => boolean = () => false,
): void {
  const expected = referenceShapes(config);
  const known = new Set(expected.map(({ name }) => name));
  for (const { name, shape } of expected) {
    const actual = shapes.get(name);
    if (actual === undefined) {
      throw new ModelConfigError(
        'missing-tensor',
        `tensor "${name}" [${shape.join(', ')}] is missing (config ${source}: ${describeConfig(config)})`,
        name,
      );
    }
    if (actual.length !== 2 || actual[0] !== shape[0] || actual[1] !== shape[1]) {
      throw new ModelConfigError(
        'wrong-shape',
        `tensor "${name}" has shape [${actual.join(', ')}] but the config (${source}: ${describeConfig(config)}) needs [${shape.join(', ')}]`,
        name,
      );
    }
  }
  const extra = [...shapes.keys()].filter((name) => !known.has(name) && !ignore(name));
  if (extra.length > 0) {
    throw new ModelConfigError(
      'unexpected-tensor',
      `tensor "${extra[0]}" has no place in the reference layout of ${describeConfig(config)} (expected only ${listNames([...known])})`,
      extra[0],
    );
  }
}

export function describeConfig(config: ModelConfig): string {
  const head =
    config.kind === 'image-classifier' ? `${config.outputDim} classes` : `${config.outputDim} outputs`;
  const extras = [config.residual ? 'residual' : '', config.gate !== 'none' ? `gate ${config.gate}` : '']
    .filter(Boolean)
    .join(', ');
  return `${config.kind} ${config.inputDim} → d = ${config.hiddenDim} × ${config.layers} layer${config.layers === 1 ? '' : 's'} → ${head}${extras ? ` (${extras})` : ''}`;
}

function baseConfig(kind: ModelKind, inputDim: number, hiddenDim: number, layers: number, outputDim: number) {
  return {
    kind,
    inputDim,
    hiddenDim,
    layers,
    outputDim,
    residual: false,
    gate: 'none',
    loss: kind === 'image-classifier' ? 'cross-entropy' : 'mse',
  } satisfies ModelConfig;
}

/** 1 + the highest i of `blocks.{i}.weight` (checkShapes then finds any hole). */
function countBlocks(names: readonly string[]): number {
  let count = 0;
  for (const name of names) {
    const match = /^blocks\.(0|[1-9]\d*)\.weight$/.exec(name);
    if (match) count = Math.max(count, Number(match[1]) + 1);
  }
  return count;
}

export function listNames(names: readonly string[]): string {
  if (names.length === 0) return 'no tensors';
  const shown = names.slice(0, 8).map((name) => `"${name}"`);
  return names.length > 8 ? `${shown.join(', ')}, … (${names.length} in all)` : shown.join(', ');
}

/**
 * A config given as JSON text or already parsed, as an object; `fail` (which throws) says what is
 * wrong with anything else.
 */
export function jsonObject(json: unknown, fail: (what: string) => never): Record<string, unknown> {
  let value = json;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (error) {
      fail(`not valid JSON (${(error as Error).message})`);
    }
  }
  if (!isPlainObject(value)) return fail(`expected an object, got ${describeValue(value)}`);
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as a message shows it: its JSON, cut at 60 characters. */
export function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
