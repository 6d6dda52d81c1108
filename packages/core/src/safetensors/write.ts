import { DTYPE_BITS } from './dtypes.js';
import { SafetensorsError } from './errors.js';
import { formatShape, MAX_HEADER_BYTES } from './read.js';

export type WritableDtype = 'F32' | 'F64';

export interface TensorToWrite {
  name: string;
  dtype: WritableDtype;
  shape: readonly number[];
  /** Row-major values; NaN and ±Infinity are written as they are. */
  data: ArrayLike<number>;
}

/**
 * Serialises tensors the way the reference implementation does: compact JSON header padded with
 * spaces to a multiple of 8 bytes (so the buffer is 8-byte aligned), "__metadata__" first, tensors
 * ordered by dtype size (largest first, which keeps every tensor aligned) then by name, so equal
 * inputs give identical bytes.
 */
export function writeSafetensors(
  tensors: readonly TensorToWrite[],
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  checkMetadata(metadata);
  const seen = new Set<string>();
  for (const tensor of tensors) {
    checkTensor(tensor);
    if (seen.has(tensor.name)) {
      throw new SafetensorsError('invalid-header', `tensor "${tensor.name}" is given twice`, tensor.name);
    }
    seen.add(tensor.name);
  }

  const ordered = [...tensors].sort(
    (a, b) => DTYPE_BITS[b.dtype] - DTYPE_BITS[a.dtype] || compareCodeUnits(a.name, b.name),
  );

  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  let offset = 0;
  for (const tensor of ordered) {
    const byteLength = tensor.data.length * bytesPerElement(tensor.dtype);
    // defineProperty keeps a tensor named "__proto__" an ordinary key.
    Object.defineProperty(header, tensor.name, {
      value: { dtype: tensor.dtype, shape: [...tensor.shape], data_offsets: [offset, offset + byteLength] },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    offset += byteLength;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > MAX_HEADER_BYTES) {
    throw new SafetensorsError(
      'header-too-large',
      `header would be ${headerLength} bytes, over the ${MAX_HEADER_BYTES}-byte limit`,
    );
  }
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);

  let position = 8 + headerLength;
  for (const tensor of ordered) {
    const { data } = tensor;
    if (tensor.dtype === 'F64') {
      for (let i = 0; i < data.length; i++, position += 8) view.setFloat64(position, data[i] as number, true);
    } else {
      for (let i = 0; i < data.length; i++, position += 4) view.setFloat32(position, data[i] as number, true);
    }
  }
  return out;
}

function bytesPerElement(dtype: WritableDtype): number {
  return DTYPE_BITS[dtype] / 8;
}

function checkTensor(tensor: TensorToWrite): void {
  const { name, dtype, shape, data } = tensor;
  if (typeof name !== 'string' || name.length === 0 || name === '__metadata__') {
    throw new SafetensorsError('invalid-header', `tensor name ${JSON.stringify(name)} is not allowed`, name);
  }
  if ((dtype as string) !== 'F32' && (dtype as string) !== 'F64') {
    throw new SafetensorsError(
      'unsupported-dtype-for-write',
      `tensor "${name}": cannot write dtype ${JSON.stringify(dtype)}; the writer supports F32 and F64 (convert F16/BF16 data to F32, which holds it exactly)`,
      name,
    );
  }
  if (!Array.isArray(shape) || !shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
    throw new SafetensorsError(
      'invalid-header',
      `tensor "${name}": shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`,
      name,
    );
  }
  const elementCount = shape.reduce((count, size) => count * size, 1);
  if (elementCount !== data.length) {
    throw new SafetensorsError(
      'shape-mismatch',
      `tensor "${name}": shape ${formatShape(shape)} holds ${elementCount} values but ${data.length} were given`,
      name,
    );
  }
  if (dtype === 'F32') {
    // A finite float64 beyond float32's range would silently become ±Infinity.
    for (let i = 0; i < data.length; i++) {
      const value = data[i] as number;
      if (Number.isFinite(value) && !Number.isFinite(Math.fround(value))) {
        throw new SafetensorsError(
          'non-finite',
          `tensor "${name}": value ${value} at element ${i} overflows F32; write it as F64`,
          name,
        );
      }
    }
  }
}

function checkMetadata(metadata: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw new SafetensorsError(
        'invalid-header',
        `metadata "${key}" must be a string, got ${typeof value}; the format allows only string values`,
      );
    }
  }
}

/** Plain code-unit order, independent of locale (localeCompare is not). */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
