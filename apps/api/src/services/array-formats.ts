// Eigenvector payloads as JSON, float32 values written as their shortest round-tripping decimal
// (the .npy form comes from the core's encodeNpy).

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
