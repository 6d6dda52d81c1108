import type { Matrix } from './types.js';

export function matrix(
  rows: number,
  cols: number,
  data: Float64Array = new Float64Array(rows * cols),
): Matrix {
  if (data.length !== rows * cols) {
    throw new RangeError(`matrix data has ${data.length} entries, expected ${rows}×${cols} = ${rows * cols}`);
  }
  return { rows, cols, data };
}

/** y = M x for a row-major M. */
export function multiplyVector(
  m: Matrix,
  x: ArrayLike<number>,
  out = new Float64Array(m.rows),
): Float64Array {
  const { rows, cols, data } = m;
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    const offset = i * cols;
    for (let j = 0; j < cols; j++) sum += (data[offset + j] as number) * (x[j] as number);
    out[i] = sum;
  }
  return out;
}

/** y = Mᵀ x for a row-major M. */
export function multiplyTransposedVector(
  m: Matrix,
  x: ArrayLike<number>,
  out = new Float64Array(m.cols),
): Float64Array {
  const { rows, cols, data } = m;
  out.fill(0);
  for (let i = 0; i < rows; i++) {
    const xi = x[i] as number;
    if (xi === 0) continue;
    const offset = i * cols;
    for (let j = 0; j < cols; j++) out[j] = (out[j] as number) + xi * (data[offset + j] as number);
  }
  return out;
}
