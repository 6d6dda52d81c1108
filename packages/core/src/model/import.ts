import type { Dtype } from '../safetensors/dtypes.js';
import {
  decodeTensor,
  formatShape,
  type SafetensorsFile,
  type SafetensorsHeader,
  type TensorInfo,
} from '../safetensors/read.js';
import type { Gate } from './config.js';
import { classifierFileConfig, languageModelFileConfig, type ModelConfigOptions } from './file-config.js';
import type { LanguageModelConfig } from './language-model-config.js';
import { matrix } from './matrix.js';
import type {
  BilinearLayer,
  BilinearModel,
  ConfigSource,
  ImageClassifierModel,
  LanguageModel,
  Matrix,
} from './types.js';

export type ModelLayoutErrorCode =
  /** The tensor names match neither reference layout (or mix both, or carry tensors a layout has no use for). */
  | 'unknown-layout'
  /** The names match a layout but a tensor is missing or has the wrong shape. */
  | 'inconsistent-shapes'
  /** A weight is stored as something other than a float (F64, F32, F16, BF16). */
  | 'unsupported-dtype';

export class ModelLayoutError extends Error {
  override readonly name = 'ModelLayoutError';
  readonly code: ModelLayoutErrorCode;
  /** The tensor at fault, when one is. */
  readonly tensor: string | undefined;

  constructor(code: ModelLayoutErrorCode, message: string, tensor?: string) {
    super(message);
    this.code = code;
    this.tensor = tensor;
  }
}

/**
 * How to read the file beyond its tensors: the config file that came with it, and for a classifier
 * whose file records no configuration, whether its blocks are residual (see ModelConfigOptions).
 */
export type ImportModelOptions = ModelConfigOptions;

export const EXPECTED_LAYOUTS = [
  'image-classifier: embed.weight [d, in], blocks.{i}.weight [2d, d] for i = 0..L-1, head.weight [classes, d]',
  'language-model: transformer.wte.weight [V, d], transformer.h.{i}.mlp.w.weight [2h, d], ' +
    'transformer.h.{i}.mlp.p.weight [d, h] for i = 0..L-1, lm_head.weight [V, d] ' +
    '(and for the forward pass transformer.h.{i}.attn.qkv.weight [3d, d], attn.o.weight [d, d], ' +
    'optionally attn.rotary.inv_freq [d_head / 2])',
];

/** Weights are widened exactly to float64 from these; integer or packed dtypes would need scales we lack. */
const WEIGHT_DTYPES: ReadonlySet<Dtype> = new Set<Dtype>(['F64', 'F32', 'F16', 'BF16']);

const LISTED_KEYS = 20;

// Indices without leading zeros, so "blocks.01.weight" is not silently taken for block 1.
const IMAGE_BLOCK = /^blocks\.(0|[1-9]\d*)\.weight$/;
const LM_MLP = /^transformer\.h\.(0|[1-9]\d*)\.mlp\.[wp]\.weight$/;
const LM_ATTENTION = /^transformer\.h\.(0|[1-9]\d*)\.attn\.(qkv\.weight|o\.weight|rotary\.inv_freq)$/;
const IMAGE_FIXED = ['embed.weight', 'head.weight'];
const LM_FIXED = ['transformer.wte.weight', 'lm_head.weight'];

/**
 * Builds a bilinear model from a parsed safetensors file, recognising the layout from its tensor
 * names and checking every shape before decoding anything. Gate and residual come from the file's
 * own configuration (metadata, or the config file passed in options); a declaration that
 * contradicts it throws ModelConfigError. Non-finite weights throw the SafetensorsError
 * 'non-finite' naming the tensor.
 */
export function importModel(file: SafetensorsFile, options: ImportModelOptions = {}): BilinearModel {
  return modelLayoutOf(file) === 'image-classifier'
    ? importImageClassifier(file, options)
    : importLanguageModel(file, options);
}

export type ModelLayout = BilinearModel['layout'];

