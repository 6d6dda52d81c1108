import { kernelArena } from '../wasm/kernels.js';
import { blockEigenvalues, blockEigenvectors, splitBlocks, type TridiagonalBlock } from './tridiagonal.js';

/** Which eigenvectors to compute besides the full spectrum. */
export type EigenvectorSelection =
  | 'all'
  | 'none'
  /** The k most positive and the k most negative eigenvalues' vectors (fewer if n < 2k). */
  | { ends: number }
  /** The k eigenvalues of largest magnitude, signs kept. */
  | { magnitude: number }
  /** Positions in the descending spectrum. */
  | { indices: readonly number[] };

export interface SymmetricEigenResult {
  n: number;
  /** Every eigenvalue, most positive first. */
  values: Float64Array;
  /** Positions in `values` of the computed eigenvectors, ascending. */
  vectorIndices: Int32Array;
  /**
   * Eigenvectors as rows (vectorIndices.length × n, row-major), unit norm, each with its
   * largest-magnitude entry positive before any caller's own sign convention.
   */
  vectors: Float64Array;
}

export class EigenInputError extends Error {
  override readonly name = 'EigenInputError';
}

/**
 * Eigendecomposition of a real symmetric n×n matrix (row-major, float64): Householder reduction to
 * tridiagonal form in WebAssembly SIMD, implicit QL for every eigenvalue, inverse iteration for the
 * selected eigenvectors and blocked back-transformation. The input is not modified.
 */
export function symmetricEigen(
  matrix: Float64Array,
  n: number,
  selection: EigenvectorSelection = 'all',
): SymmetricEigenResult {
  validate(matrix, n);
  const arena = kernelArena();
  const [aOff, dOff, eOff, tauOff, workOff] = arena.layout([n * n, n, Math.max(n - 1, 1), n, 5 * n]) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const a = arena.view(aOff, n * n);
  // Scale by a power of two (exact) so the reduction's squared norms neither overflow nor underflow.
  const scale = powerOfTwoScale(matrix);
  if (scale === 1) a.set(matrix);
  else for (let i = 0; i < n * n; i++) a[i] = (matrix[i] as number) * scale;

  arena.kernels.tridiagonalize(aOff, n, dOff, eOff, tauOff, workOff);
  const d = arena.view(dOff, n).slice();
  const e = n > 1 ? arena.view(eOff, n - 1).slice() : new Float64Array(0);

  const blocks = splitBlocks(d, e);
  const unsorted = new Float64Array(n);
  for (const block of blocks) blockEigenvalues(d, e, block, unsorted);
  const blockOf = new Int32Array(n);
  blocks.forEach((block, index) => blockOf.fill(index, block.start, block.end));
  // Descending order; ties broken by position so results are reproducible.
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (i, j) => (unsorted[j] as number) - (unsorted[i] as number) || i - j,
  );
  const values = new Float64Array(n);
  for (let r = 0; r < n; r++) values[r] = (unsorted[order[r] as number] as number) / scale;

  const vectorIndices = resolveSelection(selection, values);
  const k = vectorIndices.length;
  if (k === 0) return { n, values, vectorIndices, vectors: new Float64Array(0) };

  // Tridiagonal eigenvectors, block by block, into Z (n×k row-major, zero outside each block).
  // A longer layout keeps the earlier buffers (and the reflectors in them) where they were.
  const [zOff, zWorkOff] = arena.layout([n * n, n, Math.max(n - 1, 1), n, 5 * n, n * k, k]).slice(5) as [number, number];
  const z = arena.view(zOff, n * k);
  z.fill(0);
  const wanted = new Map<number, { column: number; value: number }[]>();
  vectorIndices.forEach((rank, column) => {
    const block = blockOf[order[rank] as number] as number;
    const list = wanted.get(block) ?? [];
    list.push({ column, value: (unsorted[order[rank] as number] as number) });
    wanted.set(block, list);
  });
  for (const [blockIndex, list] of wanted) {
    const block = blocks[blockIndex] as TridiagonalBlock;
    list.sort((x, y) => x.value - y.value || x.column - y.column);
    const blockVectors = blockEigenvectors(
      d,
      e,
      block,
      list.map((entry) => entry.value),
    );
    list.forEach((entry, j) => {
      const x = blockVectors[j] as Float64Array;
      for (let i = 0; i < x.length; i++) z[(block.start + i) * k + entry.column] = x[i] as number;
    });
  }
  arena.kernels.applyReflectors(aOff, n, tauOff, zOff, k, zWorkOff);

  const zView = arena.view(zOff, n * k);
  const vectors = new Float64Array(k * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) vectors[c * n + i] = zView[i * k + c] as number;
  }
  orientLargestPositive(vectors, k, n);
  return { n, values, vectorIndices, vectors };
}

