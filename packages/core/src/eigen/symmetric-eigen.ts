import { type KernelArena, kernelArena } from '../wasm/kernels.js';
import { type EigenvectorHelper, type EigenvectorPlan, vectorsOfPlan } from './eigenvector-part.js';

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

export interface SymmetricEigenOptions {
  /** Which eigenvectors to return (default: all). */
  vectors?: EigenvectorSelection;
  /**
   * Vectors x (count × n, row-major) whose coordinates vᵢᵀx in the complete eigenbasis are wanted,
   * e.g. to reconstruct xᵀAx = Σ λᵢ (vᵢᵀx)² from every eigenpair without returning every vector.
   */
  coordinatesOf?: { vectors: Float64Array; count: number };
  /**
   * Another thread for the eigenvectors: with many selected, it computes those of the lower half of
   * the spectrum while this thread computes the rest (the same vectors, bit for bit).
   */
  helper?: EigenvectorHelper;
}

export interface SymmetricEigenResult {
  n: number;
  /** Every eigenvalue, most positive first. */
  values: Float64Array;
  /** Positions in `values` of the returned eigenvectors, ascending. */
  vectorIndices: Int32Array;
  /**
   * Eigenvectors as rows (vectorIndices.length × n, row-major), unit norm, each with its
   * largest-magnitude entry positive (callers may apply their own sign convention).
   */
  vectors: Float64Array;
  /** count × n: entry (s, r) = v_rᵀ x_s with v_r the eigenvector of values[r]; when requested. */
  coordinates: Float64Array | null;
}

export class EigenInputError extends Error {
  override readonly name = 'EigenInputError';
}

/**
 * Eigendecomposition of a real symmetric n×n matrix (row-major, float64), all in WebAssembly:
 * Householder reduction to tridiagonal form with SIMD (one fused pass per step), implicit QL for
 * every eigenvalue, inverse iteration for the selected eigenvectors of T, and back-transformation
 * by the stored reflectors. The input is not modified.
 */