/**
 * The layout a file's tensor names follow, with its required keys present and no key it has no
 * place for. Reads the header only.
 */
export function modelLayoutOf(file: SafetensorsHeader): ModelLayout {
  const names = [...file.tensors.keys()];
  const imageKeys = names.filter((name) => IMAGE_FIXED.includes(name) || IMAGE_BLOCK.test(name));
  const lmKeys = names.filter(
    (name) => LM_FIXED.includes(name) || LM_MLP.test(name) || LM_ATTENTION.test(name),
  );

  if (imageKeys.length > 0 && lmKeys.length === 0) {
    requireLayoutKeys(
      file,
      'image-classifier',
      IMAGE_FIXED,
      imageKeys.some((name) => IMAGE_BLOCK.test(name)),
      'blocks.0.weight',
    );
    rejectUnusedKeys(file, 'image-classifier', imageKeys);
    return 'image-classifier';
  }
  if (lmKeys.length > 0 && imageKeys.length === 0) {
    requireLayoutKeys(
      file,
      'language-model',
      LM_FIXED,
      lmKeys.some((name) => LM_MLP.test(name)),
      'transformer.h.0.mlp.w.weight',
    );
    rejectUnusedKeys(file, 'language-model', lmKeys);
    return 'language-model';
  }
  const why =
    names.length === 0
      ? 'the file holds no tensors'
      : imageKeys.length > 0
        ? 'its tensor names mix the image-classifier and language-model layouts'
        : 'its tensor names match no known layout';
  throw new ModelLayoutError('unknown-layout', `cannot recognise the model: ${why}.\n${describeKeys(file)}`);
}

function importImageClassifier(file: SafetensorsFile, options: ImportModelOptions): ImageClassifierModel {
  const embed = weightInfo(file, 'embed.weight');
  const [d, inputDim] = matrixShape(embed, '[d, in]');

  const blockNames = indexedNames(file, IMAGE_BLOCK, (i) => `blocks.${i}.weight`);
  for (const name of blockNames) {
    expectShape(
      weightInfo(file, name),
      [2 * d, d],
      `[2d, d] with d = ${d} from embed.weight ${formatShape(embed.shape)}`,
    );
  }
  const head = weightInfo(file, 'head.weight');
  const [classes] = matrixShape(head, '[classes, d]');
  expectShape(head, [classes, d], `[classes, d] with d = ${d} from embed.weight ${formatShape(embed.shape)}`);
  const config = classifierFileConfig(file, options, {
    inputDim,
    modelDim: d,
    blocks: blockNames.length,
    classes,
  });

  return {
    layout: 'image-classifier',
    inputDim,
    imageShape: squareImageShape(inputDim),
    embed: decodeMatrix(file, embed),
    blocks: blockNames.map((name) => splitBilinear(decodeMatrix(file, weightInfo(file, name)))),
    head: decodeMatrix(file, head),
    residual: config.residual,
    gate: config.gate,
    configSource: config.source,
  };
}

/** A language model as its header describes it: every shape checked and the config decided, nothing decoded. */
export interface InspectedLanguageModel {
  vocabSize: number;
  modelDim: number;
  hiddenDim: number;
  layers: number;
  /** Whether the file holds attention weights (a file of MLPs alone decomposes but cannot run). */
  attention: boolean;
  gate: Gate;
  configSource: ConfigSource;
  config: LanguageModelConfig | null;
}

/**
 * What importModel would make of a language model's file, from its header alone (a checkpoint of
 * hundreds of MB can be judged while it streams in): throws the same errors, decodes no weight.
 */
export function inspectLanguageModel(
  header: SafetensorsHeader,
  options: ImportModelOptions = {},
): InspectedLanguageModel {
  const layout = modelLayoutOf(header);
  if (layout !== 'language-model') {
    throw new ModelLayoutError(
      'unknown-layout',
      `the tensor names are the ${layout} layout, not a language model's.\n${describeKeys(header)}`,
    );
  }
  const { shape } = languageModelLayout(header, options);
  return shape;
}

