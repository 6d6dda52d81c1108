import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bfloat16BitsToNumber, DTYPE_BITS, float16BitsToNumber } from './dtypes.js';
import { SafetensorsError, type SafetensorsErrorCode } from './errors.js';
import { decodeTensor, multiIndex, parseSafetensors, storedFloatValues, tensorBytes } from './read.js';

const FIXTURE = new URL('../../../../../shared/fixtures/torch_mnist_d64.safetensors', import.meta.url);

/** A file from a header (object or raw JSON text) and a data buffer, with an optional forged length. */
function craft(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  const view = new DataView(out.buffer);
  const length = headerLength ?? json.length;
  view.setUint32(0, length % 2 ** 32, true);
  view.setUint32(4, Math.floor(length / 2 ** 32), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function u16Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  for (const [i, v] of values.entries()) view.setUint16(i * 2, v, true);
  return out;
}

function expectError(
  action: () => unknown,
  code: SafetensorsErrorCode,
  message?: RegExp | string,
): SafetensorsError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SafetensorsError);
  const error = caught as SafetensorsError;
  expect(error.code).toBe(code);
  if (message !== undefined) expect(error.message).toMatch(message);
  return error;
}

function decodeOne(dtype: string, shape: number[], data: Uint8Array, allowNonFinite = false): Float64Array {
  const file = parseSafetensors(craft({ t: { dtype, shape, data_offsets: [0, data.length] } }, data));
  return decodeTensor(file, 't', { allowNonFinite });
}

