// The forward pass of a model file, written apart from the code the decomposition uses. It reads
// the tensors by their reference names straight from the file, takes gate and residual from the
// file's own configuration, and shares no arithmetic with import.ts, matrix.ts or forward.ts. The
// exactness check compares Σ λ (vᵀx)² (+ the linear term) against it, so a model the decomposition
// misread shows up as a large error instead of agreeing with itself.
import { type SafetensorsFile, storedFloatValues } from '../safetensors/read.js';
import type { Gate } from './config.js';
import { classifierFileConfig, languageModelFileConfig, type ModelConfigOptions } from './file-config.js';
import { gateActivation } from './gate.js';

export interface ClassifierReference {
  layout: 'image-classifier';
  inputDim: number;
  classes: number;
  /** Logits (count × classes) for `count` inputs stored row-major (count × inputDim). */
  logits(inputs: Float64Array, count: number): Float64Array;
}

export interface LanguageModelReference {
  layout: 'language-model';
  modelDim: number;
  /** lm_head.weight rows of these tokens, as read here (tokens × d). */
  unembeddingRows(tokens: readonly number[]): Float64Array;
  /**
   * u · mlp_layer(x) for each input x (count × d, the MLP's input) and each direction u (rows of
   * `directions`, m × d): count × m, row-major.
   */
  mlpAlong(layer: number, directions: Float64Array, inputs: Float64Array, count: number): Float64Array;
}

export type ReferenceForward = ClassifierReference | LanguageModelReference;

/** The file's own forward pass; `options` as for importModel (the config file, a declared residual). */
export function referenceForward(file: SafetensorsFile, options: ModelConfigOptions = {}): ReferenceForward {
  return file.tensors.has('embed.weight')
    ? classifierReference(file, options)
    : languageModelReference(file, options);
}

/** A [rows, cols] tensor of the file, its values as stored (read as numbers, exactly). */
interface Weight {
  rows: number;
  cols: number;
  values: Float32Array | Float64Array;
}

function weight(file: SafetensorsFile, name: string): Weight {
  const info = file.tensors.get(name);
  if (info === undefined || info.shape.length !== 2) {
    throw new RangeError(`reference forward: the file has no matrix "${name}"`);
  }
  return {
    rows: info.shape[0] as number,
    cols: info.shape[1] as number,
    values: storedFloatValues(file, name),
  };
}

/**
 * Y = A X for `count` inputs at once (rows of X; rows of Y), each output accumulated column by column
 * (the model code goes row by row). The columns go in bands of COLUMN_BAND, each band across every
 * row: an output's sum still runs over the columns in order, while the weights are read along their
 * rows rather than down their columns, one cache line per entry.
 */
function apply(a: Weight, xs: Float64Array, count: number): Float64Array {
  const { rows, cols, values } = a;
  const ys = new Float64Array(count * rows);
  for (let j0 = 0; j0 < cols; j0 += COLUMN_BAND) {
    const j1 = Math.min(cols, j0 + COLUMN_BAND);
    for (let i = 0; i < rows; i++) {
      const row = i * cols;
      for (let s = 0; s < count; s++) {
        const x = s * cols;
        let y = ys[s * rows + i] as number;
        for (let j = j0; j < j1; j++) y += (values[row + j] as number) * (xs[x + j] as number);
        ys[s * rows + i] = y;
      }
    }
  }
  return ys;
}

const COLUMN_BAND = 64;

/** One block of the stacked [2h, n] weight for `count` inputs: act(top half · x) ⊙ (bottom half · x). */
function gatedProduct(stacked: Weight, xs: Float64Array, count: number, gate: Gate): Float64Array {
  const both = apply(stacked, xs, count);
  const twice = stacked.rows;
  const h = twice / 2;
  const act = gateActivation(gate);
  const out = new Float64Array(count * h);
  for (let s = 0; s < count; s++) {
    for (let k = 0; k < h; k++) {
      out[s * h + k] = act(both[s * twice + k] as number) * (both[s * twice + h + k] as number);
    }
  }
  return out;
}

function classifierReference(file: SafetensorsFile, options: ModelConfigOptions): ClassifierReference {
  const embed = weight(file, 'embed.weight');
  const head = weight(file, 'head.weight');
  const blocks: Weight[] = [];
  while (file.tensors.has(`blocks.${blocks.length}.weight`))
    blocks.push(weight(file, `blocks.${blocks.length}.weight`));
  const { gate, residual } = classifierFileConfig(file, options, {
    inputDim: embed.cols,
    modelDim: embed.rows,
    blocks: blocks.length,
    classes: head.rows,
  });
  return {
    layout: 'image-classifier',
    inputDim: embed.cols,
    classes: head.rows,
    logits(inputs, count) {
      let x = apply(embed, inputs.subarray(0, count * embed.cols), count);
      for (const block of blocks) {
        const g = gatedProduct(block, x, count, gate);
        if (residual) for (let i = 0; i < g.length; i++) g[i] = (g[i] as number) + (x[i] as number);
        x = g;
      }
      return apply(head, x, count);
    },
  };
}

function languageModelReference(file: SafetensorsFile, options: ModelConfigOptions): LanguageModelReference {
  const unembedding = weight(file, 'lm_head.weight');
  const d = unembedding.cols;
  let layers = 0;
  while (file.tensors.has(`transformer.h.${layers}.mlp.w.weight`)) layers++;
  const first = file.tensors.get('transformer.h.0.mlp.w.weight');
  const { gate } = languageModelFileConfig(file, options, {
    vocabSize: unembedding.rows,
    modelDim: d,
    hiddenDim: (first?.shape[0] ?? 0) / 2,
    layers,
  });
  return {
    layout: 'language-model',
    modelDim: d,
    unembeddingRows(tokens) {
      const rows = new Float64Array(tokens.length * d);
      tokens.forEach((token, j) => {
        rows.set(unembedding.values.subarray(token * d, (token + 1) * d), j * d);
      });
      return rows;
    },
    mlpAlong(layer, directions, inputs, count) {
      const w = weight(file, `transformer.h.${layer}.mlp.w.weight`);
      const p = weight(file, `transformer.h.${layer}.mlp.p.weight`);
      const m = directions.length / d;
      const out = new Float64Array(count * m);
      const ys = apply(p, gatedProduct(w, inputs.subarray(0, count * d), count, gate), count);
      for (let s = 0; s < count; s++) {
        const y = ys.subarray(s * d, (s + 1) * d);
        for (let j = 0; j < m; j++) {
          let dot = 0;
          for (let i = 0; i < d; i++) dot += (directions[j * d + i] as number) * (y[i] as number);
          out[s * m + j] = dot;
        }
      }
      return out;
    },
  };
}
