import { matrix } from '../model/matrix.js';
import type { Matrix } from '../model/types.js';
import { KernelArena } from '../wasm/kernels.js';

let arena: KernelArena | undefined;

/**
 * C = Aᵀ B for A [k, m] and B [k, n] (row-major), by the SIMD GEMM kernel. The transposed-A form
 * is the one the decomposition needs: eigenvectors to input space (Eᵀv for many v) and Wᵀ diag(s) V.
 */
export function productTransposedA(a: Matrix, b: Matrix): Matrix {
  if (a.rows !== b.rows) {
    throw new RangeError(
      `Aᵀ B needs A and B with equal row counts, got A ${a.rows}×${a.cols} and B ${b.rows}×${b.cols}`,
    );
  }
  const k = a.rows;
  const m = a.cols;
  const n = b.cols;
  // Its own arena: callers may hold views into the eigensolver's.
  arena ??= new KernelArena();
  const [aOff, bOff, packed, out] = arena.layout([k * m, k * n, k * (Math.ceil(m / 4) * 4 + 64), m * n]) as [
    number,
    number,
    number,
    number,
  ];
  arena.view(aOff, k * m).set(a.data);
  arena.view(bOff, k * n).set(b.data);
  arena.kernels.gemmTransposedA(aOff, bOff, 0, k, m, n, packed, out);
  return matrix(m, n, arena.view(out, m * n).slice());
}

export function transpose(m: Matrix): Matrix {
  const t = matrix(m.cols, m.rows);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) t.data[j * m.rows + i] = m.data[i * m.cols + j] as number;
  }
  return t;
}