interface LanguageModelLayout {
  shape: InspectedLanguageModel;
  embedding: TensorInfo;
  unembedding: TensorInfo;
  layers: { w: TensorInfo; p: TensorInfo; attention: AttentionInfo | null }[];
}

function languageModelLayout(file: SafetensorsHeader, options: ImportModelOptions): LanguageModelLayout {
  const embedding = weightInfo(file, 'transformer.wte.weight');
  const [vocabSize, d] = matrixShape(embedding, '[V, d]');

  const layerCount = layerIndexCount(file);
  const first = weightInfo(file, 'transformer.h.0.mlp.w.weight');
  const [twiceHidden] = matrixShape(first, '[2h, d]');
  if (twiceHidden % 2 !== 0) {
    throw new ModelLayoutError(
      'inconsistent-shapes',
      `${first.name} has shape ${formatShape(first.shape)} but [2h, d] is expected: W and V stacked, so an even number of rows`,
      first.name,
    );
  }
  const h = twiceHidden / 2;
  const layers: LanguageModelLayout['layers'] = [];
  const withAttention = file.tensors.has('transformer.h.0.attn.qkv.weight');
  for (let i = 0; i < layerCount; i++) {
    const w = requiredWeight(file, `transformer.h.${i}.mlp.w.weight`, layerCount);
    const p = requiredWeight(file, `transformer.h.${i}.mlp.p.weight`, layerCount);
    const from = `with d = ${d} from transformer.wte.weight ${formatShape(embedding.shape)} and h = ${h} from ${first.name} ${formatShape(first.shape)}`;
    expectShape(w, [2 * h, d], `[2h, d] ${from}`);
    expectShape(p, [d, h], `[d, h] ${from}`);
    layers.push({ w, p, attention: withAttention ? attentionInfo(file, i, d, layerCount) : null });
  }
  if (!withAttention) {
    const stray = [...file.tensors.keys()].find((name) => LM_ATTENTION.test(name));
    if (stray !== undefined) {
      throw new ModelLayoutError(
        'inconsistent-shapes',
        `${stray} is present but transformer.h.0.attn.qkv.weight is not: attention weights come for every layer or for none`,
        stray,
      );
    }
  }
  const unembedding = weightInfo(file, 'lm_head.weight');
  expectShape(
    unembedding,
    [vocabSize, d],
    `[V, d] as transformer.wte.weight ${formatShape(embedding.shape)}`,
  );
  const config = languageModelFileConfig(file, options, {
    vocabSize,
    modelDim: d,
    hiddenDim: h,
    layers: layerCount,
  });
  return {
    shape: {
      vocabSize,
      modelDim: d,
      hiddenDim: h,
      layers: layerCount,
      attention: withAttention,
      gate: config.gate,
      configSource: config.source,
      config: config.recorded,
    },
    embedding,
    unembedding,
    layers,
  };
}

function importLanguageModel(file: SafetensorsFile, options: ImportModelOptions): LanguageModel {
  const { shape, embedding, unembedding, layers } = languageModelLayout(file, options);
  return {
    layout: 'language-model',
    vocabSize: shape.vocabSize,
    modelDim: shape.modelDim,
    hiddenDim: shape.hiddenDim,
    embedding: decodeMatrix(file, embedding),
    unembedding: decodeMatrix(file, unembedding),
    layers: layers.map(({ w, p, attention }) => ({
      mlp: splitBilinear(decodeMatrix(file, w)),
      down: decodeMatrix(file, p),
      attention:
        attention === null
          ? null
          : {
              qkv: decodeMatrix(file, attention.qkv),
              out: decodeMatrix(file, attention.out),
              inverseFrequencies:
                attention.inverseFrequencies === null
                  ? null
                  : decodeTensor(file, attention.inverseFrequencies.name),
            },
    })),
    gate: shape.gate,
    config: shape.config,
    configSource: shape.configSource,
  };
}

