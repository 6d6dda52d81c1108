// The IDX format (LeCun's MNIST files): two zero bytes, a type code, a dimension count, one big-endian
// u32 per dimension, then the values row-major, multi-byte ones big-endian.
import { basename } from 'node:path';
import { DatasetError, type DatasetErrorCode } from '../dataset-error.js';

export type IdxType = 'ubyte' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  type: IdxType;
  shape: number[];
  /** product(shape) values in native byte order. */
  data: IdxData;
}

const IDX_TYPES: ReadonlyMap<number, { type: IdxType; bytes: number }> = new Map([
  [0x08, { type: 'ubyte', bytes: 1 }],
  [0x09, { type: 'int8', bytes: 1 }],
  [0x0b, { type: 'int16', bytes: 2 }],
  [0x0c, { type: 'int32', bytes: 4 }],
  [0x0d, { type: 'float32', bytes: 4 }],
  [0x0e, { type: 'float64', bytes: 8 }],
]);

/** A DatasetError whose message starts with the file's base name. */
export function fileError(code: DatasetErrorCode, file: string, problem: string): DatasetError {
  return new DatasetError(code, `${basename(file)}: ${problem}`, file);
}

/** What an IDX header declares: the element type, the shape, and where and how long the data is. */
export interface IdxHeader {
  type: IdxType;
  shape: number[];
  /** Bytes of the header (4 + 4 × rank); the data starts here. */
  dataStart: number;
  /** product(shape) × the element size: the data bytes the header promises. */
  dataBytes: number;
}

/** The longest possible header: 4 bytes, then 255 dimensions of 4 bytes. */
export const IDX_MAX_HEADER_BYTES = 4 + 4 * 255;

/**
 * Reads the header at the start of `bytes` (a whole file or just its first bytes). Throws a DatasetError
 * naming `file` when the magic is wrong or the bytes end inside the header.
 */
export function parseIdxHeader(bytes: Uint8Array, file: string): IdxHeader {
  if (bytes.length < 4) {
    throw fileError('truncated', file, `only ${bytes.length} bytes, too short for an IDX header`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
    throw fileError(
      'bad-magic',
      file,
      `not an IDX file: it starts with ${hex(bytes[0])} ${hex(bytes[1])} where IDX has two zero bytes` +
        (gzipped ? ' (it looks gzipped: name it with a .gz suffix)' : ''),
    );
  }
  const typeCode = bytes[2] ?? 0;
  const element = IDX_TYPES.get(typeCode);
  if (element === undefined) {
    throw fileError(
      'bad-magic',
      file,
      `unknown IDX type code ${hex(typeCode)} (expected 0x08 ubyte, 0x09 int8, 0x0b int16, 0x0c int32, ` +
        '0x0d float32 or 0x0e float64)',
    );
  }
  const rank = bytes[3] ?? 0;
  const dataStart = 4 + 4 * rank;
  if (bytes.length < dataStart) {
    throw fileError(
      'truncated',
      file,
      `the header declares ${rank} dimensions (${dataStart} header bytes) but the file has only ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < rank; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const count = shape.reduce((a, b) => a * b, 1);
  return { type: element.type, shape, dataStart, dataBytes: count * element.bytes };
}

/**
 * Parses an (already decompressed) IDX file. `file` is its path, used in error messages. A ubyte file's
 * data is a view into `bytes`; other types are decoded into new arrays.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const { type, shape, dataStart, dataBytes: expected } = parseIdxHeader(bytes, file);
  const actual = bytes.length - dataStart;
  if (actual < expected) {
    throw fileError(
      'truncated',
      file,
      `dimensions ${shape.join('×')} of ${type} need ${expected} data bytes but the file has ${actual}`,
    );
  }
  if (actual > expected) {
    throw fileError(
      'trailing-data',
      file,
      `dimensions ${shape.join('×')} of ${type} need ${expected} data bytes but the file has ${actual} ` +
        `(${actual - expected} extra)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = shape.reduce((a, b) => a * b, 1);
  return { type, shape, data: decode(view, dataStart, count, type) };
}

function decode(view: DataView, start: number, count: number, type: IdxType): IdxData {
  switch (type) {
    case 'ubyte':
      return new Uint8Array(view.buffer, view.byteOffset + start, count);
    case 'int8':
      return new Int8Array(view.buffer, view.byteOffset + start, count);
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(start + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(start + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(start + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(start + 8 * i, false);
      return out;
    }
  }
}

function hex(byte: number | undefined): string {
  return `0x${(byte ?? 0).toString(16).padStart(2, '0')}`;
}
