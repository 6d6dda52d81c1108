// TopK sparse autoencoders in the official layout (tdooms/bilinear-decomposition src/sae/sae.py):
// w_enc.weight [F, d] (+ optional w_enc.bias [F]), w_dec.weight [d, F] with unit columns, b_dec [d];
// encode = top-k of w_enc(x − b_dec) (no ReLU), decode = w_dec h + b_dec. The config.json beside the
// weights says k, the layer and the hook point.
import { decodeTensor, formatShape, type SafetensorsFile } from '../safetensors/read.js';
import { describeValue, jsonObject, ModelConfigError } from './config.js';
import { matrix } from './matrix.js';
import type { Matrix } from './types.js';

/** Where in a layer the SAE reads: the normalised MLP input, the MLP output, or the residual stream. */
export type HookPoint = 'mlp-in' | 'mlp-out' | 'resid-pre' | 'resid-mid' | 'resid-post';
export const HOOK_POINTS: readonly HookPoint[] = [
  'mlp-in',
  'mlp-out',
  'resid-pre',
  'resid-mid',
  'resid-post',
];

export interface SparseAutoencoder {
  features: number;
  modelDim: number;
  /** Active features per input; null when no config says. */
  k: number | null;
  layer: number | null;
  point: HookPoint | null;
  /** w_enc.weight [F, d]: row f is feature f's encoder direction. */
  encoder: Matrix;
  encoderBias: Float64Array | null;
  /** w_dec.weight [d, F]: column f is feature f's decoder direction. */
  decoder: Matrix;
  decoderBias: Float64Array;
}

export interface SaeImportOptions {
  /** The SAE's config.json (text or parsed): k, layer, point, sizes. */
  config?: unknown;
  configName?: string;
}

const SAE_KEYS = new Set(['w_enc.weight', 'w_enc.bias', 'w_dec.weight', 'b_dec']);

/** Reads an SAE file; shapes and config are checked against each other (ModelConfigError naming what). */
export function importSparseAutoencoder(
  file: SafetensorsFile,
  options: SaeImportOptions = {},
): SparseAutoencoder {
  const fail = (what: string, tensor?: string): never => {
    throw new ModelConfigError('wrong-shape', `sparse autoencoder: ${what}`, tensor);
  };
  const unknown = [...file.tensors.keys()].filter((name) => !SAE_KEYS.has(name));
  if (unknown.length > 0) {
    throw new ModelConfigError(
      'unexpected-tensor',
      `sparse autoencoder: ${unknown.slice(0, 5).join(', ')} ${unknown.length === 1 ? 'has' : 'have'} no place in the TopK SAE layout (w_enc.weight [F, d], optional w_enc.bias [F], w_dec.weight [d, F], b_dec [d])`,
      unknown[0],
    );
  }
  const shape = (name: string): readonly number[] => {
    const info = file.tensors.get(name);
    if (info === undefined) {
      throw new ModelConfigError(
        'missing-tensor',
        `sparse autoencoder: ${name} is missing (the TopK SAE layout: w_enc.weight [F, d], w_dec.weight [d, F], b_dec [d])`,
        name,
      );
    }
    return info.shape;
  };
  const encoderShape = shape('w_enc.weight');
  const [features, modelDim] = encoderShape;
  if (encoderShape.length !== 2 || !features || !modelDim) {
    return fail(`w_enc.weight has shape ${formatShape(encoderShape)}, expected [F, d]`, 'w_enc.weight');
  }
  const decoderShape = shape('w_dec.weight');
  if (decoderShape.length !== 2 || decoderShape[0] !== modelDim || decoderShape[1] !== features) {
    fail(
      `w_dec.weight has shape ${formatShape(decoderShape)}, expected [${modelDim}, ${features}] from w_enc.weight`,
      'w_dec.weight',
    );
  }
  const biasShape = shape('b_dec');
  if (biasShape.length !== 1 || biasShape[0] !== modelDim) {
    fail(`b_dec has shape ${formatShape(biasShape)}, expected [${modelDim}]`, 'b_dec');
  }
  if (file.tensors.has('w_enc.bias')) {
    const encoderBias = shape('w_enc.bias');
    if (encoderBias.length !== 1 || encoderBias[0] !== features) {
      fail(`w_enc.bias has shape ${formatShape(encoderBias)}, expected [${features}]`, 'w_enc.bias');
    }
  }
  const config =
    options.config === undefined ? null : saeConfig(options.config, options.configName ?? 'config.json');
  if (config !== null) {
    const said = [
      ['d_model', config.modelDim, modelDim],
      ['n_features', config.features, features],
    ] as const;
    for (const [key, value, found] of said) {
      if (value !== null && value !== found) {
        fail(
          `${options.configName ?? 'config.json'} says ${key} = ${value}, but w_enc.weight [F, d] gives ${found}`,
        );
      }
    }
  }
  return {
    features,
    modelDim,
    k: config?.k ?? null,
    layer: config?.layer ?? null,
    point: config?.point ?? null,
    encoder: matrix(features, modelDim, decodeTensor(file, 'w_enc.weight')),
    encoderBias: file.tensors.has('w_enc.bias') ? decodeTensor(file, 'w_enc.bias') : null,
    decoder: matrix(modelDim, features, decodeTensor(file, 'w_dec.weight')),
    decoderBias: decodeTensor(file, 'b_dec'),
  };
}

