// Eigenvalues and selected eigenvectors of a symmetric tridiagonal matrix, after LAPACK:
// implicit QL with Wilkinson shifts for the whole spectrum (dsterf's job), inverse iteration with
// in-cluster reorthogonalisation for the vectors (dstein). Compiled ahead of time, so even the first
// call runs at full speed. Buffers are float64 unless named otherwise; `i32` arrays say so.

const EPS: f64 = 2.220446049250313e-16; // 2⁻⁵²
const SAFE_MIN: f64 = 2.2250738585072014e-308; // 2⁻¹⁰²²

@inline function at(base: usize, index: i32): usize {
  return base + (<usize>index << 3);
}

@inline function ld(base: usize, index: i32): f64 {
  return load<f64>(base + (<usize>index << 3));
}

@inline function st(base: usize, index: i32, value: f64): void {
  store<f64>(base + (<usize>index << 3), value);
}

/**
 * Zeroes off-diagonals that are negligible next to their diagonal neighbours (LAPACK's test) and
 * writes the start of every unreduced block, then n, into `starts` (i32). Returns the block count.
 */
export function splitBlocks(d: usize, e: usize, n: i32, starts: usize): i32 {
  let count = 0;
  store<i32>(starts, 0);
  count = 1;
  for (let i = 0; i < n - 1; i++) {
    const bound = Math.sqrt(Math.abs(ld(d, i))) * Math.sqrt(Math.abs(ld(d, i + 1))) * EPS;
    if (Math.abs(ld(e, i)) <= bound + SAFE_MIN) {
      st(e, i, 0);
      store<i32>(starts + (<usize>count << 2), i + 1);
      count++;
    }
  }
  store<i32>(starts + (<usize>count << 2), n);
  return count;
}

/**
 * Eigenvalues of the unreduced block [start, end) into out[start..end) (unsorted). `work` needs
 * end - start doubles. Returns 0, or 1 + the block-relative index of an eigenvalue that failed to
 * converge in 60 iterations.
 *
 * With samples > 0, every rotation is also applied to rows start..end-1 of `rotated` (n × samples,
 * vectors already in the tridiagonal basis), as QL would accumulate eigenvectors: row p ends up
 * holding each sample's coordinate along the eigenvector of out[p] — every coordinate for O(samples)
 * work per rotation, with no eigenvector formed.
 */
export function blockEigenvalues(
  d: usize,
  e: usize,
  start: i32,
  end: i32,
  out: usize,
  work: usize,
  rotated: usize,
  samples: i32,
): i32 {
  const n = end - start;
  const dd = at(out, start);
  const ee = work;
  for (let i = 0; i < n; i++) st(dd, i, ld(d, start + i));
  for (let i = 0; i < n - 1; i++) st(ee, i, ld(e, start + i));
  st(ee, n - 1, 0);
  for (let l = 0; l < n; l++) {
    let iterations = 0;
    while (true) {
      let m = l;
      for (; m < n - 1; m++) {
        const scale = Math.abs(ld(dd, m)) + Math.abs(ld(dd, m + 1));
        if (Math.abs(ld(ee, m)) <= EPS * scale) break;
      }
      if (m == l) break;
      if (++iterations > 60) return l + 1;
      let g = (ld(dd, l + 1) - ld(dd, l)) / (2 * ld(ee, l));
      let r = Math.sqrt(g * g + 1);
      g = ld(dd, m) - ld(dd, l) + ld(ee, l) / (g + (g >= 0 ? r : -r));
      let s: f64 = 1;
      let c: f64 = 1;
      let p: f64 = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * ld(ee, i);
        const b = c * ld(ee, i);
        r = Math.sqrt(f * f + g * g);
        st(ee, i + 1, r);
        if (r == 0) {
          st(dd, i + 1, ld(dd, i + 1) - p);
          st(ee, m, 0);
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = ld(dd, i + 1) - p;
        r = (ld(dd, i) - g) * s + 2 * c * b;
        p = s * r;
        st(dd, i + 1, g + p);
        g = c * r - b;
        if (samples > 0) rotateRows(rotated, samples, start + i, s, c);
      }
      if (underflow) continue;
      st(dd, l, ld(dd, l) - p);
      st(ee, l, g);
      st(ee, m, 0);
    }
  }
  return 0;
}

/** Rows (row, row+1) of an n × samples matrix ← the Givens rotation QL applies to columns i, i+1 of Z. */
function rotateRows(m: usize, samples: i32, row: i32, s: f64, c: f64): void {
  const upper = at(m, row * samples);
  const lower = at(m, (row + 1) * samples);
  const s2 = f64x2.splat(s);
  const c2 = f64x2.splat(c);
  let k = 0;
  for (; k + 1 < samples; k += 2) {
    const f = v128.load(at(lower, k));
    const x = v128.load(at(upper, k));
    v128.store(at(lower, k), f64x2.add(f64x2.mul(s2, x), f64x2.mul(c2, f)));
    v128.store(at(upper, k), f64x2.sub(f64x2.mul(c2, x), f64x2.mul(s2, f)));
  }
  if (k < samples) {
    const f = ld(lower, k);
    const x = ld(upper, k);
    st(lower, k, s * x + c * f);
    st(upper, k, c * x - s * f);
  }
}