describe('float16BitsToNumber', () => {
  it('decodes hand-computed halves', () => {
    expect(float16BitsToNumber(0x3c00)).toBe(1);
    expect(float16BitsToNumber(0xc000)).toBe(-2);
    expect(float16BitsToNumber(0x3800)).toBe(0.5);
    expect(float16BitsToNumber(0x3555)).toBe(0.333251953125);
    expect(float16BitsToNumber(0x7bff)).toBe(65504);
    expect(float16BitsToNumber(0x0400)).toBe(2 ** -14); // smallest normal
    expect(float16BitsToNumber(0x0001)).toBe(2 ** -24); // smallest subnormal
    expect(float16BitsToNumber(0x03ff)).toBe(1023 / 2 ** 24); // largest subnormal
    expect(float16BitsToNumber(0x8001)).toBe(-(2 ** -24));
    expect(Object.is(float16BitsToNumber(0x0000), 0)).toBe(true);
    expect(Object.is(float16BitsToNumber(0x8000), -0)).toBe(true);
    expect(float16BitsToNumber(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(float16BitsToNumber(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(float16BitsToNumber(0x7e00)).toBeNaN();
    expect(float16BitsToNumber(0xfc01)).toBeNaN();
  });

  it('agrees on all 65536 patterns with re-biasing the bits into a float32', () => {
    const bits = new Uint32Array(1);
    const asFloat = new Float32Array(bits.buffer);
    for (let h = 0; h < 0x10000; h++) {
      const sign = (h & 0x8000) << 16;
      const exponent = (h >>> 10) & 0x1f;
      const fraction = h & 0x3ff;
      let expected: number;
      if (exponent === 0x1f) {
        bits[0] = sign | 0x7f800000 | (fraction << 13);
        expected = asFloat[0] as number;
      } else if (exponent === 0) {
        // Subnormals: exact division by a power of two.
        expected = (sign ? -fraction : fraction) / 16777216;
        if (fraction === 0) expected = sign ? -0 : 0;
      } else {
        bits[0] = sign | ((exponent - 15 + 127) << 23) | (fraction << 13);
        expected = asFloat[0] as number;
      }
      const actual = float16BitsToNumber(h);
      if (Number.isNaN(expected)) expect(actual).toBeNaN();
      else if (!Object.is(actual, expected)) expect.fail(`0x${h.toString(16)}: ${actual} ≠ ${expected}`);
    }
  });
});

describe('bfloat16BitsToNumber', () => {
  it('decodes hand-computed bfloat16s', () => {
    expect(bfloat16BitsToNumber(0x3f80)).toBe(1);
    expect(bfloat16BitsToNumber(0xc000)).toBe(-2);
    expect(bfloat16BitsToNumber(0x3e80)).toBe(0.25);
    expect(bfloat16BitsToNumber(0x4049)).toBe(3.140625);
    expect(bfloat16BitsToNumber(0x7f7f)).toBe(255 * 2 ** 120); // largest finite: (1 + 127/128) · 2^127
    expect(bfloat16BitsToNumber(0x0080)).toBe(2 ** -126); // smallest normal
    expect(bfloat16BitsToNumber(0x0001)).toBe(2 ** -133); // smallest subnormal
    expect(Object.is(bfloat16BitsToNumber(0x8000), -0)).toBe(true);
    expect(bfloat16BitsToNumber(0x7f80)).toBe(Number.POSITIVE_INFINITY);
    expect(bfloat16BitsToNumber(0xff80)).toBe(Number.NEGATIVE_INFINITY);
    expect(bfloat16BitsToNumber(0x7fc0)).toBeNaN();
  });

  it('agrees on all 65536 patterns with sign · mantissa · 2^exponent arithmetic', () => {
    for (let b = 0; b < 0x10000; b++) {
      const negative = (b & 0x8000) !== 0;
      const exponent = (b >>> 7) & 0xff;
      const fraction = b & 0x7f;
      let magnitude: number;
      if (exponent === 0xff) magnitude = fraction === 0 ? Number.POSITIVE_INFINITY : Number.NaN;
      else if (exponent === 0) magnitude = fraction * 2 ** -133;
      else magnitude = (128 + fraction) * 2 ** (exponent - 134);
      const expected = negative ? -magnitude : magnitude;
      const actual = bfloat16BitsToNumber(b);
      if (Number.isNaN(expected)) expect(actual).toBeNaN();
      else if (!Object.is(actual, expected)) expect.fail(`0x${b.toString(16)}: ${actual} ≠ ${expected}`);
    }
  });
});

describe('parseSafetensors', () => {
  it('reads metadata and tensor entries, ordered by offset, without decoding', () => {
    const data = new Uint8Array(4 * 6 + 2 * 2);
    const file = parseSafetensors(
      craft(
        {
          __metadata__: { format: 'pt', note: 'hi' },
          z_first: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
          a_second: { dtype: 'BF16', shape: [2], data_offsets: [24, 28] },
        },
        data,
      ),
    );
    expect(file.metadata).toEqual({ format: 'pt', note: 'hi' });
    expect([...file.tensors.keys()]).toEqual(['z_first', 'a_second']);
    expect(file.tensors.get('z_first')).toEqual({
      name: 'z_first',
      dtype: 'F32',
      shape: [2, 3],
      dataOffsets: [0, 24],
      elementCount: 6,
      byteLength: 24,
    });
    expect(file.tensors.get('a_second')?.dataOffsets).toEqual([24, 28]);
  });

  it('lists every dtype of the format with its size, including ones it cannot decode', () => {
    const entries: [string, number[]][] = [
      ['BOOL', [3]],
      ['U8', [3]],
      ['I8', [3]],
      ['I16', [3]],
      ['U16', [3]],
      ['I32', [3]],
      ['U32', [3]],
      ['I64', [3]],
      ['U64', [3]],
      ['F8_E4M3', [3]],
      ['F8_E5M2', [3]],
      ['C64', [3]],
      ['F4', [4]],
      ['F6_E2M3', [4]],
    ];
    const header: Record<string, unknown> = {};
    let offset = 0;
    for (const [dtype, shape] of entries) {
      const bytes = ((shape[0] as number) * DTYPE_BITS[dtype as keyof typeof DTYPE_BITS]) / 8;
      header[`t_${dtype}`] = { dtype, shape, data_offsets: [offset, offset + bytes] };
      offset += bytes;
    }
    const file = parseSafetensors(craft(header, new Uint8Array(offset)));
    expect(file.tensors.size).toBe(entries.length);
    expect(file.tensors.get('t_I64')?.byteLength).toBe(24);
    expect(file.tensors.get('t_F4')?.byteLength).toBe(2);
    expect(file.tensors.get('t_F6_E2M3')?.byteLength).toBe(3);
    expectError(
      () => decodeTensor(file, 't_C64'),
      'unsupported-dtype-for-decode',
      /"t_C64": C64 cannot be decoded/,
    );
  });

  it('accepts an empty file, scalars and zero-size tensors', () => {
    expect(parseSafetensors(craft({})).tensors.size).toBe(0);
    const data = new Uint8Array(8);
    new DataView(data.buffer).setFloat64(0, -1.5, true);
    const file = parseSafetensors(
      craft(
        {
          empty: { dtype: 'F32', shape: [0, 5], data_offsets: [0, 0] },
          scalar: { dtype: 'F64', shape: [], data_offsets: [0, 8] },
        },
        data,
      ),
    );
    expect(decodeTensor(file, 'empty')).toEqual(new Float64Array(0));
    expect(decodeTensor(file, 'scalar')).toEqual(new Float64Array([-1.5]));
  });

  it('ignores the space padding after the JSON', () => {
    const file = parseSafetensors(
      craft('{"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}     ', new Uint8Array([7])),
    );
    expect(decodeTensor(file, 't')).toEqual(new Float64Array([7]));
  });

  it('keeps a "__proto__" metadata key as data', () => {
    const file = parseSafetensors(craft('{"__metadata__":{"__proto__":"x"}}'));
    expect(Object.getPrototypeOf(file.metadata)).toBe(Object.prototype);
    expect(Object.keys(file.metadata)).toEqual(['__proto__']);
  });
});

describe('decodeTensor', () => {
  it('widens F16 and BF16 data', () => {
    expect(decodeOne('F16', [4], u16Bytes([0x3c00, 0xc000, 0x7bff, 0x0001]))).toEqual(
      new Float64Array([1, -2, 65504, 2 ** -24]),
    );
    expect(decodeOne('BF16', [2, 2], u16Bytes([0x3f80, 0xc000, 0x3e80, 0x0001]))).toEqual(
      new Float64Array([1, -2, 0.25, 2 ** -133]),
    );
  });

  it('widens F32 and F64 exactly, aligned or not', () => {
    const f32 = new Float32Array([1.5, -0.1, 3.4028234663852886e38, 1e-45]);
    const f64 = new Float64Array([Math.PI, -Number.MIN_VALUE, Number.MAX_VALUE]);
    const data = new Uint8Array(16 + 24);
    data.set(new Uint8Array(f32.buffer), 0);
    data.set(new Uint8Array(f64.buffer), 16);
    const file = craft(
      {
        a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
        b: { dtype: 'F64', shape: [3], data_offsets: [16, 40] },
      },
      data,
    );
    for (const shift of [0, 1, 3]) {
      // The same file at an odd position in a larger buffer exercises the unaligned path.
      const host = new Uint8Array(file.length + shift);
      host.set(file, shift);
      const parsed = parseSafetensors(host.subarray(shift));
      expect(decodeTensor(parsed, 'a')).toEqual(Float64Array.from(f32));
      expect(decodeTensor(parsed, 'b')).toEqual(f64);
    }
  });

  it('storedFloatValues: F32 and F64 as stored, in place when aligned, the same numbers; other dtypes widened', () => {
    const f32 = new Float32Array([1.5, -0.1, 3.4028234663852886e38, Number.NaN]);
    const f64 = new Float64Array([Math.PI, -Number.MIN_VALUE, Number.POSITIVE_INFINITY]);
    const data = new Uint8Array(16 + 24 + 4);
    data.set(new Uint8Array(f32.buffer), 0);
    data.set(new Uint8Array(f64.buffer), 16);
    data.set(u16Bytes([0x3c00, 0xc000]), 40);
    // An 8-byte header keeps the data 8-aligned in the file.
    const header = {
      a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
      b: { dtype: 'F64', shape: [3], data_offsets: [16, 40] },
      c: { dtype: 'F16', shape: [2], data_offsets: [40, 44] },
    };
    const text = JSON.stringify(header);
    const file = craft(text.padEnd(Math.ceil(text.length / 8) * 8, ' '), data);
    for (const shift of [0, 8, 1, 3]) {
      const host = new Uint8Array(file.length + shift);
      host.set(file, shift);
      const parsed = parseSafetensors(host.subarray(shift));
      const a = storedFloatValues(parsed, 'a');
      const b = storedFloatValues(parsed, 'b');
      expect(a).toBeInstanceOf(Float32Array);
      expect(b).toBeInstanceOf(Float64Array);
      // Non-finite values kept: rejecting them is decodeTensor's part.
      expect(Array.from(a)).toEqual(Array.from(decodeTensor(parsed, 'a', { allowNonFinite: true })));
      expect(b).toEqual(decodeTensor(parsed, 'b', { allowNonFinite: true }));
      expect(a.buffer === host.buffer).toBe(shift % 4 === 0);
      expect(b.buffer === host.buffer).toBe(shift % 8 === 0);
      expect(storedFloatValues(parsed, 'c')).toEqual(new Float64Array([1, -2]));
    }
  });

  it('widens integer and boolean data', () => {
    const i8 = new Int8Array([-128, 0, 127]);
    expect(decodeOne('I8', [3], new Uint8Array(i8.buffer))).toEqual(new Float64Array([-128, 0, 127]));
    expect(decodeOne('U8', [3], new Uint8Array([0, 1, 255]))).toEqual(new Float64Array([0, 1, 255]));
    expect(decodeOne('BOOL', [3], new Uint8Array([0, 1, 2]))).toEqual(new Float64Array([0, 1, 1]));
    const i16 = new Int16Array([-32768, 32767]);
    expect(decodeOne('I16', [2], new Uint8Array(i16.buffer))).toEqual(new Float64Array([-32768, 32767]));
    expect(decodeOne('U16', [1], u16Bytes([65535]))).toEqual(new Float64Array([65535]));
    const i32 = new Int32Array([-(2 ** 31), 2 ** 31 - 1]);
    expect(decodeOne('I32', [2], new Uint8Array(i32.buffer))).toEqual(
      new Float64Array([-(2 ** 31), 2 ** 31 - 1]),
    );
    const u32 = new Uint32Array([2 ** 32 - 1]);
    expect(decodeOne('U32', [1], new Uint8Array(u32.buffer))).toEqual(new Float64Array([2 ** 32 - 1]));
    const i64 = new BigInt64Array([-(2n ** 53n), 42n]);
    expect(decodeOne('I64', [2], new Uint8Array(i64.buffer))).toEqual(new Float64Array([-(2 ** 53), 42]));
    const u64 = new BigUint64Array([2n ** 64n - 1n]);
    expect(decodeOne('U64', [1], new Uint8Array(u64.buffer))).toEqual(new Float64Array([2 ** 64]));
  });

  it('throws non-finite with the tensor, the flat index and the multi-index', () => {
    const values = new Float32Array([0, 1, 2, 3, 4, Number.NaN]);
    const bytes = new Uint8Array(values.buffer);
    const file = parseSafetensors(
      craft({ 'blocks.0.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] } }, bytes),
    );
    const error = expectError(
      () => decodeTensor(file, 'blocks.0.weight'),
      'non-finite',
      'tensor "blocks.0.weight" (F32 [2,3]): element 5 at index [1,2] is NaN',
    );
    expect(error.tensor).toBe('blocks.0.weight');
    expect(decodeTensor(file, 'blocks.0.weight', { allowNonFinite: true })[5]).toBeNaN();
    expectError(
      () => decodeOne('F16', [3], u16Bytes([0, 0xfc00, 0x7c00])),
      'non-finite',
      /element 1 at index \[1\] is -Infinity/,
    );
    expectError(() => decodeOne('BF16', [1], u16Bytes([0x7f80])), 'non-finite', /is Infinity/);
  });

  it('throws tensor-not-found for a missing name', () => {
    const file = parseSafetensors(
      craft({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
    );
    expectError(() => decodeTensor(file, 'b'), 'tensor-not-found', 'no tensor "b" in the file (it has 1: a)');
  });

  it("gives a tensor's raw bytes as a view", () => {
    const file = parseSafetensors(
      craft(
        {
          a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] },
          b: { dtype: 'U8', shape: [1], data_offsets: [2, 3] },
        },
        new Uint8Array([5, 6, 7]),
      ),
    );
    expect([...tensorBytes(file, 'b')]).toEqual([7]);
    expect(tensorBytes(file, 'a').buffer).toBe(file.bytes.buffer);
  });
});

describe('multiIndex', () => {
  it('unravels row-major flat indices', () => {
    expect(multiIndex(0, [2, 3, 4])).toEqual([0, 0, 0]);
    expect(multiIndex(23, [2, 3, 4])).toEqual([1, 2, 3]);
    expect(multiIndex(13, [2, 3, 4])).toEqual([1, 0, 1]);
    expect(multiIndex(0, [])).toEqual([]);
  });
});

describe('malformed files', () => {
  const f32 = (shape: number[], offsets: [number, number]) => ({
    dtype: 'F32',
    shape,
    data_offsets: offsets,
  });

  it('truncated: fewer than 8 bytes', () => {
    expectError(() => parseSafetensors(new Uint8Array(5)), 'truncated', /5 bytes long/);
  });

  it('header-too-large: a length past the end of the file, however huge', () => {
    expectError(
      () => parseSafetensors(craft({}, new Uint8Array(0), 1000)),
      'header-too-large',
      /header length 1000/,
    );
    const huge = new Uint8Array(16).fill(0xff);
    expectError(() => parseSafetensors(huge), 'header-too-large', /runs past the end of the file \(8 bytes/);
  });

  it('invalid-json: broken JSON or bytes that are not UTF-8', () => {
    expectError(() => parseSafetensors(craft('{"a": ')), 'invalid-json', /not valid JSON/);
    const file = craft('{}  ');
    file[9] = 0xff;
    expectError(() => parseSafetensors(file), 'invalid-json', /not valid UTF-8/);
  });

  it('invalid-header: wrong structure', () => {
    const cases: [unknown, RegExp][] = [
      [[1, 2], /must be a JSON object/],
      [{ t: 3 }, /tensor "t": entry must be an object/],
      [{ t: { shape: [1], data_offsets: [0, 4] } }, /tensor "t": dtype must be a string/],
      [{ t: { dtype: 'F32', data_offsets: [0, 4] } }, /tensor "t": shape must be an array/],
      [{ t: f32([-1], [0, 4]) }, /shape must be an array of non-negative integers, got \[-1\]/],
      [{ t: f32([1.5], [0, 4]) }, /shape/],
      [{ t: f32(['2'] as unknown as number[], [0, 4]) }, /shape/],
      [{ t: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, /data_offsets must be \[begin, end\]/],
      [{ t: { dtype: 'F32', shape: [1] } }, /data_offsets/],
      [{ __metadata__: { a: 1 } }, /"__metadata__"."a" must be a string, got 1/],
      [{ __metadata__: ['x'] }, /"__metadata__" must be an object of strings/],
    ];
    for (const [header, message] of cases) {
      expectError(() => parseSafetensors(craft(header, new Uint8Array(4))), 'invalid-header', message);
    }
  });

  it('unknown-dtype', () => {
    const error = expectError(
      () =>
        parseSafetensors(
          craft({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16)),
        ),
      'unknown-dtype',
      /tensor "w": unknown dtype "F128" \(known: BOOL, U8/,
    );
    expect(error.tensor).toBe('w');
  });

  it('shape-mismatch: says what the shape needs and what the offsets give', () => {
    expectError(
      () => parseSafetensors(craft({ 'blocks.0.weight': f32([128, 64], [0, 100]) }, new Uint8Array(100))),
      'shape-mismatch',
      'tensor "blocks.0.weight": shape [128,64] of F32 needs 32768 bytes but data_offsets [0, 100] give 100',
    );
    expectError(
      () =>
        parseSafetensors(craft({ p: { dtype: 'F4', shape: [3], data_offsets: [0, 2] } }, new Uint8Array(2))),
      'shape-mismatch',
      /needs 12 bits \(not a whole number of bytes\)/,
    );
  });

  it('offsets-out-of-range: past the buffer, or running backwards', () => {
    expectError(
      () => parseSafetensors(craft({ t: f32([4], [0, 16]) }, new Uint8Array(8))),
      'offsets-out-of-range',
      'tensor "t": data_offsets [0, 16] end past the 8-byte buffer after the header (is the file truncated?)',
    );
    expectError(
      () => parseSafetensors(craft({ t: f32([1], [8, 4]) }, new Uint8Array(8))),
      'offsets-out-of-range',
      /run backwards/,
    );
  });

  it('offsets-overlap', () => {
    const error = expectError(
      () => parseSafetensors(craft({ a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, new Uint8Array(12))),
      'offsets-overlap',
      'tensor "b": data_offsets [4, 12] overlap those of "a" [0, 8]',
    );
    expect(error.tensor).toBe('b');
    // Two tensors on exactly the same bytes.
    expectError(
      () => parseSafetensors(craft({ a: f32([2], [0, 8]), b: f32([2], [0, 8]) }, new Uint8Array(8))),
      'offsets-overlap',
    );
  });

  it('offsets-gap: holes before, between or after the tensors', () => {
    expectError(
      () => parseSafetensors(craft({ a: f32([1], [4, 8]) }, new Uint8Array(8))),
      'offsets-gap',
      /leave bytes \[0, 4\) of the buffer unused/,
    );
    expectError(
      () => parseSafetensors(craft({ a: f32([1], [0, 4]), b: f32([1], [8, 12]) }, new Uint8Array(12))),
      'offsets-gap',
      /tensor "b"/,
    );
    expectError(
      () => parseSafetensors(craft({ a: f32([1], [0, 4]) }, new Uint8Array(10))),
      'offsets-gap',
      /6 bytes after the last tensor's data/,
    );
  });
});

describe.skipIf(!existsSync(FIXTURE))(
  'the PyTorch MNIST fixture (skipped: ../shared/fixtures is absent here)',
  () => {
    // Read lazily: a skipped describe's body still runs while tests are collected.
    let parsed: ReturnType<typeof parseSafetensors> | undefined;
    const fixture = () => {
      parsed ??= parseSafetensors(new Uint8Array(readFileSync(FIXTURE)));
      return parsed;
    };

    it('has the reference layout', () => {
      expect(fixture().dataStart).toBe(8 + 264);
      expect(fixture().metadata).toEqual({});
      const summary = [...fixture().tensors.values()].map(({ name, dtype, shape }) => ({
        name,
        dtype,
        shape,
      }));
      expect(summary).toEqual([
        { name: 'embed.weight', dtype: 'F32', shape: [64, 784] },
        { name: 'blocks.0.weight', dtype: 'F32', shape: [128, 64] },
        { name: 'head.weight', dtype: 'F32', shape: [10, 64] },
      ]);
    });

    it('decodes the values numpy reads', () => {
      // numpy.frombuffer(..., '<f4') entries, and float64 sums in row-major order.
      const embed = decodeTensor(fixture(), 'embed.weight');
      expect(embed[0]).toBe(-0.02970835193991661);
      expect(embed[63 * 784 + 783]).toBe(0.023371689021587372);
      expect(embed[10 * 784 + 400]).toBe(0.016898170113563538);
      expect(embed.reduce((sum, v) => sum + v, 0)).toBe(-23.50986633516459);
      const blocks = decodeTensor(fixture(), 'blocks.0.weight');
      expect(blocks[64 * 64]).toBe(-0.047284577041864395);
      expect(blocks.reduce((sum, v) => sum + v, 0)).toBe(-11.261564968554012);
      const head = decodeTensor(fixture(), 'head.weight');
      expect(head[9 * 64 + 63]).toBe(-0.08557950705289841);
      expect(head.reduce((sum, v) => sum + v, 0)).toBe(-1.0640763991541462);
    });
  },
);
