import {
  bfloat16BitsToNumber,
  DTYPE_BITS,
  type Dtype,
  float16BitsToNumber,
  isDecodableDtype,
  isDtype,
} from './dtypes.js';
import { SafetensorsError } from './errors.js';

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: readonly number[];
  /** [begin, end) in bytes, relative to the start of the byte buffer that follows the header. */
  dataOffsets: readonly [number, number];
  elementCount: number;
  byteLength: number;
}

/** What a safetensors file says about itself: everything but the tensors' bytes. */
export interface SafetensorsHeader {
  /** Every tensor, in the order of its bytes in the file. */
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** Where the byte buffer starts within the file: 8 + the header length. */
  dataStart: number;
}

export interface SafetensorsFile extends SafetensorsHeader {
  /** The file as given to parseSafetensors (not copied; decoding reads from it). Nothing is decoded until asked. */
  bytes: Uint8Array;
}

export interface DecodeOptions {
  /** Decode NaN and ±Infinity instead of throwing 'non-finite'. */
  allowNonFinite?: boolean;
}

/** The reference implementation refuses larger headers; so do we, before decoding any of it. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

/**
 * Reads the header of a safetensors file and checks that the tensors tile the byte buffer exactly
 * (no overlaps, no holes, nothing past the end). Tensor data is decoded lazily by decodeTensor.
 */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  return { ...readSafetensorsHeader(bytes, bytes.length), bytes };
}

/**
 * How many bytes from the start of a file its header takes (8 + the length the prefix states), from
 * at least its first 8 bytes: what a reader of a stream must hold before readSafetensorsHeader.
 */
export function safetensorsHeaderBytes(prefix: Uint8Array): number {
  const headerLength = statedHeaderLength(prefix);
  checkHeaderLimit(headerLength);
  return 8 + headerLength;
}

/**
 * The header of a file of `fileLength` bytes from its first bytes (`head`, at least
 * safetensorsHeaderBytes of them): the same checks as parseSafetensors, the tiling against the
 * length the whole file has, so a file can be judged while it streams past.
 */
export function readSafetensorsHeader(head: Uint8Array, fileLength: number): SafetensorsHeader {
  const headerLength = statedHeaderLength(head);
  const available = fileLength - 8;
  if (headerLength > available) {
    throw new SafetensorsError(
      'header-too-large',
      `header length ${headerLength} runs past the end of the file (${available} bytes follow the 8-byte length prefix); the file is truncated or not safetensors`,
    );
  }
  checkHeaderLimit(headerLength);
  const headerEnd = 8 + headerLength;
  if (head.length < headerEnd) {
    throw new RangeError(`readSafetensorsHeader needs the first ${headerEnd} bytes, got ${head.length}`);
  }
  return headerOf(head, headerEnd, fileLength - headerEnd);
}

/**
 * The header from a file's first bytes while the rest is still to come, with the length the whole
 * file must have: the format allows no holes and no trailing bytes, so the header states it. A reader
 * of a stream checks that length when the stream ends (a shorter one was cut short).
 */
export function readSafetensorsHead(head: Uint8Array): { header: SafetensorsHeader; fileLength: number } {
  const headerEnd = safetensorsHeaderBytes(head);
  if (head.length < headerEnd) {
    throw new RangeError(`readSafetensorsHead needs the first ${headerEnd} bytes, got ${head.length}`);
  }
  const header = headerOf(head, headerEnd, null);
  // The tensors tile [0, last end) without holes or overlaps (checked), so the last end is the data's length.
  let dataLength = 0;
  for (const info of header.tensors.values()) dataLength = Math.max(dataLength, info.dataOffsets[1]);
  return { header, fileLength: headerEnd + dataLength };
}

/** The parsed header; its tensors tile `dataLength` bytes exactly (or, when null, bytes from 0 on without holes). */
function headerOf(head: Uint8Array, headerEnd: number, dataLength: number | null): SafetensorsHeader {
  const header = parseHeaderJson(head.subarray(8, headerEnd));
  let metadata: Record<string, string> = {};
  const infos: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(entry);
    else infos.push(parseTensorEntry(name, entry, dataLength ?? Number.POSITIVE_INFINITY));
  }

  infos.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  checkTiling(infos, dataLength ?? infos.at(-1)?.dataOffsets[1] ?? 0);

  return { tensors: new Map(infos.map((info) => [info.name, info])), metadata, dataStart: headerEnd };
}

/** The raw bytes of one tensor (a view into the file, not a copy). */
export function tensorBytes(file: SafetensorsFile, name: string): Uint8Array {
  const info = tensorInfo(file, name);
  const begin = file.dataStart + info.dataOffsets[0];
  return file.bytes.subarray(begin, begin + info.byteLength);
}

/**
 * Widens one tensor to float64, row-major: F64, F32, F16 and BF16 exactly, BOOL as 0/1, integers
 * exactly up to 2^53 (I64/U64 beyond that round to nearest). Throws 'non-finite' on the first NaN
 * or ±Infinity unless allowNonFinite is set.
 */