// LU factors of T - λI with partial pivoting (LAPACK dlagtf), in the scratch laid out by
// blockEigenvectors: diagonal a, first and second superdiagonals b and dd, multipliers c, and
// the row interchanges.
let luA: usize = 0;
let luB: usize = 0;
let luC: usize = 0;
let luD: usize = 0;
let luR: usize = 0; // 1 / a, for solve's ordinary pivots
let luSwapped: usize = 0; // u8
let luTolerance: f64 = 0;

function factor(diag: usize, off: usize, n: i32, lambda: f64): void {
  for (let i = 0; i < n; i++) st(luA, i, ld(diag, i) - lambda);
  for (let i = 0; i < n - 1; i++) {
    st(luB, i, ld(off, i));
    st(luC, i, ld(off, i));
    st(luD, i, 0);
    store<u8>(luSwapped + <usize>i, 0);
  }
  let scale1 = Math.abs(ld(luA, 0)) + Math.abs(ld(luB, 0));
  for (let k = 0; k < n - 1; k++) {
    let scale2 = Math.abs(ld(luC, k)) + Math.abs(ld(luA, k + 1));
    if (k < n - 2) scale2 += Math.abs(ld(luB, k + 1));
    const pivot1 = ld(luA, k) == 0 ? 0 : Math.abs(ld(luA, k)) / scale1;
    if (ld(luC, k) == 0) {
      scale1 = scale2;
      continue;
    }
    const pivot2 = Math.abs(ld(luC, k)) / scale2;
    if (pivot2 <= pivot1) {
      scale1 = scale2;
      const ck = ld(luC, k) / ld(luA, k);
      st(luC, k, ck);
      st(luA, k + 1, ld(luA, k + 1) - ck * ld(luB, k));
    } else {
      store<u8>(luSwapped + <usize>k, 1);
      const multiplier = ld(luA, k) / ld(luC, k);
      st(luA, k, ld(luC, k));
      const temp = ld(luA, k + 1);
      st(luA, k + 1, ld(luB, k) - multiplier * temp);
      if (k < n - 2) {
        st(luD, k, ld(luB, k + 1));
        st(luB, k + 1, -multiplier * ld(luD, k));
      }
      st(luB, k, temp);
      st(luC, k, multiplier);
    }
  }
  let tolerance = Math.abs(ld(luA, 0));
  if (n > 1) tolerance = max(tolerance, max(Math.abs(ld(luA, 1)), Math.abs(ld(luB, 0))));
  for (let k = 2; k < n; k++) {
    tolerance = max(tolerance, max(Math.abs(ld(luA, k)), max(Math.abs(ld(luB, k - 1)), Math.abs(ld(luD, k - 2)))));
  }
  tolerance *= EPS;
  luTolerance = tolerance == 0 ? EPS : tolerance;
  for (let k = 0; k < n; k++) st(luR, k, 1 / ld(luA, k));
}

/**
 * Solves (T - λI) x = y in place with the factors, nudging tiny pivots (LAPACK dlagts, job -1).
 * Both sweeps are one long dependency chain, so the entries just computed ride in registers and
 * ordinary pivots are applied as the reciprocals `factor` stored, keeping division off the chain.
 */
function solve(y: usize, n: i32): void {
  let previous = ld(y, 0);
  for (let k = 1; k < n; k++) {
    const current = ld(y, k);
    let value: f64;
    if (load<u8>(luSwapped + <usize>(k - 1)) == 0) {
      value = current - ld(luC, k - 1) * previous;
    } else {
      st(y, k - 1, current);
      value = previous - ld(luC, k - 1) * current;
    }
    st(y, k, value);
    previous = value;
  }
  const big = 1 / SAFE_MIN;
  let next1: f64 = 0; // x[k + 1]
  let next2: f64 = 0; // x[k + 2]
  for (let k = n - 1; k >= 0; k--) {
    let temp = ld(y, k);
    if (k <= n - 3) temp -= ld(luB, k) * next1 + ld(luD, k) * next2;
    else if (k == n - 2) temp -= ld(luB, k) * next1;
    const pivot = ld(luA, k);
    const absPivot = Math.abs(pivot);
    const value =
      absPivot >= 1 || (absPivot >= SAFE_MIN && Math.abs(temp) <= absPivot * big)
        ? temp * ld(luR, k)
        : perturbedQuotient(temp, pivot, big);
    st(y, k, value);
    next2 = next1;
    next1 = value;
  }
}

