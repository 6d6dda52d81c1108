/** Every dtype the safetensors format names, with its size in bits (the 4- and 6-bit floats pack). */
export const DTYPE_BITS = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
} as const;

export type Dtype = keyof typeof DTYPE_BITS;

/** The dtypes decodeTensor widens to float64. */
export type DecodableDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'BOOL'
  | 'U8'
  | 'I8'
  | 'U16'
  | 'I16'
  | 'U32'
  | 'I32'
  | 'U64'
  | 'I64';

const DECODABLE = new Set<Dtype>([
  'F64',
  'F32',
  'F16',
  'BF16',
  'BOOL',
  'U8',
  'I8',
  'U16',
  'I16',
  'U32',
  'I32',
  'U64',
  'I64',
]);

export function isDtype(value: string): value is Dtype {
  return Object.hasOwn(DTYPE_BITS, value);
}

export function isDecodableDtype(dtype: Dtype): dtype is DecodableDtype {
  return DECODABLE.has(dtype);
}

/** IEEE 754 binary16 bits → the number they denote, exactly (every half is a float64). */
export function float16BitsToNumber(bits: number): number {
  const negative = (bits & 0x8000) !== 0;
  const exponent = (bits >>> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  let magnitude: number;
  if (exponent === 0) {
    // Subnormal (or zero): fraction · 2^-24, no implicit leading bit.
    magnitude = fraction * 2 ** -24;
  } else if (exponent === 0x1f) {
    if (fraction !== 0) return Number.NaN;
    magnitude = Number.POSITIVE_INFINITY;
  } else {
    magnitude = (0x400 + fraction) * 2 ** (exponent - 25);
  }
  return negative ? -magnitude : magnitude;
}

// bfloat16 is the top half of a float32, so reinterpreting through a float32 is exact by definition.
// Both views share the host's byte order, so this is endianness-independent.
const scratchBits = new Uint32Array(1);
const scratchFloat = new Float32Array(scratchBits.buffer);

/** bfloat16 bits → the number they denote, exactly. */
export function bfloat16BitsToNumber(bits: number): number {
  scratchBits[0] = (bits & 0xffff) << 16;
  return scratchFloat[0] as number;
}