interface AttentionInfo {
  qkv: TensorInfo;
  out: TensorInfo;
  inverseFrequencies: TensorInfo | null;
}

/** Layer i's attention tensors: qkv [3d, d], o [d, d], and inv_freq [d_head / 2] when stored. */
function attentionInfo(file: SafetensorsHeader, i: number, d: number, layerCount: number): AttentionInfo {
  const name = (part: string) => `transformer.h.${i}.attn.${part}`;
  for (const part of ['qkv.weight', 'o.weight']) {
    if (!file.tensors.has(name(part))) {
      throw new ModelLayoutError(
        'inconsistent-shapes',
        `${name(part)} is missing: layer 0 has attention weights, so each of the ${layerCount} layers needs attn.qkv.weight [3d, d] and attn.o.weight [d, d]`,
        name(part),
      );
    }
  }
  const qkv = weightInfo(file, name('qkv.weight'));
  const out = weightInfo(file, name('o.weight'));
  expectShape(qkv, [3 * d, d], `[3d, d] with d = ${d} from transformer.wte.weight`);
  expectShape(out, [d, d], `[d, d] with d = ${d} from transformer.wte.weight`);
  const stored = file.tensors.get(name('rotary.inv_freq'));
  let inverseFrequencies: TensorInfo | null = null;
  if (stored !== undefined) {
    inverseFrequencies = weightInfo(file, stored.name);
    const [half] = stored.shape;
    if (stored.shape.length !== 1 || half === undefined || half === 0 || d % (2 * half) !== 0) {
      throw new ModelLayoutError(
        'inconsistent-shapes',
        `${stored.name} has shape ${formatShape(stored.shape)} but [d_head / 2] is expected, with d_head dividing d = ${d}`,
        stored.name,
      );
    }
  }
  return { qkv, out, inverseFrequencies };
}

/** Rows 0..h-1 of the stored [2h, d] weight are W ("left"), rows h..2h-1 are V ("right"). */
function splitBilinear(stacked: Matrix): BilinearLayer {
  const h = stacked.rows / 2;
  const split = h * stacked.cols;
  // Copies rather than views, so each matrix owns its buffer (safe to transfer or mutate alone).
  return {
    left: matrix(h, stacked.cols, stacked.data.slice(0, split)),
    right: matrix(h, stacked.cols, stacked.data.slice(split)),
  };
}

function decodeMatrix(file: SafetensorsFile, info: TensorInfo): Matrix {
  return matrix(info.shape[0] as number, info.shape[1] as number, decodeTensor(file, info.name));
}

function squareImageShape(inputDim: number): [number, number] | null {
  const side = Math.round(Math.sqrt(inputDim));
  return side * side === inputDim ? [side, side] : null;
}

/** The names a pattern's index fills, checked to run 0..L-1 without holes. */
function indexedNames(file: SafetensorsHeader, pattern: RegExp, nameOf: (index: number) => string): string[] {
  const indices = [...file.tensors.keys()].flatMap((name) => {
    const match = pattern.exec(name);
    return match ? [Number(match[1])] : [];
  });
  const count = Math.max(...indices) + 1;
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = nameOf(i);
    if (!file.tensors.has(name)) {
      throw new ModelLayoutError(
        'inconsistent-shapes',
        `${name} is missing: the file has ${indices.length} of ${count} blocks (indices ${[...indices].sort((a, b) => a - b).join(', ')}), and they must run 0..${count - 1}`,
        name,
      );
    }
    names.push(name);
  }
  return names;
}

/** Layers are 0..L-1 where L - 1 is the largest index any transformer.h.{i} key mentions. */
function layerIndexCount(file: SafetensorsHeader): number {
  let largest = -1;
  for (const name of file.tensors.keys()) {
    const match = LM_MLP.exec(name) ?? LM_ATTENTION.exec(name);
    if (match) largest = Math.max(largest, Number(match[1]));
  }
  return largest + 1;
}