/** temp / pivot for a pivot too small to divide by as it is: nudged by the tolerance, or rescaled. */
function perturbedQuotient(temp: f64, pivot: f64, big: f64): f64 {
  let perturbation = pivot >= 0 ? luTolerance : -luTolerance;
  while (true) {
    const absPivot = Math.abs(pivot);
    if (absPivot < 1) {
      if (absPivot < SAFE_MIN) {
        if (absPivot == 0 || Math.abs(temp) * SAFE_MIN > absPivot) {
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
    return temp / pivot;
  }
}

let randomState: u32 = 1;

@inline function nextUniform(): f64 {
  let x = randomState;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  randomState = x;
  return <f64>x / 2147483648.0 - 1.0;
}

/**
 * Inverse iteration (LAPACK dstein) for `count` eigenvalues `lambdas` (ascending) of the unreduced
 * block [start, end). Eigenvalues closer than 1e-3·‖T‖₁ form a cluster whose vectors are
 * orthogonalised against each other. Vector j (unit norm, largest-magnitude entry positive) is
 * written into row columns[j] (i32) of `rows` (k×n row-major), entries start..end-1: one
 * contiguous run per vector, where a column of an n×k matrix would touch a cache line per entry.
 * seeds[j] (i32) seeds vector j's random start.
 * `vectors` holds
 * count × size doubles (the block's vectors, kept for reorthogonalisation) and `scratch`
 * 5·size doubles + size bytes.
 */
export function blockEigenvectors(
  d: usize,
  e: usize,
  start: i32,
  end: i32,
  lambdas: usize,
  count: i32,
  columns: usize,
  seeds: usize,
  rows: usize,
  n: i32,
  vectors: usize,
  scratch: usize,
): void {
  const size = end - start;
  const diag = at(d, start);
  const off = at(e, start);
  luA = scratch;
  luB = at(scratch, size);
  luC = at(scratch, 2 * size);
  luD = at(scratch, 3 * size);
  luR = at(scratch, 4 * size);
  luSwapped = at(scratch, 5 * size);

  let oneNorm: f64 = 0;
  for (let i = 0; i < size; i++) {
    const left = i > 0 ? Math.abs(ld(off, i - 1)) : 0;
    const right = i < size - 1 ? Math.abs(ld(off, i)) : 0;
    oneNorm = max(oneNorm, Math.abs(ld(diag, i)) + left + right);
  }
  const clusterTolerance = 1e-3 * oneNorm;
  const convergedNorm = Math.sqrt(0.1 / <f64>size);
  let clusterStart = 0;
  let previous: f64 = 0;
  for (let j = 0; j < count; j++) {
    const x = at(vectors, j * size);
    if (size == 1) {
      st(x, 0, 1);
    } else {
      let lambda = ld(lambdas, j);
      // Equal eigenvalues would give the same vector: nudge apart, as dstein does.
      const perturbation = 10 * Math.abs(EPS * lambda);
      if (j > 0 && lambda - previous < perturbation) lambda = previous + perturbation;
      if (j == 0 || lambda - previous > clusterTolerance) clusterStart = j;
      previous = lambda;
      factor(diag, off, size, lambda);
      // Each vector's start depends on its seed alone, so any split of the vectors between calls
      // (threads) gives the same vectors.
      randomState = (<u32>load<i32>(seeds + (<usize>j << 2)) * 2654435761) | 1;
      for (let i = 0; i < size; i++) st(x, i, nextUniform());
      let passesAfterConvergence = 0;
      for (let iteration = 0; iteration < 5; iteration++) {
        let sumAbs: f64 = 0;
        for (let i = 0; i < size; i++) sumAbs += Math.abs(ld(x, i));
        const scale = (<f64>size * oneNorm * max(EPS, Math.abs(ld(luA, size - 1)))) / sumAbs;
        for (let i = 0; i < size; i++) st(x, i, ld(x, i) * scale);
        solve(x, size);
        for (let c = clusterStart; c < j; c++) {
          const other = at(vectors, c * size);
          let dot: f64 = 0;
          for (let i = 0; i < size; i++) dot += ld(x, i) * ld(other, i);
          for (let i = 0; i < size; i++) st(x, i, ld(x, i) - dot * ld(other, i));
        }
        let maxAbs: f64 = 0;
        for (let i = 0; i < size; i++) maxAbs = max(maxAbs, Math.abs(ld(x, i)));
        if (maxAbs < convergedNorm) continue;
        if (++passesAfterConvergence >= 3) break;
      }
      let sumSq: f64 = 0;
      let largest: f64 = 0;
      for (let i = 0; i < size; i++) {
        const value = ld(x, i);
        sumSq += value * value;
        if (Math.abs(value) > Math.abs(largest)) largest = value;
      }
      const norm = (largest < 0 ? -1.0 : 1.0) / Math.sqrt(sumSq);
      for (let i = 0; i < size; i++) st(x, i, ld(x, i) * norm);
    }
    const column = load<i32>(columns + (<usize>j << 2));
    memory.copy(at(rows, column * n + start), x, <usize>size << 3);
  }
}