function resolveSelection(selection: EigenvectorSelection, values: Float64Array): Int32Array {
  const n = values.length;
  if (selection === 'none') return new Int32Array(0);
  if (selection === 'all') return Int32Array.from({ length: n }, (_, i) => i);
  const picked = new Set<number>();
  if ('ends' in selection) {
    const k = checkCount(selection.ends, 'ends');
    for (let i = 0; i < Math.min(k, n); i++) {
      picked.add(i);
      picked.add(n - 1 - i);
    }
  } else if ('magnitude' in selection) {
    const k = checkCount(selection.magnitude, 'magnitude');
    // The largest |λ| sit at the two ends of the sorted spectrum: merge from both sides.
    let top = 0;
    let bottom = n - 1;
    while (picked.size < Math.min(k, n)) {
      if (Math.abs(values[top] as number) >= Math.abs(values[bottom] as number)) picked.add(top++);
      else picked.add(bottom--);
    }
  } else {
    for (const index of selection.indices) {
      if (!Number.isInteger(index) || index < 0 || index >= n) {
        throw new EigenInputError(`eigenvector index ${index} is outside the spectrum 0..${n - 1}`);
      }
      picked.add(index);
    }
  }
  return Int32Array.from([...picked].sort((x, y) => x - y));
}

function checkCount(k: number, name: string): number {
  if (!Number.isInteger(k) || k < 0) throw new EigenInputError(`${name} must be a whole number ≥ 0, got ${k}`);
  return k;
}

function validate(matrix: Float64Array, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new EigenInputError(`matrix order must be a positive integer, got ${n}`);
  if (matrix.length !== n * n) {
    throw new EigenInputError(`matrix has ${matrix.length} entries, expected n² = ${n * n} for n = ${n}`);
  }
  let largest = 0;
  for (let i = 0; i < matrix.length; i++) {
    const value = matrix[i] as number;
    if (!Number.isFinite(value)) {
      throw new EigenInputError(`matrix entry (${Math.floor(i / n)}, ${i % n}) is ${value}: not finite`);
    }
    largest = Math.max(largest, Math.abs(value));
  }
  const tolerance = 1e-10 * largest;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const gap = Math.abs((matrix[i * n + j] as number) - (matrix[j * n + i] as number));
      if (gap > tolerance) {
        throw new EigenInputError(
          `matrix is not symmetric: entries (${i}, ${j}) and (${j}, ${i}) differ by ${gap.toExponential(3)}`,
        );
      }
    }
  }
}

function powerOfTwoScale(matrix: Float64Array): number {
  let largest = 0;
  for (let i = 0; i < matrix.length; i++) largest = Math.max(largest, Math.abs(matrix[i] as number));
  if (largest === 0) return 1;
  return 2 ** -Math.round(Math.log2(largest));
}

function orientLargestPositive(vectors: Float64Array, k: number, n: number): void {
  for (let c = 0; c < k; c++) {
    const row = vectors.subarray(c * n, (c + 1) * n);
    let largest = 0;
    for (let i = 0; i < n; i++) if (Math.abs(row[i] as number) > Math.abs(largest)) largest = row[i] as number;
    if (largest < 0) for (let i = 0; i < n; i++) row[i] = -(row[i] as number);
  }
}