function requiredWeight(file: SafetensorsHeader, name: string, layerCount: number): TensorInfo {
  if (!file.tensors.has(name)) {
    throw new ModelLayoutError(
      'inconsistent-shapes',
      `${name} is missing: the file mentions layers 0..${layerCount - 1} and each needs mlp.w.weight [2h, d] and mlp.p.weight [d, h]`,
      name,
    );
  }
  return weightInfo(file, name);
}

function weightInfo(file: SafetensorsHeader, name: string): TensorInfo {
  const info = file.tensors.get(name);
  if (info === undefined) {
    // requireLayoutKeys has already checked the fixed names, so this is a programming error.
    throw new Error(`internal: ${name} expected after layout detection`);
  }
  if (!WEIGHT_DTYPES.has(info.dtype)) {
    throw new ModelLayoutError(
      'unsupported-dtype',
      `${name} is stored as ${info.dtype}; weights must be F64, F32, F16 or BF16`,
      name,
    );
  }
  return info;
}

/** A 2-D shape with positive sizes, returned as [rows, cols]. */
function matrixShape(info: TensorInfo, pattern: string): [number, number] {
  const [rows, cols] = info.shape;
  if (info.shape.length !== 2 || rows === undefined || cols === undefined || rows === 0 || cols === 0) {
    throw new ModelLayoutError(
      'inconsistent-shapes',
      `${info.name} has shape ${formatShape(info.shape)} but a matrix ${pattern} with positive sizes is expected`,
      info.name,
    );
  }
  return [rows, cols];
}

function expectShape(info: TensorInfo, expected: readonly number[], explanation: string): void {
  const matches =
    info.shape.length === expected.length && info.shape.every((size, i) => size === expected[i]);
  if (!matches) {
    throw new ModelLayoutError(
      'inconsistent-shapes',
      `${info.name} has shape ${formatShape(info.shape)} but ${formatShape(expected)} is expected (${explanation})`,
      info.name,
    );
  }
}

function requireLayoutKeys(
  file: SafetensorsHeader,
  layout: string,
  fixed: readonly string[],
  hasLayers: boolean,
  firstLayerName: string,
): void {
  const missing = fixed.filter((name) => !file.tensors.has(name));
  if (!hasLayers) missing.push(firstLayerName);
  if (missing.length > 0) {
    throw new ModelLayoutError(
      'unknown-layout',
      `the tensor names look like the ${layout} layout but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing.\n${describeKeys(file)}`,
    );
  }
}

/** A tensor the layout has no place for (a bias, a norm weight) would change the maths if ignored. */
function rejectUnusedKeys(file: SafetensorsHeader, layout: string, used: readonly string[]): void {
  const usedSet = new Set(used);
  const unused = [...file.tensors.keys()].filter((name) => !usedSet.has(name));
  if (unused.length > 0) {
    const shown = unused.slice(0, LISTED_KEYS).join(', ');
    const more = unused.length > LISTED_KEYS ? ` and ${unused.length - LISTED_KEYS} more` : '';
    throw new ModelLayoutError(
      'unknown-layout',
      `the file has tensors the ${layout} layout does not use (biases and norm weights are not part of it): ${shown}${more}.\n${describeKeys(file)}`,
      unused[0],
    );
  }
}

function describeKeys(file: SafetensorsHeader): string {
  const infos = [...file.tensors.values()];
  const listed = infos
    .slice(0, LISTED_KEYS)
    .map((info) => `  ${info.name} ${formatShape(info.shape)} ${info.dtype}`);
  if (infos.length > LISTED_KEYS) listed.push(`  … and ${infos.length - LISTED_KEYS} more`);
  const found =
    infos.length === 0 ? 'Found no tensors.' : `Found ${infos.length} tensors:\n${listed.join('\n')}`;
  return `${found}\nExpected one of:\n${EXPECTED_LAYOUTS.map((layout) => `  ${layout}`).join('\n')}`;
}