export function symmetricEigen(
  matrix: Float64Array | TridiagonalReduction,
  n: number,
  options: SymmetricEigenOptions = {},
): SymmetricEigenResult {
  const given = 'reflectors' in matrix ? matrix : null;
  if (!Number.isInteger(n) || n < 1) {
    throw new EigenInputError(`matrix order must be a positive integer, got ${n}`);
  }
  if (given ? given.n !== n : (matrix as Float64Array).length !== n * n) {
    throw new EigenInputError(
      given
        ? `the reduction is of a matrix of order ${given.n}, not ${n}`
        : `matrix has ${(matrix as Float64Array).length} entries, expected n² = ${n * n} for n = ${n}`,
    );
  }
  const samples = options.coordinatesOf;
  if (samples && samples.vectors.length !== samples.count * n) {
    throw new EigenInputError(
      `coordinatesOf has ${samples.vectors.length} entries, expected count × n = ${samples.count * n}`,
    );
  }
  const arena = kernelArena();
  const { kernels } = arena;
  const s = samples?.count ?? 0;
  // Buffers in layout order; the second layout below extends this one and keeps these in place.
  const reduction = [n * n, n, Math.max(n - 1, 1), n, 5 * n, n + 2, n, n, 5, n * s, s];
  const [a, d, e, tau, work, blockStarts, unsorted, qlWork, report, rotated, rotatedWork] = arena.layout(
    reduction,
  ) as Offsets11;
  let scale: number;
  if (given) {
    arena.view(a, n * n).set(given.reflectors.subarray(0, n * n));
    arena.view(d, n).set(given.d.subarray(0, n));
    arena.view(e, n - 1).set(given.e.subarray(0, n - 1));
    arena.view(tau, n).set(given.tau.subarray(0, n));
    scale = given.scale;
  } else scale = reduceInArena(arena, matrix as Float64Array, n, { a, d, e, tau, work, report });
  if (samples) {
    // x (s × n) transposed to n × s and taken to the tridiagonal basis (Qᵀx); QL's rotations then
    // carry it on to the eigenbasis.
    const x = arena.view(rotated, n * s);
    for (let j = 0; j < s; j++)
      for (let i = 0; i < n; i++) x[i * s + j] = samples.vectors[j * n + i] as number;
    kernels.applyReflectors(a, n, tau, rotated, s, rotatedWork, true);
  }
  const blockCount = kernels.splitBlocks(d, e, n, blockStarts);
  const starts = Array.from(arena.int32View(blockStarts, blockCount + 1));
  for (let b = 0; b < blockCount; b++) {
    const start = starts[b] as number;
    const failed = kernels.blockEigenvalues(
      d,
      e,
      start,
      starts[b + 1] as number,
      unsorted,
      qlWork,
      rotated,
      s,
    );
    if (failed !== 0) {
      throw new Error(`tridiagonal QL did not converge (eigenvalue ${failed - 1} of block ${b}, n = ${n})`);
    }
  }
  const positionValues = arena.view(unsorted, n).slice();
  // Descending order; ties broken by position so results are reproducible.
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (i, j) => (positionValues[j] as number) - (positionValues[i] as number) || i - j,
  );
  const values = new Float64Array(n);
  for (let r = 0; r < n; r++) values[r] = (positionValues[order[r] as number] as number) / scale;
  let coordinates: Float64Array | null = null;
  if (samples) {
    const rows = arena.view(rotated, n * s);
    coordinates = new Float64Array(s * n);
    for (let r = 0; r < n; r++) {
      const position = order[r] as number;
      for (let j = 0; j < s; j++) coordinates[j * n + r] = rows[position * s + j] as number;
    }
  }

  const vectorIndices = resolveSelection(options.vectors ?? 'all', values);
  const k = vectorIndices.length;
  if (k === 0) return { n, values, vectorIndices, vectors: new Float64Array(0), coordinates };

  // Each selected position's block and output row; the plan lists them block by block, ascending.
  const columnOfPosition = new Int32Array(n).fill(-1);
  vectorIndices.forEach((rank, column) => {
    columnOfPosition[order[rank] as number] = column;
  });
  const blocks = starts.slice(0, blockCount).map((start, b) => {
    const positions: number[] = [];
    for (let p = start; p < (starts[b + 1] as number); p++)
      if ((columnOfPosition[p] as number) >= 0) positions.push(p);
    positions.sort((p, q) => (positionValues[p] as number) - (positionValues[q] as number) || p - q);
    return { start, end: starts[b + 1] as number, positions };
  });
  const planOf = (first: number, last: number): EigenvectorPlan => ({
    n,
    count: last - first,
    runs: blocks.flatMap(({ start, end, positions }) => {
      const mine = positions.filter((p) => {
        const column = columnOfPosition[p] as number;
        return column >= first && column < last;
      });
      if (mine.length === 0) return [];
      return [
        {
          start,
          end,
          lambdas: mine.map((p) => positionValues[p] as number),
          columns: mine.map((p) => (columnOfPosition[p] as number) - first),
          seeds: mine.map((p) => p + 1),
        },
      ];
    }),
  });
  const reductionOffsets = { a, d, e, tau };
  const eigenvectors = new Float64Array(k * n);
  // With a helper, it takes the vectors from column `split` on (the most negative eigenvalues).
  const split = options.helper ? helperSplit(arena, d, e, n, vectorIndices, order, positionValues) : k;
  let helped: Float64Array | null = null;
  if (options.helper && split < k) {
    const buffers = options.helper.buffers(n, k - split);
    buffers.reflectors.set(arena.view(a, n * n));
    buffers.tau.set(arena.view(tau, n));
    buffers.d.set(arena.view(d, n));
    buffers.e.set(arena.view(e, n - 1));
    options.helper.start(planOf(split, k));
    helped = buffers.rows;
  }
  const rows = vectorsOfPlan(arena, reductionOffsets, reduction, planOf(0, split));
  eigenvectors.set(arena.view(rows, split * n));
  if (options.helper && split < k) {
    if (options.helper.finish() && helped) eigenvectors.set(helped.subarray(0, (k - split) * n), split * n);
    else {
      const rest = vectorsOfPlan(arena, reductionOffsets, reduction, planOf(split, k));
      eigenvectors.set(arena.view(rest, (k - split) * n), split * n);
    }
  }
  // QL's coordinates carry its own signs; the returned vectors' coordinates must carry theirs.
  if (samples && coordinates) {
    vectorIndices.forEach((rank, c) => {
      for (let j = 0; j < s; j++) {
        let dot = 0;
        for (let i = 0; i < n; i++)
          dot += (eigenvectors[c * n + i] as number) * (samples.vectors[j * n + i] as number);
        (coordinates as Float64Array)[j * n + rank] = dot;
      }
    });
  }
  return { n, values, vectorIndices, vectors: eigenvectors, coordinates };
}

