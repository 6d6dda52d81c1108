import { seededRandom } from '@bilinear-lab/core';
import * as tf from '@tensorflow/tfjs-core';
import type { NetworkParameters, NetworkShape } from './network.js';

/** A parameter (or gradient, or optimiser moment) as a flat float32 array with its matrix shape. */
export interface NamedArray {
  name: string;
  shape: [number, number];
  values: Float32Array;
}

/**
 * The network's parameters in compute layout (see NetworkParameters), in a fixed order:
 * `embed` [in, d], then `blocks.{i}.left` and `blocks.{i}.right` [d_in, d], then `head` [d, out].
 */
export function parameterShapes(shape: NetworkShape): { name: string; shape: [number, number] }[] {
  const d = shape.hiddenDim;
  const first = shape.embed ? d : shape.inputDim;
  const shapes: { name: string; shape: [number, number] }[] = [];
  if (shape.embed) shapes.push({ name: 'embed', shape: [shape.inputDim, d] });
  for (let i = 0; i < shape.layers; i++) {
    const fanIn = i === 0 ? first : d;
    shapes.push(
      { name: `blocks.${i}.left`, shape: [fanIn, d] },
      { name: `blocks.${i}.right`, shape: [fanIn, d] },
    );
  }
  shapes.push({ name: 'head', shape: [d, shape.outputDim] });
  return shapes;
}

/**
 * PyTorch's default nn.Linear initialisation, U(−1/√fan_in, 1/√fan_in), from a seeded generator in
 * JavaScript so the initial weights are the same on every backend.
 */
export function initialParameters(shape: NetworkShape, seed: number): NamedArray[] {
  const random = seededRandom(seed);
  return parameterShapes(shape).map(({ name, shape: [fanIn, fanOut] }) => {
    const bound = 1 / Math.sqrt(fanIn);
    const values = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < values.length; i++) values[i] = (2 * random() - 1) * bound;
    return { name, shape: [fanIn, fanOut], values };
  });
}

export function uploadParameters(shape: NetworkShape, params: readonly NamedArray[]): NetworkParameters {
  const byName = new Map(params.map((p) => [p.name, p]));
  const tensor = (name: string) => {
    const p = byName.get(name);
    if (!p) throw new Error(`parameter ${name} is missing`);
    return tf.tensor2d(p.values, p.shape);
  };
  return {
    embed: shape.embed ? tensor('embed') : null,
    left: Array.from({ length: shape.layers }, (_, i) => tensor(`blocks.${i}.left`)),
    right: Array.from({ length: shape.layers }, (_, i) => tensor(`blocks.${i}.right`)),
    head: tensor('head'),
  };
}

/** Tensors in the same order as parameterShapes. */
export function orderedTensors(shape: NetworkShape, params: NetworkParameters): tf.Tensor[] {
  return [
    ...(shape.embed && params.embed ? [params.embed] : []),
    ...params.left.flatMap((left, i) => [left, params.right[i] as tf.Tensor]),
    params.head,
  ];
}

/**
 * The PyTorch reference layout: `embed.weight` [d, in], `blocks.{i}.weight` [2d, d_in] (W rows, then
 * V rows), `head.weight` [out, d] — each the transpose of the compute layout.
 */
export function toReferenceLayout(shape: NetworkShape, params: readonly NamedArray[]): NamedArray[] {
  const byName = new Map(params.map((p) => [p.name, p]));
  const get = (name: string) => {
    const p = byName.get(name);
    if (!p) throw new Error(`parameter ${name} is missing`);
    return p;
  };
  const out: NamedArray[] = [];
  if (shape.embed) out.push(transposed('embed.weight', get('embed')));
  for (let i = 0; i < shape.layers; i++) {
    const left = transposed('', get(`blocks.${i}.left`));
    const right = transposed('', get(`blocks.${i}.right`));
    const values = new Float32Array(left.values.length * 2);
    values.set(left.values);
    values.set(right.values, left.values.length);
    out.push({ name: `blocks.${i}.weight`, shape: [left.shape[0] * 2, left.shape[1]], values });
  }
  out.push(transposed('head.weight', get('head')));
  return out;
}

/** The inverse of toReferenceLayout, checking every shape against the network's. */
export function fromReferenceLayout(shape: NetworkShape, tensors: readonly NamedArray[]): NamedArray[] {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const expected = parameterShapes(shape);
  const get = (name: string, rows: number, cols: number) => {
    const t = byName.get(name);
    if (!t) throw new Error(`tensor ${name} is missing (expected [${rows}, ${cols}])`);
    if (t.shape[0] !== rows || t.shape[1] !== cols) {
      throw new Error(`tensor ${name} has shape [${t.shape.join(', ')}], expected [${rows}, ${cols}]`);
    }
    return t;
  };
  const out: NamedArray[] = [];
  for (const {
    name,
    shape: [rows, cols],
  } of expected) {
    if (name === 'embed') out.push(transposed('embed', get('embed.weight', cols, rows)));
    else if (name === 'head') out.push(transposed('head', get('head.weight', cols, rows)));
    else {
      const [, index, half] = name.split('.') as [string, string, 'left' | 'right'];
      const block = get(`blocks.${index}.weight`, 2 * cols, rows);
      const size = rows * cols;
      const part: NamedArray = {
        name: '',
        shape: [cols, rows],
        values: block.values.slice(half === 'left' ? 0 : size, half === 'left' ? size : 2 * size),
      };
      out.push(transposed(name, part));
    }
  }
  return out;
}

function transposed(name: string, p: NamedArray): NamedArray {
  const [rows, cols] = p.shape;
  const values = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) values[j * rows + i] = p.values[i * cols + j] as number;
  return { name, shape: [cols, rows], values };
}
