import { describe, expect, it } from 'vitest';
import { DatasetError } from '../dataset-error.js';
import { encodeIdx } from './encode-idx.js';
import { type IdxArray, parseIdx } from './parse-idx.js';

function parseError(bytes: number[]): DatasetError {
  try {
    parseIdx(Uint8Array.from(bytes), '/data/some-file-idx3-ubyte');
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetError);
    return error as DatasetError;
  }
  throw new Error('expected parseIdx to throw');
}

describe('parseIdx', () => {
  it('reads a hand-written ubyte file: big-endian dimensions, row-major data', () => {
    // 0x0000 magic, 0x08 ubyte, 2 dims; dims 2 and 3 as big-endian u32.
    const bytes = Uint8Array.from([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 255]);
    const array = parseIdx(bytes, 'f');
    expect(array.type).toBe('ubyte');
    expect(array.shape).toEqual([2, 3]);
    expect(Array.from(array.data)).toEqual([1, 2, 3, 4, 5, 255]);
  });

  it('reads big-endian multi-byte values', () => {
    // int16 0x0102 = 258 and 0xfffe = -2; int32 0x00010000 = 65536; float32 0x3fc00000 = 1.5.
    expect(
      Array.from(parseIdx(Uint8Array.from([0, 0, 0x0b, 1, 0, 0, 0, 2, 1, 2, 0xff, 0xfe]), 'f').data),
    ).toEqual([258, -2]);
    expect(Array.from(parseIdx(Uint8Array.from([0, 0, 0x0c, 1, 0, 0, 0, 1, 0, 1, 0, 0]), 'f').data)).toEqual([
      65536,
    ]);
    expect(
      Array.from(parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0]), 'f').data),
    ).toEqual([1.5]);
    expect(Array.from(parseIdx(Uint8Array.from([0, 0, 0x09, 1, 0, 0, 0, 2, 0x7f, 0x80]), 'f').data)).toEqual([
      127, -128,
    ]);
  });

  it('round-trips every type through encodeIdx', () => {
    const arrays: IdxArray[] = [
      { type: 'ubyte', shape: [2, 2], data: Uint8Array.from([0, 1, 128, 255]) },
      { type: 'int8', shape: [3], data: Int8Array.from([-128, 0, 127]) },
      { type: 'int16', shape: [3], data: Int16Array.from([-32768, 1, 32767]) },
      { type: 'int32', shape: [1, 3], data: Int32Array.from([-(2 ** 31), 7, 2 ** 31 - 1]) },
      { type: 'float32', shape: [2], data: Float32Array.from([-0.25, 3.5e-8]) },
      { type: 'float64', shape: [2, 1, 1], data: Float64Array.from([Math.PI, -1e300]) },
      { type: 'ubyte', shape: [0, 28, 28], data: new Uint8Array(0) },
    ];
    for (const array of arrays) expect(parseIdx(encodeIdx(array), 'f')).toEqual(array);
  });

  it('refuses a file too short for its header', () => {
    const short = parseError([0, 0, 8]);
    expect(short.code).toBe('truncated');
    expect(short.message).toBe('some-file-idx3-ubyte: only 3 bytes, too short for an IDX header');
    expect(short.file).toBe('/data/some-file-idx3-ubyte');
    const dims = parseError([0, 0, 8, 3, 0, 0, 0, 1]);
    expect(dims.code).toBe('truncated');
    expect(dims.message).toMatch(/declares 3 dimensions \(16 header bytes\) but the file has only 8 bytes/);
  });

  it('refuses bad magic and unknown type codes', () => {
    const magic = parseError([1, 0, 8, 1, 0, 0, 0, 0]);
    expect(magic.code).toBe('bad-magic');
    expect(magic.message).toMatch(/starts with 0x01 0x00 where IDX has two zero bytes/);
    expect(parseError([0x1f, 0x8b, 8, 0]).message).toMatch(/looks gzipped/);
    const type = parseError([0, 0, 0x07, 1, 0, 0, 0, 0]);
    expect(type.code).toBe('bad-magic');
    expect(type.message).toMatch(/unknown IDX type code 0x07/);
  });

  it('checks the data length against the dimensions', () => {
    const short = parseError([0, 0, 0x0b, 1, 0, 0, 0, 3, 0, 1, 0, 2, 0]);
    expect(short.code).toBe('truncated');
    expect(short.message).toBe(
      'some-file-idx3-ubyte: dimensions 3 of int16 need 6 data bytes but the file has 5',
    );
    const long = parseError([0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3]);
    expect(long.code).toBe('trailing-data');
    expect(long.message).toMatch(/need 2 data bytes but the file has 3 \(1 extra\)/);
  });
});
