import { describe, expect, it } from 'vitest';
import { float32Column, float64Column, readFloat32Column, readFloat64Column } from './float-columns.js';

describe('float columns', () => {
  it('are little-endian IEEE values, read back bit for bit from any byte offset', () => {
    const values = [1, -2.5, Math.PI, 1e-300, -0];
    const bytes = float64Column(values);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
    const shifted = new Uint8Array(bytes.byteLength + 3);
    shifted.set(bytes, 3);
    expect(Array.from(readFloat64Column(shifted.subarray(3)))).toEqual(values);

    const single = float32Column(new Float64Array([0.1, -7]));
    expect(Array.from(readFloat32Column(single))).toEqual([Math.fround(0.1), -7]);
  });

  it('rejects a byte count that is not whole floats', () => {
    expect(() => readFloat64Column(new Uint8Array(12))).toThrow(/12 bytes, not a multiple of 8/);
  });
});
