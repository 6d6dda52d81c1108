// The forward pass of a model file, written apart from the code the decomposition uses. It reads
// the tensors by their reference names straight from the file, takes gate and residual from the
// file's own configuration, and shares no arithmetic with import.ts, matrix.ts or forward.ts. The
// exactness check compares Σ λ (vᵀx)² (+ the linear term) against it, so a model the decomposition
// misread shows up as a large error instead of agreeing with itself.
import { decodeTensor, type SafetensorsFile } from '../safetensors/read.js';
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

/** A [rows, cols] tensor of the file in float64. */
interface Weight {
  rows: number;
  cols: number;
  values: Float64Array;
}

function weight(file: SafetensorsFile, name: string): Weight {
  const info = file.tensors.get(name);
  if (info === undefined || info.shape.length !== 2) {
    throw new RangeError(`reference forward: the file has no matrix "${name}"`);
  }
  return { rows: info.shape[0] as number, cols: info.shape[1] as number, values: decodeTensor(file, name) };
}

/** y = A x accumulated column by column (the model code goes row by row). */
function apply(a: Weight, x: Float64Array): Float64Array {
  const y = new Float64Array(a.rows);
  for (let j = 0; j < a.cols; j++) {
    const xj = x[j] as number;
    for (let i = 0; i < a.rows; i++) y[i] = (y[i] as number) + (a.values[i * a.cols + j] as number) * xj;
  }
  return y;
}

/** One block of the stacked [2h, n] weight: act(top half · x) ⊙ (bottom half · x). */
function gatedProduct(stacked: Weight, x: Float64Array, gate: Gate): Float64Array {
  const both = apply(stacked, x);
  const h = stacked.rows / 2;
  const act = gateActivation(gate);
  const out = new Float64Array(h);
  for (let k = 0; k < h; k++) out[k] = act(both[k] as number) * (both[h + k] as number);
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
      const out = new Float64Array(count * head.rows);
      for (let s = 0; s < count; s++) {
        let x = apply(embed, inputs.subarray(s * embed.cols, (s + 1) * embed.cols));
        for (const block of blocks) {
          const g = gatedProduct(block, x, gate);
          if (residual) for (let i = 0; i < g.length; i++) g[i] = (g[i] as number) + (x[i] as number);
          x = g;
        }
        out.set(apply(head, x), s * head.rows);
      }
      return out;
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
      for (let s = 0; s < count; s++) {
        const y = apply(p, gatedProduct(w, inputs.slice(s * d, (s + 1) * d), gate));
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