interface SaeConfig {
  modelDim: number | null;
  features: number | null;
  k: number | null;
  layer: number | null;
  point: HookPoint | null;
}

function saeConfig(json: unknown, where: string): SaeConfig {
  const fail = (what: string): never => {
    throw new ModelConfigError('invalid-config', `${where}: ${what}`);
  };
  const value = jsonObject(json, fail);
  const count = (key: string, min: number): number | null => {
    const field = value[key];
    if (field === undefined || field === null) return null;
    if (typeof field !== 'number' || !Number.isSafeInteger(field) || field < min) {
      return fail(`"${key}" must be an integer ≥ ${min}, got ${describeValue(field)}`);
    }
    return field;
  };
  const point = value.point ?? null;
  if (point !== null && !(HOOK_POINTS as readonly unknown[]).includes(point)) {
    fail(`"point" must be one of ${HOOK_POINTS.join(', ')}, got ${describeValue(point)}`);
  }
  return {
    modelDim: count('d_model', 1),
    features: count('n_features', 1),
    k: count('k', 1),
    layer: count('layer', 0),
    point: point as HookPoint | null,
  };
}

/** Feature f's encoder direction w_enc[f] (length d): the output direction of an mlp-out feature. */
export function saeEncoderRow(sae: SparseAutoencoder, feature: number): Float64Array {
  return sae.encoder.data.slice(feature * sae.modelDim, (feature + 1) * sae.modelDim);
}

/**
 * The SAE's code for x: the k largest of w_enc (x − b_dec) (+ w_enc.bias), the rest 0 (TopK, no
 * ReLU, as the reference). Without a known k every pre-activation is kept.
 */
export function encodeSparse(sae: SparseAutoencoder, x: ArrayLike<number>): Float64Array {
  const { features, modelDim } = sae;
  const centred = new Float64Array(modelDim);
  for (let i = 0; i < modelDim; i++) centred[i] = (x[i] as number) - (sae.decoderBias[i] as number);
  const pre = new Float64Array(features);
  for (let f = 0; f < features; f++) {
    let sum = sae.encoderBias ? (sae.encoderBias[f] as number) : 0;
    for (let i = 0; i < modelDim; i++)
      sum += (sae.encoder.data[f * modelDim + i] as number) * (centred[i] as number);
    pre[f] = sum;
  }
  const k = sae.k ?? features;
  if (k >= features) return pre;
  const order = Array.from({ length: features }, (_, f) => f).sort(
    (a, b) => (pre[b] as number) - (pre[a] as number),
  );
  const code = new Float64Array(features);
  for (const f of order.slice(0, k)) code[f] = pre[f] as number;
  return code;
}
