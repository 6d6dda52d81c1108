// The eigenvector phase of symmetricEigen, in a form that two threads can share: a plan of which
// vectors to compute, and the function that computes a plan's vectors from the tridiagonal
// reduction in whichever thread's kernel arena it runs.
import { type KernelArena, kernelArena } from '../wasm/kernels.js';

/** Selected eigenvalues of one unreduced block [start, end) of T, ascending. */
export interface BlockRun {
  start: number;
  end: number;
  lambdas: number[];
  /** Row of the plan's output that each vector goes to. */
  columns: number[];
  /** Seed of each vector's random start (the same vector whichever thread computes it). */
  seeds: number[];
}

export interface EigenvectorPlan {
  /** Order of the matrix. */
  n: number;
  /** Vectors in the plan: rows of its output. */
  count: number;
  runs: BlockRun[];
}

/** The reduction a plan reads and the rows it writes, in memory another thread can see. */
export interface EigenvectorPartBuffers {
  /** n × n: the reduced matrix, its reflectors in the rows of the upper triangle. */
  reflectors: Float64Array;
  tau: Float64Array;
  /** T's diagonal (n) and off-diagonal (n − 1, after splitting into blocks). */
  d: Float64Array;
  e: Float64Array;
  /** count × n: the plan's vectors, written by the helper. */
  rows: Float64Array;
}

/**
 * A second thread that computes part of the eigenvectors while the calling thread computes the rest
 * (see @bilinear-lab/threads). Synchronous on purpose: the eigensolver's API is.
 */
export interface EigenvectorHelper {
  /** Buffers for a part of order n with `count` vectors: to be filled before `start`. */
  buffers(n: number, count: number): EigenvectorPartBuffers;
  /** Starts the part whose inputs the buffers hold; returns at once. */
  start(plan: EigenvectorPlan): void;
  /**
   * Waits for the part: true once its rows are in the buffers; false when the helper had not begun
   * it or could not finish it, and the caller computes the part itself.
   */
  finish(): boolean;
}

/** Byte offsets of the tridiagonal reduction in an arena. */
export interface ReductionOffsets {
  a: number;
  d: number;
  e: number;
  tau: number;
}

/**
 * The plan's vectors as rows (count × n, unit norm, largest-magnitude entry positive): inverse
 * iteration for the vectors of T, transposed to columns, the reflectors applied, back to rows.
 * Buffers are laid out after `base` (the lengths the caller's reduction occupies, kept in place).
 * Returns the rows' byte offset in the arena.
 */
export function vectorsOfPlan(
  arena: KernelArena,
  reduction: ReductionOffsets,
  base: readonly number[],
  plan: EigenvectorPlan,
): number {
  const { n, count: k } = plan;
  const { kernels } = arena;
  const { a, d, e, tau } = reduction;
  const [z, zWork, lambdas, columns, seeds, vectors, scratch, rows] = arena
    .layout([...base, n * k, backTransformWork(n, k), n, n / 2 + 1, n / 2 + 1, n * n, 6 * n, k * n])
    .slice(base.length) as Offsets8;
  // Inverse iteration writes each vector of T as a row; the back-transformation works on columns.
  arena.view(rows, k * n).fill(0);
  for (const run of plan.runs) {
    const count = run.lambdas.length;
    arena.view(lambdas, count).set(run.lambdas);
    arena.int32View(columns, count).set(run.columns);
    arena.int32View(seeds, count).set(run.seeds);
    kernels.blockEigenvectors(
      d,
      e,
      run.start,
      run.end,
      lambdas,
      count,
      columns,
      seeds,
      rows,
      n,
      vectors,
      scratch,
    );
  }
  kernels.transpose(rows, k, n, z);
  if (k >= BLOCKED_BACK_TRANSFORM_FROM) kernels.applyReflectorsBlocked(a, n, tau, z, k, zWork);
  else kernels.applyReflectors(a, n, tau, z, k, zWork, false);
  kernels.extractVectors(z, n, k, rows);
  return rows;
}

/** What a helper thread runs: the plan's vectors from the shared reduction into `buffers.rows`. */
export function computeEigenvectorPart(buffers: EigenvectorPartBuffers, plan: EigenvectorPlan): void {
  const { n, count } = plan;
  if (buffers.reflectors.length < n * n || buffers.rows.length < count * n) {
    throw new RangeError(`eigenvector part of order ${n} with ${count} vectors does not fit its buffers`);
  }
  const arena = kernelArena();
  const base = [n * n, n, n, n];
  const [a, d, e, tau] = arena.layout(base) as [number, number, number, number];
  arena.view(a, n * n).set(buffers.reflectors.subarray(0, n * n));
  arena.view(d, n).set(buffers.d.subarray(0, n));
  arena.view(e, n).set(buffers.e.subarray(0, n));
  arena.view(tau, n).set(buffers.tau.subarray(0, n));
  const rows = vectorsOfPlan(arena, { a, d, e, tau }, base, plan);
  buffers.rows.set(arena.view(rows, count * n));
}

/**
 * From this many vectors on, reflectors are applied in blocks through the GEMM kernel; below it,
 * one at a time (few columns make too thin a GEMM to pay for forming the block reflector).
 */
const BLOCKED_BACK_TRANSFORM_FROM = 48;

function backTransformWork(n: number, k: number): number {
  return k >= BLOCKED_BACK_TRANSFORM_FROM ? n * (64 + k + 132) + 32 * (3 * 32 + 2 * k + 72) : k;
}

type Offsets8 = [number, number, number, number, number, number, number, number];
