// Eigenvector payloads: JSON with float32 values written as their shortest round-tripping decimal,
// and .npy (format 1.0) files that numpy.load reads.

/** The shortest decimal that reads back as the same float32 (never more than 9 digits). */
export function float32Decimal(value: number): string {
  if (value === 0) return '0';
  for (let digits = 6; digits < 9; digits++) {
    const text = value.toPrecision(digits);
    if (Math.fround(Number(text)) === value) return String(Number(text));
  }
  return String(Number(value.toPrecision(9)));
}

/** Rows of float32 values as a JSON array of arrays. */
export function float32RowsJson(values: Float32Array, rows: number, columns: number): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const row: string[] = new Array(columns);
    for (let c = 0; c < columns; c++) row[c] = float32Decimal(values[r * columns + c] as number);
    out.push(`[${row.join(',')}]`);
  }
  return `[${out.join(',')}]`;
}

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00]);
/** numpy aligns the data to 64 bytes (magic, version, header length and header together). */
const NPY_ALIGNMENT = 64;

/** A .npy file (v1.0, little-endian float32, C order) holding a rows × columns matrix. */
export function encodeNpyFloat32(values: Float32Array, rows: number, columns: number): Buffer {
  if (values.length !== rows * columns) {
    throw new RangeError(`encodeNpyFloat32: ${values.length} values do not make ${rows} × ${columns}`);
  }
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${columns}), }`;
  const unpadded = NPY_MAGIC.length + 2 + dict.length + 1;
  const padding = (NPY_ALIGNMENT - (unpadded % NPY_ALIGNMENT)) % NPY_ALIGNMENT;
  const header = `${dict}${' '.repeat(padding)}\n`;
  const length = Buffer.alloc(2);
  length.writeUInt16LE(header.length, 0);
  return Buffer.concat([
    NPY_MAGIC,
    length,
    Buffer.from(header, 'latin1'),
    Buffer.from(values.buffer, values.byteOffset, values.byteLength),
  ]);
}
