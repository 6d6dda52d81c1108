// Eigenvalues and selected eigenvectors of a symmetric tridiagonal matrix: implicit QL for the
// whole spectrum (O(n²)), inverse iteration with in-cluster reorthogonalisation for the vectors
// (O(n) each), after the LAPACK routines dsterf/dstein. Scalar code: none of this is a hot spot.

const EPS = 2 ** -52;
const SAFE_MIN = 2 ** -1022;

/** An unreduced diagonal block [start, end) of the tridiagonal matrix. */
export interface TridiagonalBlock {
  start: number;
  end: number;
}

/**
 * Splits T into unreduced blocks where an off-diagonal is negligible next to its neighbours on the
 * diagonal, zeroing those off-diagonals (LAPACK's criterion).
 */
export function splitBlocks(d: Float64Array, e: Float64Array): TridiagonalBlock[] {
  const n = d.length;
  const blocks: TridiagonalBlock[] = [];
  let start = 0;
  for (let i = 0; i < n - 1; i++) {
    const off = e[i] as number;
    const bound = Math.sqrt(Math.abs(d[i] as number)) * Math.sqrt(Math.abs(d[i + 1] as number)) * EPS;
    if (Math.abs(off) <= bound + SAFE_MIN) {
      e[i] = 0;
      blocks.push({ start, end: i + 1 });
      start = i + 1;
    }
  }
  blocks.push({ start, end: n });
  return blocks;
}

/**
 * Eigenvalues of the unreduced block d[start..end), e[start..end-2] by implicit QL with Wilkinson
 * shifts. Writes the (unsorted) eigenvalues into `out[start..end)`.
 */
export function blockEigenvalues(d: Float64Array, e: Float64Array, block: TridiagonalBlock, out: Float64Array) {
  const { start, end } = block;
  const n = end - start;
  const dd = out.subarray(start, end);
  dd.set(d.subarray(start, end));
  const ee = new Float64Array(n);
  ee.set(e.subarray(start, end - 1));
  for (let l = 0; l < n; l++) {
    let iterations = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const scale = Math.abs(dd[m] as number) + Math.abs(dd[m + 1] as number);
        if (Math.abs(ee[m] as number) <= EPS * scale) break;
      }
      if (m === l) break;
      if (++iterations > 60) {
        throw new Error(`tridiagonal QL did not converge for eigenvalue ${start + l} of a block of ${n}`);
      }
      let g = ((dd[l + 1] as number) - (dd[l] as number)) / (2 * (ee[l] as number));
      let r = Math.sqrt(g * g + 1);
      g = (dd[m] as number) - (dd[l] as number) + (ee[l] as number) / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      for (; i >= l; i--) {
        const f = s * (ee[i] as number);
        const b = c * (ee[i] as number);
        r = Math.sqrt(f * f + g * g);
        ee[i + 1] = r;
        if (r === 0) {
          dd[i + 1] = (dd[i + 1] as number) - p;
          ee[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = (dd[i + 1] as number) - p;
        r = ((dd[i] as number) - g) * s + 2 * c * b;
        p = s * r;
        dd[i + 1] = g + p;
        g = c * r - b;
      }
      if (r === 0 && i >= l) continue;
      dd[l] = (dd[l] as number) - p;
      ee[l] = g;
      ee[m] = 0;
    }
  }
}

/**
 * Eigenvectors of the unreduced block for the given eigenvalues (ascending) by inverse iteration,
 * after LAPACK dstein: eigenvalues closer than 1e-3·‖T‖₁ form a cluster whose vectors are
 * Gram–Schmidt orthogonalised against each other. Returns one Float64Array of the block's length
 * per eigenvalue, unit norm, largest-magnitude entry positive.
 */
export function blockEigenvectors(
  d: Float64Array,
  e: Float64Array,
  block: TridiagonalBlock,
  eigenvaluesAscending: readonly number[],
): Float64Array[] {
  const { start, end } = block;
  const size = end - start;
  if (size === 1) return eigenvaluesAscending.map(() => Float64Array.of(1));
  const diag = d.subarray(start, end);
  const off = e.subarray(start, end - 1);
  let oneNorm = 0;
  for (let i = 0; i < size; i++) {
    const left = i > 0 ? Math.abs(off[i - 1] as number) : 0;
    const right = i < size - 1 ? Math.abs(off[i] as number) : 0;
    oneNorm = Math.max(oneNorm, Math.abs(diag[i] as number) + left + right);
  }
  const clusterTolerance = 1e-3 * oneNorm;
  const convergedNorm = Math.sqrt(0.1 / size);
  const factors = new TridiagonalLU(size);
  const random = seededUniform(start * 7919 + size);
  const vectors: Float64Array[] = [];
  let clusterStart = 0;
  let previous = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < eigenvaluesAscending.length; j++) {
    let lambda = eigenvaluesAscending[j] as number;
    // Equal eigenvalues would give the same vector: nudge apart, as dstein does.
    const perturbation = 10 * Math.abs(EPS * lambda);
    if (j > 0 && lambda - previous < perturbation) lambda = previous + perturbation;
    if (j === 0 || lambda - previous > clusterTolerance) clusterStart = j;
    previous = lambda;

    factors.factor(diag, off, lambda);
    const x = new Float64Array(size);
    for (let i = 0; i < size; i++) x[i] = random();
    let passesAfterConvergence = 0;
    for (let iteration = 0; iteration < 5; iteration++) {
      let sumAbs = 0;
      for (let i = 0; i < size; i++) sumAbs += Math.abs(x[i] as number);
      const scale = (size * oneNorm * Math.max(EPS, Math.abs(factors.lastPivot))) / sumAbs;
      for (let i = 0; i < size; i++) x[i] = (x[i] as number) * scale;
      factors.solve(x);
      for (let c = clusterStart; c < j; c++) {
        const other = vectors[c] as Float64Array;
        let dot = 0;
        for (let i = 0; i < size; i++) dot += (x[i] as number) * (other[i] as number);
        for (let i = 0; i < size; i++) x[i] = (x[i] as number) - dot * (other[i] as number);
      }
      let maxAbs = 0;
      for (let i = 0; i < size; i++) maxAbs = Math.max(maxAbs, Math.abs(x[i] as number));
      if (maxAbs < convergedNorm) continue;
      if (++passesAfterConvergence >= 3) break;
    }
    normalise(x);
    vectors.push(x);
  }
  return vectors;
}

