// An HF model folder for the bilinear transformer: config.json and model.safetensors with the
// reference code's keys (what `bilinear lm eval`, core's importModel and PyTorch's
// load_state_dict(strict=True) on make_lm.py's module read). The caller writes the files (and
// tokenizer.json beside them when a tokenizer was used).
import {
  languageModelConfigFromJson,
  parseSafetensors,
  type TensorToWrite,
  writeSafetensors,
} from '@bilinear-lab/core';
import { CheckpointError } from '../checkpoint/errors.js';
import { float32Tensors, readFloat32 } from '../checkpoint/tensors.js';
import type { NamedArray } from '../model/parameters.js';
import {
  headDim,
  inverseFrequencies,
  type LanguageModelShape,
  languageModelConfigJson,
  languageModelParameterShapes,
  languageModelShapeOf,
} from './model-shape.js';

export const MODEL_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';
export const TOKENIZER_FILE = 'tokenizer.json';

export interface LanguageModelFolderFiles {
  /** config.json, indented, ending with a newline. */
  configJson: string;
  /** model.safetensors: F32 tensors, the parameters and each layer's rotary inv_freq buffer. */
  safetensors: Uint8Array;
}

export interface ReadLanguageModel {
  shape: LanguageModelShape;
  /** Reference layout, in languageModelParameterShapes order. */
  parameters: NamedArray[];
  /** The rotary buffer as stored (layer 0's), or the formula's when the file has none. */
  inverseFrequencies: Float32Array;
}

/** The folder's files for a model's parameters (reference layout, any order). */
export function languageModelFolderFiles(
  shape: LanguageModelShape,
  parameters: readonly NamedArray[],
): LanguageModelFolderFiles {
  const config = languageModelConfigJson(shape);
  const weights = float32Tensors(parameters, languageModelParameterShapes(shape), 'parameters');
  const frequencies = inverseFrequencies(shape);
  const buffers: TensorToWrite[] = Array.from({ length: shape.layers }, (_, i) => ({
    name: `transformer.h.${i}.attn.rotary.inv_freq`,
    dtype: 'F32',
    shape: [frequencies.length],
    data: frequencies,
  }));
  return {
    configJson: `${JSON.stringify(config, null, 2)}\n`,
    // {"format": "pt"} as PyTorch's safetensors writer marks its files.
    safetensors: writeSafetensors([...weights, ...buffers], { format: 'pt' }),
  };
}

/**
 * A folder's model back: the shape from config.json (read by the core's reader, so every caller
 * interprets it alike), the parameters from model.safetensors bit for bit. Throws ModelConfigError,
 * LanguageModelShapeError or CheckpointError naming what is wrong.
 */
export function readLanguageModelFolderFiles(safetensors: Uint8Array, configJson: string): ReadLanguageModel {
  const shape = languageModelShapeOf(languageModelConfigFromJson(configJson));
  const file = parseSafetensors(safetensors);
  const parameters = languageModelParameterShapes(shape).map(({ name, shape: [rows, cols] }) => {
    const info = file.tensors.get(name);
    if (info !== undefined && (info.shape.length !== 2 || info.shape[0] !== rows || info.shape[1] !== cols)) {
      throw new CheckpointError(
        'wrong-shape',
        `tensor "${name}" has shape [${info.shape.join(', ')}]; config.json gives [${rows}, ${cols}]`,
        name,
      );
    }
    const { values } = readFloat32(file, name);
    return { name, shape: [rows, cols] as [number, number], values };
  });
  const bufferName = 'transformer.h.0.attn.rotary.inv_freq';
  let frequencies = inverseFrequencies(shape);
  if (file.tensors.has(bufferName)) {
    const stored = readFloat32(file, bufferName).values;
    if (stored.length !== headDim(shape) / 2) {
      throw new CheckpointError(
        'wrong-shape',
        `tensor "${bufferName}" has ${stored.length} values; d_head ${headDim(shape)} needs ${headDim(shape) / 2}`,
        bufferName,
      );
    }
    frequencies = stored;
  }
  return { shape, parameters, inverseFrequencies: frequencies };
}
