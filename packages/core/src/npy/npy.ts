// NumPy's .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// a magic string, a version, a little-endian header length, a Python dict literal
// {'descr', 'fortran_order', 'shape'} padded so the data starts on a 64-byte boundary, then the data.
// Written here as v1.0 C-order little-endian float32/float64; read for those two dtypes.

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
/** numpy aligns the data to 64 bytes (magic, version, header length and header together). */
const ALIGNMENT = 64;

export class NpyError extends Error {
  override readonly name = 'NpyError';
}

export type NpyDtype = 'float32' | 'float64';

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** The values widened to float64 (exactly), C order. */
  data: Float64Array;
}

const DESCR: Record<NpyDtype, string> = { float32: '<f4', float64: '<f8' };

/** A .npy file (v1.0, little-endian, C order) holding `values` with this shape. */
export function encodeNpy(values: Float32Array | Float64Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((product, size) => product * size, 1);
  if (values.length !== count) {
    throw new RangeError(`encodeNpy: ${values.length} values do not fill shape (${shape.join(', ')})`);
  }
  const dtype: NpyDtype = values instanceof Float32Array ? 'float32' : 'float64';
  const head = npyHeader(dtype, shape);
  const start = head.length;
  const out = new Uint8Array(start + values.byteLength);
  out.set(head, 0);
  const view = new DataView(out.buffer, start);
  const width = dtype === 'float32' ? 4 : 8;
  for (let i = 0; i < values.length; i++) {
    if (width === 4) view.setFloat32(i * 4, values[i] as number, true);
    else view.setFloat64(i * 8, values[i] as number, true);
  }
  return out;
}

/**
 * What precedes the data of a .npy file of this dtype and shape (magic, version, header): the
 * values follow little-endian in C order. For writing a large array as a stream, row by row.
 */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${tuple}, }`;
  const unpadded = MAGIC.length + 4 + dict.length + 1;
  const header = `${dict}${' '.repeat((ALIGNMENT - (unpadded % ALIGNMENT)) % ALIGNMENT)}\n`;
  const out = new Uint8Array(MAGIC.length + 4 + header.length);
  out.set(MAGIC, 0);
  out.set([1, 0, header.length & 0xff, header.length >> 8], MAGIC.length);
  for (let i = 0; i < header.length; i++) out[MAGIC.length + 4 + i] = header.charCodeAt(i);
  return out;
}

/** Reads a .npy file of little-endian float32 or float64 in C order; NpyError says what is wrong. */
export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new NpyError('not a .npy file (it does not start with \\x93NUMPY)');
  }
  const major = bytes[6] as number;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyError('the .npy header is truncated');
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyError(`.npy version ${major}.${bytes[7]} is not one this reader knows (1, 2 or 3)`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length)
    throw new NpyError(`the .npy header says ${headerLength} bytes, the file is shorter`);
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, dataStart));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyError(`the .npy header is not a dict with descr, fortran_order and shape: ${header.trim()}`);
  }
  const dtype = (Object.keys(DESCR) as NpyDtype[]).find((key) => DESCR[key] === descr);
  if (dtype === undefined) {
    throw new NpyError(
      `.npy dtype ${descr} is not supported: save the array as float32 ('<f4') or float64 ('<f8')`,
    );
  }
  if (fortran === 'True')
    throw new NpyError('the .npy array is in Fortran order: save it with numpy.ascontiguousarray');
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(Number);
  if (shape.some((size) => !Number.isSafeInteger(size) || size < 0)) {
    throw new NpyError(`the .npy shape (${shapeText}) is not a tuple of sizes`);
  }
  const count = shape.reduce((product, size) => product * size, 1);
  const width = dtype === 'float32' ? 4 : 8;
  if (bytes.length - dataStart !== count * width) {
    throw new NpyError(
      `the .npy data has ${bytes.length - dataStart} bytes, shape (${shape.join(', ')}) of ${dtype} needs ${count * width}`,
    );
  }
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    data[i] =
      width === 4 ? view.getFloat32(dataStart + i * 4, true) : view.getFloat64(dataStart + i * 8, true);
  }
  return { dtype, shape, data };
}