type Offsets11 = [number, number, number, number, number, number, number, number, number, number, number];

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
  if (!Number.isInteger(k) || k < 0)
    throw new EigenInputError(`${name} must be a whole number ≥ 0, got ${k}`);
  return k;
}

/** Checks the matrix in the arena (finite, symmetric) and returns its largest |entry|. */
function inspect(arena: KernelArena, a: number, n: number, report: number): number {
  arena.kernels.inspectSymmetric(a, n, 1e-10, report);
  const [problem, row, column, largest, gap] = Array.from(arena.view(report, 5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  if (problem === 1) {
    const value = arena.view(a + (row * n + column) * 8, 1)[0];
    throw new EigenInputError(`matrix entry (${row}, ${column}) is ${value}: not finite`);
  }
  if (problem === 2) {
    throw new EigenInputError(
      `matrix is not symmetric: entries (${row}, ${column}) and (${column}, ${row}) differ by ${gap.toExponential(3)}`,
    );
  }
  return largest;
}

/**
 * The first phase of symmetricEigen on its own: the matrix checked, scaled by a power of two and
 * reduced to tridiagonal form T = Qᵀ A Q, the reflectors kept. symmetricEigen takes it in place of
 * the matrix and finishes from there with the same result, bit for bit: so one thread can reduce the
 * next matrix while another solves this one.
 */
export interface TridiagonalReduction {
  n: number;
  /** The power of two the matrix was multiplied by before the reduction. */
  scale: number;
  /** n × n: the reduced matrix, its reflectors in the rows of the upper triangle. */
  reflectors: Float64Array;
  /** T's diagonal (n), off-diagonal (n − 1, in an array of n) and the reflectors' scales (n). */
  d: Float64Array;
  e: Float64Array;
  tau: Float64Array;
}

/** Doubles a TridiagonalReduction of order n occupies packed into one buffer (see `into`). */
export function tridiagonalReductionLength(n: number): number {
  return 1 + n * n + 3 * n;
}

/**
 * Reduces a symmetric matrix (see TridiagonalReduction). With `into` (at least
 * tridiagonalReductionLength(n) doubles, e.g. shared memory), it is packed there — read it back, in
 * another thread too, with packedTridiagonalReduction.
 */
export function tridiagonalReduction(
  matrix: Float64Array,
  n: number,
  into?: Float64Array,
): TridiagonalReduction {
  if (!Number.isInteger(n) || n < 1) {
    throw new EigenInputError(`matrix order must be a positive integer, got ${n}`);
  }
  if (matrix.length !== n * n) {
    throw new EigenInputError(`matrix has ${matrix.length} entries, expected n² = ${n * n} for n = ${n}`);
  }
  const buffer = into ?? new Float64Array(tridiagonalReductionLength(n));
  const arena = kernelArena();
  const [a, d, e, tau, work, report] = arena.layout([n * n, n, n, n, 5 * n, 5]) as Offsets6;
  const reduction = packedTridiagonalReduction(buffer, n);
  buffer[0] = reduceInArena(arena, matrix, n, { a, d, e, tau, work, report });
  reduction.reflectors.set(arena.view(a, n * n));
  reduction.d.set(arena.view(d, n));
  reduction.e.set(arena.view(e, n));
  reduction.tau.set(arena.view(tau, n));
  return { ...reduction, scale: buffer[0] as number };
}

/** The reduction packed in `buffer` by tridiagonalReduction, as views into it: [scale, A, d, e, τ]. */
export function packedTridiagonalReduction(buffer: Float64Array, n: number): TridiagonalReduction {
  if (buffer.length < tridiagonalReductionLength(n)) {
    throw new RangeError(
      `a reduction of order ${n} needs ${tridiagonalReductionLength(n)} doubles, got ${buffer.length}`,
    );
  }
  const at = (offset: number, length: number) => buffer.subarray(1 + offset, 1 + offset + length);
  return {
    n,
    scale: buffer[0] as number,
    reflectors: at(0, n * n),
    d: at(n * n, n),
    e: at(n * n + n, n),
    tau: at(n * n + 2 * n, n),
  };
}

/** Copies the matrix in, checks it, scales it and reduces it, in the arena; returns the scale. */
function reduceInArena(
  arena: KernelArena,
  matrix: Float64Array,
  n: number,
  at: { a: number; d: number; e: number; tau: number; work: number; report: number },
): number {
  arena.view(at.a, n * n).set(matrix);
  const largest = inspect(arena, at.a, n, at.report);
  // Scale by a power of two (exact) so the reduction's squared norms neither overflow nor underflow.
  const scale = largest === 0 ? 1 : 2 ** -Math.round(Math.log2(largest));
  if (scale !== 1) arena.kernels.scale(at.a, n * n, scale);
  arena.kernels.tridiagonalize(at.a, n, at.d, at.e, at.tau, at.work);
  return scale;
}

type Offsets6 = [number, number, number, number, number, number];

/** Below this many selected vectors a helper is not worth the copying. */
const HELPER_FROM = 128;

/**
 * Where the helper's share begins: a column near the middle at which the spectrum has a gap wider
 * than the kernel's cluster tolerance (vectors of one cluster are orthogonalised against each other,
 * so a cluster stays on one thread). The kernel's tolerance is 1e-3 · ‖T_block‖₁, at most
 * 1e-3 · ‖T‖₁, which is what is checked here. k (no split) when there is no such column.
 */
function helperSplit(
  arena: KernelArena,
  d: number,
  e: number,
  n: number,
  vectorIndices: Int32Array,
  order: readonly number[],
  positionValues: Float64Array,
): number {
  const k = vectorIndices.length;
  if (k < HELPER_FROM) return k;
  const diagonal = arena.view(d, n);
  const off = arena.view(e, Math.max(n - 1, 1));
  let oneNorm = 0;
  for (let i = 0; i < n; i++) {
    const left = i > 0 ? Math.abs(off[i - 1] as number) : 0;
    const right = i < n - 1 ? Math.abs(off[i] as number) : 0;
    oneNorm = Math.max(oneNorm, Math.abs(diagonal[i] as number) + left + right);
  }
  const tolerance = 1e-3 * oneNorm;
  const valueAt = (column: number) =>
    positionValues[order[vectorIndices[column] as number] as number] as number;
  const middle = Math.floor(k / 2);
  for (let offset = 0; offset < k / 4; offset++) {
    for (const column of [middle + offset, middle - offset]) {
      if (valueAt(column - 1) - valueAt(column) > tolerance) return column;
    }
  }
  return k;
}
