import { decodeTensor, listNames, type SafetensorsFile, type TensorToWrite } from '@bilinear-lab/core';
import type { NamedTensor } from '../optim/adamw.js';
import { CheckpointError } from './errors.js';

/** A tensor read back from a file: reference name, [rows, cols], row-major float32. */
export interface ReferenceTensor {
  name: string;
  shape: [number, number];
  values: Float32Array;
}

/** Widened exactly to float32 (F16, BF16) or stored as is (F32); F64 rounds to nearest. */
const FLOAT_DTYPES = new Set(['F32', 'F64', 'F16', 'BF16']);

/**
 * Decodes `name` to float32. F32 comes back bit for bit (through float64, which holds every float32
 * exactly, -0 included); NaN or ±Infinity throw core's SafetensorsError 'non-finite' naming the tensor.
 */
export function readFloat32(file: SafetensorsFile, name: string, label = name): ReferenceTensor {
  const info = file.tensors.get(name);
  if (info === undefined) throw new CheckpointError('missing-tensor', `tensor "${label}" is missing`, name);
  if (!FLOAT_DTYPES.has(info.dtype)) {
    throw new CheckpointError(
      'wrong-dtype',
      `tensor "${name}" is ${info.dtype}; weights must be F32 (or F64, F16, BF16, converted to float32)`,
      name,
    );
  }
  const wide = decodeTensor(file, name);
  const values = new Float32Array(wide);
  if (info.dtype === 'F64') {
    const bad = values.findIndex((value) => !Number.isFinite(value));
    if (bad >= 0) {
      throw new CheckpointError(
        'non-finite',
        `tensor "${name}": F64 value ${wide[bad]} at element ${bad} overflows float32`,
        name,
      );
    }
  }
  return { name, shape: [info.shape[0] as number, info.shape[1] as number], values };
}

/**
 * Tensors to write as F32 under `prefix + name`, after checking they are exactly `expected` (names,
 * element counts, shapes where given) and finite.
 */
export function float32Tensors(
  tensors: readonly NamedTensor[],
  expected: readonly { name: string; shape: readonly [number, number] }[],
  what: string,
  prefix = '',
): TensorToWrite[] {
  const byName = new Map<string, NamedTensor>();
  for (const tensor of tensors) {
    if (byName.has(tensor.name)) {
      throw new CheckpointError('invalid-input', `${what}: "${tensor.name}" is given twice`, tensor.name);
    }
    byName.set(tensor.name, tensor);
  }
  const known = new Set(expected.map(({ name }) => name));
  const unknown = tensors.find(({ name }) => !known.has(name));
  if (unknown !== undefined) {
    throw new CheckpointError(
      'invalid-input',
      `${what}: "${unknown.name}" has no place in the reference layout (expected ${listNames([...known])})`,
      unknown.name,
    );
  }
  return expected.map(({ name, shape }) => {
    const tensor = byName.get(name);
    if (tensor === undefined) {
      throw new CheckpointError('invalid-input', `${what}: "${name}" [${shape.join(', ')}] is missing`, name);
    }
    const count = shape[0] * shape[1];
    const given = tensor.shape;
    if (
      tensor.values.length !== count ||
      (given !== undefined && (given.length !== 2 || given[0] !== shape[0] || given[1] !== shape[1]))
    ) {
      const described =
        given === undefined ? `${tensor.values.length} values` : `shape [${given.join(', ')}]`;
      throw new CheckpointError(
        'invalid-input',
        `${what}: "${name}" has ${described}, the reference layout needs [${shape.join(', ')}] (${count} values)`,
        name,
      );
    }
    const bad = tensor.values.findIndex((value) => !Number.isFinite(value));
    if (bad >= 0) {
      throw new CheckpointError(
        'non-finite',
        `${what}: "${name}" is ${tensor.values[bad]} at index ${bad} ([${Math.floor(bad / shape[1])}, ${bad % shape[1]}])`,
        name,
      );
    }
    return { name: prefix + name, dtype: 'F32', shape: [...shape], data: tensor.values };
  });
}

/** Throws unless `value` survives JSON.stringify → JSON.parse unchanged (undefined object fields aside). */
export function checkJsonValue(value: unknown, path: string): void {
  const fail = (what: string): never => {
    throw new CheckpointError('invalid-input', `${path} ${what}; checkpoints store it as JSON`);
  };
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(`is ${value}`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (item === undefined) fail(`[${i}] is undefined`);
      checkJsonValue(item, `${path}[${i}]`);
    });
    return;
  }
  if (typeof value === 'object') {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      fail(`is a ${(value as object).constructor?.name ?? 'class instance'}, not a plain object`);
    }
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) checkJsonValue(item, `${path}.${key}`);
    }
    return;
  }
  fail(`is a ${typeof value}`);
}