export function decodeTensor(file: SafetensorsFile, name: string, options: DecodeOptions = {}): Float64Array {
  const info = tensorInfo(file, name);
  const { dtype, elementCount: n } = info;
  if (!isDecodableDtype(dtype)) {
    throw new SafetensorsError(
      'unsupported-dtype-for-decode',
      `tensor "${name}": ${dtype} cannot be decoded to float64 (supported: F64, F32, F16, BF16, BOOL and integer types)`,
      name,
    );
  }
  const byteOffset = file.bytes.byteOffset + file.dataStart + info.dataOffsets[0];
  const buffer = file.bytes.buffer;
  const view = new DataView(buffer, byteOffset, info.byteLength);
  const out = new Float64Array(n);
  switch (dtype) {
    case 'F64':
      if (HOST_IS_LITTLE_ENDIAN) out.set(floatsAsStored(file, info) as Float64Array);
      else for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'F32':
      if (HOST_IS_LITTLE_ENDIAN) out.set(floatsAsStored(file, info) as Float32Array);
      else for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = float16BitsToNumber(view.getUint16(i * 2, true));
      break;
    case 'BF16':
      for (let i = 0; i < n; i++) out[i] = bfloat16BitsToNumber(view.getUint16(i * 2, true));
      break;
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i) === 0 ? 0 : 1;
      break;
    case 'U8':
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      break;
    case 'U16':
      for (let i = 0; i < n; i++) out[i] = view.getUint16(i * 2, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case 'U32':
      for (let i = 0; i < n; i++) out[i] = view.getUint32(i * 4, true);
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'U64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigUint64(i * 8, true));
      break;
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
  }
  if (!options.allowNonFinite) {
    const bad = firstNonFiniteIndex(out);
    if (bad >= 0) {
      throw new SafetensorsError(
        'non-finite',
        `tensor "${name}" (${dtype} ${formatShape(info.shape)}): element ${bad} at index ${formatShape(multiIndex(bad, info.shape))} is ${out[bad]}; pass { allowNonFinite: true } to decode it anyway`,
        name,
      );
    }
  }
  return out;
}

/**
 * One tensor's values as they are stored where that is a float array — F32 as a Float32Array, F64
 * as a Float64Array: views into the file's bytes when aligned, else one copy — and widened by
 * decodeTensor otherwise. Reading an F32 entry as a number is exact, so arithmetic on these gives
 * what it gives on decodeTensor's float64, without a second, twice as large array of fresh memory.
 * Non-finite values are kept as they are (decodeTensor is where they are rejected).
 */
export function storedFloatValues(file: SafetensorsFile, name: string): Float32Array | Float64Array {
  const info = tensorInfo(file, name);
  if (HOST_IS_LITTLE_ENDIAN && (info.dtype === 'F32' || info.dtype === 'F64'))
    return floatsAsStored(file, info);
  return decodeTensor(file, name, { allowNonFinite: true });
}

/** An F32 or F64 tensor's little-endian data as a typed array: in place when aligned, else a copy. */
function floatsAsStored(file: SafetensorsFile, info: TensorInfo): Float32Array | Float64Array {
  const size = info.dtype === 'F32' ? 4 : 8;
  const byteOffset = file.bytes.byteOffset + file.dataStart + info.dataOffsets[0];
  const at = aligned(file.bytes.buffer, byteOffset, info.byteLength, size);
  return size === 4
    ? new Float32Array(at.buffer, at.offset, info.elementCount)
    : new Float64Array(at.buffer, at.offset, info.elementCount);
}

/**
 * Where a typed array of this element size can view the bytes [offset, offset + length) of
 * `buffer`: in place when they are aligned, else in a copy. The header's length decides the data's
 * alignment and most writers leave it unaligned; one copy then beats reading element by element
 * through a DataView by an order of magnitude.
 */
function aligned(
  buffer: ArrayBufferLike,
  offset: number,
  length: number,
  elementSize: number,
): { buffer: ArrayBufferLike; offset: number } {
  if (offset % elementSize === 0) return { buffer, offset };
  return { buffer: new Uint8Array(buffer, offset, length).slice().buffer, offset: 0 };
}

/** Position of the first NaN or ±Infinity, or -1 when every value is finite. */
export function firstNonFiniteIndex(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** Row-major flat index → one index per dimension. */
export function multiIndex(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length).fill(0);
  let rest = flat;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const size = shape[axis] as number;
    index[axis] = rest % size;
    rest = Math.floor(rest / size);
  }
  return index;
}