function normalise(x: Float64Array): void {
  let sumSq = 0;
  let largest = 0;
  for (let i = 0; i < x.length; i++) {
    const value = x[i] as number;
    sumSq += value * value;
    if (Math.abs(value) > Math.abs(largest)) largest = value;
  }
  const scale = (largest < 0 ? -1 : 1) / Math.sqrt(sumSq);
  for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) * scale;
}

/**
 * LU factorisation with partial pivoting of T - λI (LAPACK dlagtf) and the perturbed solve used by
 * inverse iteration (dlagts, job -1): tiny pivots are nudged instead of dividing by zero.
 */
class TridiagonalLU {
  private readonly a: Float64Array;
  private readonly b: Float64Array;
  private readonly c: Float64Array;
  private readonly d: Float64Array;
  private readonly swapped: Uint8Array;
  private tolerance = 0;

  constructor(private readonly n: number) {
    this.a = new Float64Array(n);
    this.b = new Float64Array(n);
    this.c = new Float64Array(n);
    this.d = new Float64Array(n);
    this.swapped = new Uint8Array(n);
  }

  get lastPivot(): number {
    return this.a[this.n - 1] as number;
  }

  factor(diag: Float64Array, off: Float64Array, lambda: number): void {
    const { n, a, b, c, d, swapped } = this;
    for (let i = 0; i < n; i++) a[i] = (diag[i] as number) - lambda;
    b.set(off.subarray(0, n - 1));
    c.set(off.subarray(0, n - 1));
    d.fill(0);
    swapped.fill(0);
    let scale1 = Math.abs(a[0] as number) + Math.abs(b[0] as number);
    for (let k = 0; k < n - 1; k++) {
      let scale2 = Math.abs(c[k] as number) + Math.abs(a[k + 1] as number);
      if (k < n - 2) scale2 += Math.abs(b[k + 1] as number);
      const pivot1 = a[k] === 0 ? 0 : Math.abs(a[k] as number) / scale1;
      if (c[k] === 0) {
        scale1 = scale2;
        continue;
      }
      const pivot2 = Math.abs(c[k] as number) / scale2;
      if (pivot2 <= pivot1) {
        scale1 = scale2;
        c[k] = (c[k] as number) / (a[k] as number);
        a[k + 1] = (a[k + 1] as number) - (c[k] as number) * (b[k] as number);
      } else {
        swapped[k] = 1;
        const multiplier = (a[k] as number) / (c[k] as number);
        a[k] = c[k] as number;
        const temp = a[k + 1] as number;
        a[k + 1] = (b[k] as number) - multiplier * temp;
        if (k < n - 2) {
          d[k] = b[k + 1] as number;
          b[k + 1] = -multiplier * (d[k] as number);
        }
        b[k] = temp;
        c[k] = multiplier;
      }
    }
    let tolerance = Math.abs(a[0] as number);
    if (n > 1) tolerance = Math.max(tolerance, Math.abs(a[1] as number), Math.abs(b[0] as number));
    for (let k = 2; k < n; k++) {
      tolerance = Math.max(
        tolerance,
        Math.abs(a[k] as number),
        Math.abs(b[k - 1] as number),
        Math.abs(d[k - 2] as number),
      );
    }
    tolerance *= EPS;
    this.tolerance = tolerance === 0 ? EPS : tolerance;
  }

  solve(y: Float64Array): void {
    const { n, a, b, c, d, swapped } = this;
    for (let k = 1; k < n; k++) {
      if (swapped[k - 1] === 0) {
        y[k] = (y[k] as number) - (c[k - 1] as number) * (y[k - 1] as number);
      } else {
        const temp = y[k - 1] as number;
        y[k - 1] = y[k] as number;
        y[k] = temp - (c[k - 1] as number) * (y[k] as number);
      }
    }
    const big = 1 / SAFE_MIN;
    for (let k = n - 1; k >= 0; k--) {
      let temp = y[k] as number;
      if (k <= n - 3) temp -= (b[k] as number) * (y[k + 1] as number) + (d[k] as number) * (y[k + 2] as number);
      else if (k === n - 2) temp -= (b[k] as number) * (y[k + 1] as number);
      let pivot = a[k] as number;
      let perturbation = pivot >= 0 ? this.tolerance : -this.tolerance;
      for (;;) {
        const absPivot = Math.abs(pivot);
        if (absPivot < 1) {
          if (absPivot < SAFE_MIN) {
            if (absPivot === 0 || Math.abs(temp) * SAFE_MIN > absPivot) {
              pivot += perturbation;
              perturbation *= 2;
              continue;
            }
            temp *= big;
            pivot *= big;
          } else if (Math.abs(temp) > absPivot * big) {
            pivot += perturbation;
            perturbation *= 2;
            continue;
          }
        }
        break;
      }
      y[k] = temp / pivot;
    }
  }
}

/** A small deterministic generator in [-1, 1) for inverse iteration's starting vectors. */
function seededUniform(seed: number): () => number {
  let state = (seed >>> 0) || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 31 - 1;
  };
}
