import { describe, expect, it } from 'vitest';
import { SafetensorsError, type SafetensorsErrorCode } from './errors.js';
import { decodeTensor, parseSafetensors } from './read.js';
import { type TensorToWrite, writeSafetensors } from './write.js';

/** Seeded xorshift so failures reproduce. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

function headerText(bytes: Uint8Array): string {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return new TextDecoder().decode(bytes.subarray(8, 8 + length));
}

function bitsOf(values: Float64Array): BigUint64Array {
  return new BigUint64Array(values.slice().buffer);
}

function expectError(action: () => unknown, code: SafetensorsErrorCode, message?: RegExp | string): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SafetensorsError);
  expect((caught as SafetensorsError).code).toBe(code);
  if (message !== undefined) expect((caught as SafetensorsError).message).toMatch(message);
}

describe('writeSafetensors', () => {
  it('round-trips F64 bit for bit, including -0, subnormals, extremes and infinities', () => {
    const next = random(7);
    const values = new Float64Array(1000);
    for (let i = 0; i < values.length; i++) values[i] = (next() - 0.5) * 10 ** Math.floor(next() * 40 - 20);
    values.set([-0, Number.MIN_VALUE, -Number.MAX_VALUE, 2 ** -1074 * 3, Number.POSITIVE_INFINITY], 0);
    const file = parseSafetensors(
      writeSafetensors([{ name: 'x', dtype: 'F64', shape: [10, 100], data: values }]),
    );
    const decoded = decodeTensor(file, 'x', { allowNonFinite: true });
    expect(bitsOf(decoded)).toEqual(bitsOf(values));
  });

  it('round-trips float32-representable values as F32 bit for bit, and rounds others to nearest', () => {
    const next = random(11);
    const exact = Float32Array.from(
      { length: 500 },
      () => (next() - 0.5) * 2 ** Math.floor(next() * 60 - 30),
    );
    exact.set([-0, 1e-45, 3.4028234663852886e38], 0);
    const file = parseSafetensors(
      writeSafetensors([
        { name: 'exact', dtype: 'F32', shape: [500], data: exact },
        { name: 'rounded', dtype: 'F32', shape: [3], data: [0.1, Math.PI, 1 / 3] },
      ]),
    );
    expect(bitsOf(decodeTensor(file, 'exact'))).toEqual(bitsOf(Float64Array.from(exact)));
    expect(decodeTensor(file, 'rounded')).toEqual(
      new Float64Array([Math.fround(0.1), Math.fround(Math.PI), Math.fround(1 / 3)]),
    );
  });

  it('writes NaN as given (callers decide whether to allow it)', () => {
    const file = parseSafetensors(
      writeSafetensors([{ name: 'x', dtype: 'F32', shape: [2], data: [1, Number.NaN] }]),
    );
    expectError(() => decodeTensor(file, 'x'), 'non-finite');
    expect(decodeTensor(file, 'x', { allowNonFinite: true })[1]).toBeNaN();
  });

  it('writes the reference byte layout: compact JSON padded with spaces to 8 bytes, metadata first', () => {
    const bytes = writeSafetensors([{ name: 'w', dtype: 'F32', shape: [2], data: [1, -2] }], {
      format: 'pt',
    });
    const json = '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
    expect(headerText(bytes)).toBe(padded);
    expect(new DataView(bytes.buffer).getBigUint64(0, true)).toBe(BigInt(padded.length));
    expect(bytes.length).toBe(8 + padded.length + 8);
    // 1.0f and -2.0f, little-endian.
    expect([...bytes.subarray(8 + padded.length)]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
  });

  it('keeps the data 8-byte aligned and orders tensors by dtype size, then name, whatever the input order', () => {
    const tensors: TensorToWrite[] = [
      { name: 'b', dtype: 'F32', shape: [3], data: [1, 2, 3] },
      { name: 'a', dtype: 'F32', shape: [1], data: [4] },
      { name: 'z', dtype: 'F64', shape: [1], data: [5] },
      { name: 'c', dtype: 'F64', shape: [2], data: [6, 7] },
    ];
    const bytes = writeSafetensors(tensors);
    expect(writeSafetensors([...tensors].reverse())).toEqual(bytes);
    const file = parseSafetensors(bytes);
    expect(file.dataStart % 8).toBe(0);
    expect([...file.tensors.keys()]).toEqual(['c', 'z', 'a', 'b']);
    for (const info of file.tensors.values()) {
      if (info.dtype === 'F64') expect(info.dataOffsets[0] % 8).toBe(0);
    }
    expect(decodeTensor(file, 'b')).toEqual(new Float64Array([1, 2, 3]));
  });

  it('writes an empty file and zero-size tensors', () => {
    const empty = writeSafetensors([]);
    expect(headerText(empty)).toBe('{}      ');
    expect(parseSafetensors(empty).tensors.size).toBe(0);
    const file = parseSafetensors(writeSafetensors([{ name: 'e', dtype: 'F32', shape: [0, 3], data: [] }]));
    expect(file.tensors.get('e')?.dataOffsets).toEqual([0, 0]);
  });

  it('round-trips metadata and unusual names', () => {
    // JSON.parse makes "__proto__" an own key, as it would arrive from a request body.
    const metadata = JSON.parse('{"format":"pt","ünïcode ✓":"value \\"quoted\\"","__proto__":"kept"}');
    expect(Object.keys(metadata)).toHaveLength(3);
    const bytes = writeSafetensors(
      [{ name: 'layer.0/ü "q"', dtype: 'F64', shape: [1], data: [1] }],
      metadata,
    );
    const file = parseSafetensors(bytes);
    expect(Object.entries(file.metadata)).toEqual(Object.entries(metadata));
    expect(decodeTensor(file, 'layer.0/ü "q"')).toEqual(new Float64Array([1]));
  });

  it('refuses F16, BF16 and unknown dtypes with unsupported-dtype-for-write', () => {
    for (const dtype of ['F16', 'BF16', 'Q4']) {
      const tensor = { name: 'h', dtype, shape: [1], data: [1] } as unknown as TensorToWrite;
      expectError(
        () => writeSafetensors([tensor]),
        'unsupported-dtype-for-write',
        `cannot write dtype "${dtype}"`,
      );
    }
  });

  it('refuses data that does not fill the shape', () => {
    expectError(
      () => writeSafetensors([{ name: 'w', dtype: 'F32', shape: [2, 3], data: [1, 2, 3, 4, 5] }]),
      'shape-mismatch',
      'tensor "w": shape [2,3] holds 6 values but 5 were given',
    );
  });

  it('refuses bad names, shapes and metadata', () => {
    const one = (name: string, shape: number[] = [1]): TensorToWrite => ({
      name,
      dtype: 'F32',
      shape,
      data: [0],
    });
    expectError(() => writeSafetensors([one('a'), one('a')]), 'invalid-header', /"a" is given twice/);
    expectError(() => writeSafetensors([one('__metadata__')]), 'invalid-header', /not allowed/);
    expectError(() => writeSafetensors([one('')]), 'invalid-header', /not allowed/);
    expectError(() => writeSafetensors([one('a', [-1])]), 'invalid-header', /non-negative integers/);
    expectError(() => writeSafetensors([one('a', [0.5, 2])]), 'invalid-header', /non-negative integers/);
    const badMetadata = { n: 3 } as unknown as Record<string, string>;
    expectError(() => writeSafetensors([], badMetadata), 'invalid-header', /metadata "n" must be a string/);
  });

  it('refuses finite values that would overflow F32 to infinity', () => {
    expectError(
      () => writeSafetensors([{ name: 'w', dtype: 'F32', shape: [2], data: [0, 1e39] }]),
      'non-finite',
      'tensor "w": value 1e+39 at element 1 overflows F32; write it as F64',
    );
  });
});