/** `[128,64]`, the way the header writes shapes. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function tensorInfo(file: SafetensorsFile, name: string): TensorInfo {
  const info = file.tensors.get(name);
  if (info === undefined) {
    throw new SafetensorsError(
      'tensor-not-found',
      `no tensor "${name}" in the file (it has ${file.tensors.size}: ${[...file.tensors.keys()].slice(0, 10).join(', ')}${file.tensors.size > 10 ? ', …' : ''})`,
      name,
    );
  }
  return info;
}

/** The header length the 8-byte little-endian prefix states. */
function statedHeaderLength(prefix: Uint8Array): number {
  if (prefix.length < 8) {
    throw new SafetensorsError(
      'truncated',
      `file is ${prefix.length} bytes long; a safetensors file starts with an 8-byte header length`,
    );
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  // u64 as two u32 halves: exact up to 2^53, and anything near that is refused by checkHeaderLimit.
  return view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
}

function checkHeaderLimit(headerLength: number): void {
  if (headerLength > MAX_HEADER_BYTES) {
    throw new SafetensorsError(
      'header-too-large',
      `header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit of the format`,
    );
  }
}

function parseHeaderJson(headerBytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError('invalid-json', 'header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    const preview = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    throw new SafetensorsError(
      'invalid-json',
      `header is not valid JSON (${(error as Error).message}); it starts ${JSON.stringify(preview)}`,
    );
  }
  if (!isPlainObject(header)) {
    throw new SafetensorsError(
      'invalid-header',
      `header must be a JSON object of tensor entries, got ${describeJson(header)}`,
    );
  }
  return header;
}

function parseMetadata(entry: unknown): Record<string, string> {
  if (!isPlainObject(entry)) {
    throw new SafetensorsError(
      'invalid-header',
      `"${METADATA_KEY}" must be an object of strings, got ${describeJson(entry)}`,
    );
  }
  for (const [key, value] of Object.entries(entry)) {
    if (typeof value !== 'string') {
      throw new SafetensorsError(
        'invalid-header',
        `"${METADATA_KEY}"."${key}" must be a string, got ${describeJson(value)}`,
      );
    }
  }
  // fromEntries defines own properties, so a "__proto__" key stays data rather than a prototype.
  return Object.fromEntries(Object.entries(entry as Record<string, string>));
}

function parseTensorEntry(name: string, entry: unknown, dataLength: number): TensorInfo {
  const where = `tensor "${name}"`;
  const invalid = (what: string) => new SafetensorsError('invalid-header', `${where}: ${what}`, name);
  if (!isPlainObject(entry))
    throw invalid(`entry must be an object with dtype, shape and data_offsets, got ${describeJson(entry)}`);
  const { dtype, shape, data_offsets: offsets } = entry;

  if (typeof dtype !== 'string') throw invalid(`dtype must be a string, got ${describeJson(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw invalid(`shape must be an array of non-negative integers, got ${describeJson(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
    throw invalid(
      `data_offsets must be [begin, end] with non-negative integers, got ${describeJson(offsets)}`,
    );
  }
  if (!isDtype(dtype)) {
    throw new SafetensorsError(
      'unknown-dtype',
      `${where}: unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_BITS).join(', ')})`,
      name,
    );
  }

  const [begin, end] = offsets as [number, number];
  if (begin > end) {
    throw new SafetensorsError(
      'offsets-out-of-range',
      `${where}: data_offsets [${begin}, ${end}] run backwards`,
      name,
    );
  }
  if (end > dataLength) {
    throw new SafetensorsError(
      'offsets-out-of-range',
      `${where}: data_offsets [${begin}, ${end}] end past the ${dataLength}-byte buffer after the header (is the file truncated?)`,
      name,
    );
  }

  const elementCount = shape.reduce((count: number, size: number) => count * size, 1);
  const bits = elementCount * DTYPE_BITS[dtype];
  const byteLength = end - begin;
  if (bits !== byteLength * 8) {
    const needs = bits % 8 === 0 ? `${bits / 8} bytes` : `${bits} bits (not a whole number of bytes)`;
    throw new SafetensorsError(
      'shape-mismatch',
      `${where}: shape ${formatShape(shape)} of ${dtype} needs ${needs} but data_offsets [${begin}, ${end}] give ${byteLength}`,
      name,
    );
  }
  return { name, dtype, shape: shape.slice(), dataOffsets: [begin, end], elementCount, byteLength };
}

/** The format requires the tensors, sorted by offset, to cover [0, dataLength) exactly. */
function checkTiling(sorted: readonly TensorInfo[], dataLength: number): void {
  let covered = 0;
  let previous: TensorInfo | undefined;
  for (const info of sorted) {
    const [begin, end] = info.dataOffsets;
    if (previous !== undefined && begin < covered) {
      const [pBegin, pEnd] = previous.dataOffsets;
      throw new SafetensorsError(
        'offsets-overlap',
        `tensor "${info.name}": data_offsets [${begin}, ${end}] overlap those of "${previous.name}" [${pBegin}, ${pEnd}]`,
        info.name,
      );
    }
    if (begin > covered) {
      throw new SafetensorsError(
        'offsets-gap',
        `tensor "${info.name}": data_offsets [${begin}, ${end}] leave bytes [${covered}, ${begin}) of the buffer unused; the format allows no holes`,
        info.name,
      );
    }
    covered = end;
    previous = info;
  }
  if (covered !== dataLength) {
    throw new SafetensorsError(
      'offsets-gap',
      `${dataLength - covered} bytes after the last tensor's data (buffer bytes [${covered}, ${dataLength})) belong to no tensor; the format allows no trailing data`,
    );
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function describeJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
