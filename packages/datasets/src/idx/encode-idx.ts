import type { IdxArray } from './parse-idx.js';

const TYPE_CODES = {
  ubyte: 0x08,
  int8: 0x09,
  int16: 0x0b,
  int32: 0x0c,
  float32: 0x0d,
  float64: 0x0e,
} as const;

/** Writes an IDX file (the inverse of parseIdx): header, big-endian dimensions, big-endian values. */
export function encodeIdx({ type, shape, data }: IdxArray): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new RangeError(
      `encodeIdx: shape ${shape.join('×')} holds ${count} values but data has ${data.length}`,
    );
  }
  const start = 4 + 4 * shape.length;
  const out = new Uint8Array(start + count * data.BYTES_PER_ELEMENT);
  const view = new DataView(out.buffer);
  out[2] = TYPE_CODES[type];
  out[3] = shape.length;
  for (const [d, size] of shape.entries()) view.setUint32(4 + 4 * d, size, false);
  for (let i = 0; i < count; i++) {
    const value = data[i] ?? 0;
    switch (type) {
      case 'ubyte':
        view.setUint8(start + i, value);
        break;
      case 'int8':
        view.setInt8(start + i, value);
        break;
      case 'int16':
        view.setInt16(start + 2 * i, value, false);
        break;
      case 'int32':
        view.setInt32(start + 4 * i, value, false);
        break;
      case 'float32':
        view.setFloat32(start + 4 * i, value, false);
        break;
      case 'float64':
        view.setFloat64(start + 8 * i, value, false);
        break;
    }
  }
  return out;
}
