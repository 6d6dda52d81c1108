// Hot loops of the symmetric eigensolver, compiled to WebAssembly with 128-bit SIMD.
//
// Everything here works on raw float64 buffers in linear memory that the TypeScript side lays out;
// nothing allocates. Matrices are row-major n×n; the reduction reads and writes only the upper
// triangle (row i holds A[i, i..n-1] contiguously), which for a symmetric matrix is the same data
// as LAPACK's column-major lower triangle.

/** First free byte above the module's static data: the TypeScript side places buffers from here. */
export function heapBase(): usize {
  return __heap_base;
}

@inline function at(base: usize, index: i32): usize {
  return base + (<usize>index << 3);
}

/**
 * Householder reflector for x = row[0..m-1] (LAPACK dlarfg): H x = beta e₀ with H = I - tau v vᵀ,
 * v[0] = 1. Overwrites row[1..m-1] with v[1..m-1], copies the whole v into `v` (indices as in
 * `row`), and returns beta; tau goes to `tauOut`. The caller has scaled the matrix so that squared
 * norms neither overflow nor underflow.
 */
function householder(row: usize, v: usize, m: i32, tauOut: usize): f64 {
  const alpha = load<f64>(row);
  let sumSq: f64 = 0;
  for (let j = 1; j < m; j++) {
    const x = load<f64>(at(row, j));
    sumSq += x * x;
  }
  store<f64>(v, 1.0);
  if (sumSq == 0) {
    store<f64>(tauOut, 0);
    for (let j = 1; j < m; j++) store<f64>(at(v, j), 0);
    return alpha;
  }
  const norm = Math.sqrt(alpha * alpha + sumSq);
  const beta = alpha >= 0 ? -norm : norm;
  store<f64>(tauOut, (beta - alpha) / beta);
  const scale = 1.0 / (alpha - beta);
  for (let j = 1; j < m; j++) {
    const x = load<f64>(at(row, j)) * scale;
    store<f64>(at(row, j), x);
    store<f64>(at(v, j), x);
  }
  return beta;
}

/**
 * One sweep over the trailing rows first..n-1 that both applies the symmetric rank-2 update
 * A -= v wᵀ + w vᵀ and accumulates y = A_updated · u, so each element is loaded and stored once per
 * reduction step instead of twice (update, then next step's matrix–vector product). Rows go two at
 * a time: the pair shares its loads of v, w, u and y, which makes up most of the memory traffic of
 * this bandwidth-bound loop.
 */
function updateAndMultiply(a: usize, n: i32, first: i32, v: usize, w: usize, u: usize, y: usize): void {
  for (let j = first; j < n; j++) store<f64>(at(y, j), 0);
  let i = first;
  for (; i + 1 < n; i += 2) updateRowPair(a, n, i, v, w, u, y);
  if (i < n) updateRow(a, n, i, v, w, u, y);
}

/** Rows i and i + 1 of updateAndMultiply's sweep (upper triangle: row r holds columns r..n-1). */
@inline function updateRowPair(a: usize, n: i32, i: i32, v: usize, w: usize, u: usize, y: usize): void {
  const i1 = i + 1;
  const row0 = a + (<usize>(i * n) << 3);
  const row1 = a + (<usize>(i1 * n) << 3);
  const v0 = load<f64>(at(v, i));
  const w0 = load<f64>(at(w, i));
  const u0 = load<f64>(at(u, i));
  const v1 = load<f64>(at(v, i1));
  const w1 = load<f64>(at(w, i1));
  const u1 = load<f64>(at(u, i1));
  // The three entries of the pair's leading 2×2 block: (i, i), (i, i+1), (i+1, i+1).
  const d0 = load<f64>(at(row0, i)) - 2.0 * v0 * w0;
  const a01 = load<f64>(at(row0, i1)) - v0 * w1 - w0 * v1;
  const d1 = load<f64>(at(row1, i1)) - 2.0 * v1 * w1;
  store<f64>(at(row0, i), d0);
  store<f64>(at(row0, i1), a01);
  store<f64>(at(row1, i1), d1);
  let sum0 = d0 * u0 + a01 * u1;
  let sum1 = a01 * u0 + d1 * u1;
  const v02 = f64x2.splat(v0);
  const w02 = f64x2.splat(w0);
  const u02 = f64x2.splat(u0);
  const v12 = f64x2.splat(v1);
  const w12 = f64x2.splat(w1);
  const u12 = f64x2.splat(u1);
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let j = i + 2;
  for (; j + 1 < n; j += 2) {
    const p0 = at(row0, j);
    const p1 = at(row1, j);
    const pv = v128.load(at(v, j));
    const pw = v128.load(at(w, j));
    const pu = v128.load(at(u, j));
    const py = at(y, j);
    const x0 = f64x2.sub(f64x2.sub(v128.load(p0), f64x2.mul(v02, pw)), f64x2.mul(w02, pv));
    const x1 = f64x2.sub(f64x2.sub(v128.load(p1), f64x2.mul(v12, pw)), f64x2.mul(w12, pv));
    v128.store(p0, x0);
    v128.store(p1, x1);
    v128.store(py, f64x2.add(v128.load(py), f64x2.add(f64x2.mul(x0, u02), f64x2.mul(x1, u12))));
    acc0 = f64x2.add(acc0, f64x2.mul(x0, pu));
    acc1 = f64x2.add(acc1, f64x2.mul(x1, pu));
  }
  if (j < n) {
    const vj = load<f64>(at(v, j));
    const wj = load<f64>(at(w, j));
    const uj = load<f64>(at(u, j));
    const x0 = load<f64>(at(row0, j)) - v0 * wj - w0 * vj;
    const x1 = load<f64>(at(row1, j)) - v1 * wj - w1 * vj;
    store<f64>(at(row0, j), x0);
    store<f64>(at(row1, j), x1);
    store<f64>(at(y, j), load<f64>(at(y, j)) + x0 * u0 + x1 * u1);
    sum0 += x0 * uj;
    sum1 += x1 * uj;
  }
  sum0 += f64x2.extract_lane(acc0, 0) + f64x2.extract_lane(acc0, 1);
  sum1 += f64x2.extract_lane(acc1, 0) + f64x2.extract_lane(acc1, 1);
  store<f64>(at(y, i), load<f64>(at(y, i)) + sum0);
  store<f64>(at(y, i1), load<f64>(at(y, i1)) + sum1);
}

/** One row of updateAndMultiply's sweep: the last one when the trailing rows are odd in number. */
function updateRow(a: usize, n: i32, i: i32, v: usize, w: usize, u: usize, y: usize): void {
  const row = a + (<usize>(i * n) << 3);
  const vi = load<f64>(at(v, i));
  const wi = load<f64>(at(w, i));
  const ui = load<f64>(at(u, i));
  const diag = load<f64>(at(row, i)) - 2.0 * vi * wi;
  store<f64>(at(row, i), diag);
  let sum = diag * ui;
  for (let j = i + 1; j < n; j++) {
    const aij = load<f64>(at(row, j)) - vi * load<f64>(at(w, j)) - wi * load<f64>(at(v, j));
    store<f64>(at(row, j), aij);
    store<f64>(at(y, j), load<f64>(at(y, j)) + aij * ui);
    sum += aij * load<f64>(at(u, j));
  }
  store<f64>(at(y, i), load<f64>(at(y, i)) + sum);
}

/**
 * Householder reduction of the symmetric matrix `a` (n×n, upper triangle used) to tridiagonal form
 * T = Qᵀ A Q with diagonal `d` (n) and off-diagonal `e` (n-1). The reflectors stay in `a`: reflector
 * k is v = (1, a[k, k+2..n-1]) on indices k+1..n-1 with scale tau[k]. `work` needs 5·n doubles.
 */
export function tridiagonalize(a: usize, n: i32, d: usize, e: usize, tau: usize, work: usize): void {
  if (n == 1) {
    store<f64>(d, load<f64>(a));
    return;
  }
  // Vectors indexed by absolute row, so no offsets are juggled.
  let v = work;
  let u = at(work, n);
  const w = at(work, 2 * n);
  const y = at(work, 3 * n);
  for (let j = 0; j < 4 * n; j++) store<f64>(at(work, j), 0);

  store<f64>(e, householder(at(a, 1), at(v, 1), n - 1, tau));
  updateAndMultiply(a, n, 1, v, w, v, y); // w = 0: a plain product y = A[1:,1:] v
  for (let k = 0; k < n - 1; k++) {
    store<f64>(at(d, k), load<f64>(at(a, k * n + k)));
    const t = load<f64>(at(tau, k));
    // w = tau·y - (tau²/2)(yᵀv) v, the symmetric-update vector (LAPACK dsytd2).
    let yv: f64 = 0;
    for (let j = k + 1; j < n; j++) yv += load<f64>(at(y, j)) * load<f64>(at(v, j));
    const alpha = -0.5 * t * t * yv;
    for (let j = k + 1; j < n; j++) {
      store<f64>(at(w, j), t * load<f64>(at(y, j)) + alpha * load<f64>(at(v, j)));
    }
    // Row k+1 first: the next reflector is built from it.
    const next = k + 1;
    const rowNext = a + (<usize>(next * n) << 3);
    const vn = load<f64>(at(v, next));
    const wn = load<f64>(at(w, next));
    for (let j = next; j < n; j++) {
      const p = at(rowNext, j);
      store<f64>(p, load<f64>(p) - vn * load<f64>(at(w, j)) - wn * load<f64>(at(v, j)));
    }
    if (next == n - 1) {
      store<f64>(at(d, next), load<f64>(at(rowNext, next)));
      break;
    }
    store<f64>(at(u, next), 0);
    store<f64>(at(e, next), householder(at(rowNext, next + 1), at(u, next + 1), n - next - 1, at(tau, next)));
    updateAndMultiply(a, n, next + 1, v, w, u, y);
    // The new reflector becomes the current one.
    const swap = v;
    v = u;
    u = swap;
  }
}

/**
 * Applies the reflectors left in `a` by `tridiagonalize` to the k columns of `z` (n×k, row-major):
 * z ← Q z turns eigenvectors of T into eigenvectors of A; z ← Qᵀ z takes vectors the other way.
 * `work` needs k doubles.
 */
export function applyReflectors(
  a: usize,
  n: i32,
  tau: usize,
  z: usize,
  k: i32,
  work: usize,
  transposed: bool,
): void {
  // Q = H₀H₁…H_{n-2}: Q z applies the last reflector first, Qᵀ z the first.
  for (let step = 0; step < n - 1; step++) {
    const r = transposed ? step : n - 2 - step;
    const t = load<f64>(at(tau, r));
    if (t == 0) continue;
    const row = a + (<usize>(r * n) << 3);
    // s = vᵀ Z[r+1.., :], with v[r+1] = 1.
    const first = z + (<usize>((r + 1) * k) << 3);
    let c = 0;
    for (; c + 1 < k; c += 2) v128.store(at(work, c), v128.load(at(first, c)));
    if (c < k) store<f64>(at(work, c), load<f64>(at(first, c)));
    for (let i = r + 2; i < n; i++) {
      const vi = load<f64>(at(row, i));
      const vi2 = f64x2.splat(vi);
      const zr = z + (<usize>(i * k) << 3);
      let j = 0;
      for (; j + 1 < k; j += 2) {
        const ps = at(work, j);
        v128.store(ps, f64x2.add(v128.load(ps), f64x2.mul(vi2, v128.load(at(zr, j)))));
      }
      if (j < k) store<f64>(at(work, j), load<f64>(at(work, j)) + vi * load<f64>(at(zr, j)));
    }
    // Z[r+1.., :] -= tau v sᵀ
    for (let i = r + 1; i < n; i++) {
      const vi = i == r + 1 ? 1.0 : load<f64>(at(row, i));
      const f = -t * vi;
      const f2 = f64x2.splat(f);
      const zr = z + (<usize>(i * k) << 3);
      let j = 0;
      for (; j + 1 < k; j += 2) {
        const pz = at(zr, j);
        v128.store(pz, f64x2.add(v128.load(pz), f64x2.mul(f2, v128.load(at(work, j)))));
      }
      if (j < k) store<f64>(at(zr, j), load<f64>(at(zr, j)) + f * load<f64>(at(work, j)));
    }
  }
}

/**
 * out (m×n) = Σ_k scale[k] · a[k, :]ᵀ b[k, :] for a [kDim, m] and b [kDim, n], row-major (a GEMM
 * C = Aᵀ diag(scale) B; scale 0 means all ones). Register tiles of 4×4 over packed operands: a in
 * 4-column strips pre-multiplied by the scale, b in 64-column panels. `packed` needs
 * kDim·(⌈m/4⌉·4 + 64) doubles.
 */
export function gemmTransposedA(
  a: usize,
  b: usize,
  scale: usize,
  kDim: i32,
  m: i32,
  n: i32,
  packed: usize,
  out: usize,
): void {
  gemm(a, b, scale, kDim, m, n, packed, out, false);
}

/** The GEMM behind gemmTransposedA; with `subtract`, out −= Aᵀ diag(scale) B instead of out =. */
function gemm(
  a: usize,
  b: usize,
  scale: usize,
  kDim: i32,
  m: i32,
  n: i32,
  packed: usize,
  out: usize,
  subtract: bool,
): void {
  const strips = (m + 3) >> 2;
  const panel = at(packed, kDim * strips * 4);
  for (let r = 0; r < strips; r++) {
    for (let k = 0; k < kDim; k++) {
      const sk = scale == 0 ? 1.0 : load<f64>(at(scale, k));
      const src = at(a, k * m);
      const dst = at(packed, (r * kDim + k) * 4);
      for (let c = 0; c < 4; c++) {
        const col = r * 4 + c;
        store<f64>(at(dst, c), col < m ? sk * load<f64>(at(src, col)) : 0);
      }
    }
  }
  const panelWidth = 64;
  for (let j0 = 0; j0 < n; j0 += panelWidth) {
    const width = min(panelWidth, n - j0);
    const padded = (width + 3) & ~3;
    for (let k = 0; k < kDim; k++) {
      const src = at(b, k * n + j0);
      const dst = at(panel, k * padded);
      for (let c = 0; c < padded; c++) store<f64>(at(dst, c), c < width ? load<f64>(at(src, c)) : 0);
    }
    for (let r = 0; r < strips; r++) {
      const strip = at(packed, r * kDim * 4);
      for (let c0 = 0; c0 < padded; c0 += 4) {
        let acc00 = f64x2.splat(0);
        let acc01 = f64x2.splat(0);
        let acc10 = f64x2.splat(0);
        let acc11 = f64x2.splat(0);
        let acc20 = f64x2.splat(0);
        let acc21 = f64x2.splat(0);
        let acc30 = f64x2.splat(0);
        let acc31 = f64x2.splat(0);
        let pa = strip;
        let pb = at(panel, c0);
        const step = <usize>padded << 3;
        for (let k = 0; k < kDim; k++) {
          const b0 = v128.load(pb);
          const b1 = v128.load(pb, 16);
          const a0 = f64x2.splat(load<f64>(pa));
          const a1 = f64x2.splat(load<f64>(pa, 8));
          const a2 = f64x2.splat(load<f64>(pa, 16));
          const a3 = f64x2.splat(load<f64>(pa, 24));
          acc00 = f64x2.add(acc00, f64x2.mul(a0, b0));
          acc01 = f64x2.add(acc01, f64x2.mul(a0, b1));
          acc10 = f64x2.add(acc10, f64x2.mul(a1, b0));
          acc11 = f64x2.add(acc11, f64x2.mul(a1, b1));
          acc20 = f64x2.add(acc20, f64x2.mul(a2, b0));
          acc21 = f64x2.add(acc21, f64x2.mul(a2, b1));
          acc30 = f64x2.add(acc30, f64x2.mul(a3, b0));
          acc31 = f64x2.add(acc31, f64x2.mul(a3, b1));
          pa += 32;
          pb += step;
        }
        const room = width - c0;
        storeTile(out, m, n, r * 4, j0 + c0, room, acc00, acc01, subtract);
        storeTile(out, m, n, r * 4 + 1, j0 + c0, room, acc10, acc11, subtract);
        storeTile(out, m, n, r * 4 + 2, j0 + c0, room, acc20, acc21, subtract);
        storeTile(out, m, n, r * 4 + 3, j0 + c0, room, acc30, acc31, subtract);
      }
    }
  }
}

/**
 * The interaction matrix of one output direction, Q = ½ (Wᵀ diag(s) V + Vᵀ diag(s) W), with W, V
 * [h, d] row-major and s = Pᵀu (h): G = Wᵀ diag(s) V by the GEMM, then Q = ½ (G + Gᵀ) in place.
 * `packed` needs h·(⌈d/4⌉·4 + 64) doubles; `out` (d×d) receives Q.
 */
export function interactionMatrix(w: usize, v: usize, s: usize, h: i32, d: i32, packed: usize, out: usize): void {
  gemmTransposedA(w, v, s, h, d, d, packed, out);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const pij = at(out, i * d + j);
      const pji = at(out, j * d + i);
      const q = 0.5 * (load<f64>(pij) + load<f64>(pji));
      store<f64>(pij, q);
      store<f64>(pji, q);
    }
  }
}

/**
 * The symmetric rank-one parts of one bilinear layer for a run of input pairs: out[k, t] =
 * ½ (W[k, i]·V[k, j] + V[k, i]·W[k, j]) for the t-th pair (i, j) of `pairs` (2·count int32s), W and V
 * [h, d] row-major, out [h, count]. Q(u)'s entry (i, j) is Σ_k s_k · out[k, t], so a GEMM of these
 * columns with the down-projection gives the entry for every output coordinate at once.
 */
export function pairProducts(w: usize, v: usize, h: i32, d: i32, pairs: usize, count: i32, out: usize): void {
  for (let k = 0; k < h; k++) {
    const wRow = at(w, k * d);
    const vRow = at(v, k * d);
    const outRow = at(out, k * count);
    for (let t = 0; t < count; t++) {
      const i = load<i32>(pairs + (<usize>(2 * t) << 2));
      const j = load<i32>(pairs + (<usize>(2 * t + 1) << 2));
      const value = 0.5 * (load<f64>(at(wRow, i)) * load<f64>(at(vRow, j)) + load<f64>(at(vRow, i)) * load<f64>(at(wRow, j)));
      store<f64>(at(outRow, t), value);
    }
  }
}

@inline function storeTile(
  out: usize,
  m: i32,
  n: i32,
  row: i32,
  col: i32,
  room: i32,
  lo: v128,
  hi: v128,
  subtract: bool,
): void {
  if (row >= m) return;
  const p = at(out, row * n + col);
  if (subtract) {
    if (room >= 4) {
      v128.store(p, f64x2.sub(v128.load(p), lo));
      v128.store(p, f64x2.sub(v128.load(p, 16), hi), 16);
      return;
    }
    if (room > 0) store<f64>(p, load<f64>(p) - f64x2.extract_lane(lo, 0));
    if (room > 1) store<f64>(p, load<f64>(p, 8) - f64x2.extract_lane(lo, 1), 8);
    if (room > 2) store<f64>(p, load<f64>(p, 16) - f64x2.extract_lane(hi, 0), 16);
    return;
  }
  if (room >= 4) {
    v128.store(p, lo);
    v128.store(p, hi, 16);
    return;
  }
  if (room > 0) store<f64>(p, f64x2.extract_lane(lo, 0));
  if (room > 1) store<f64>(p, f64x2.extract_lane(lo, 1), 8);
  if (room > 2) store<f64>(p, f64x2.extract_lane(hi, 0), 16);
}

export { blockEigenvalues, blockEigenvectors, splitBlocks } from './tridiagonal';

/**
 * Checks a row-major n×n matrix in place before decomposition and writes five doubles to `report`:
 * [problem (0 none, 1 not finite, 2 not symmetric), row, column, largest |entry|, asymmetry].
 * Symmetry allows a gap of `relativeTolerance` × the largest entry.
 */
export function inspectSymmetric(a: usize, n: i32, relativeTolerance: f64, report: usize): void {
  let largest: f64 = 0;
  const count = n * n;
  for (let i = 0; i < count; i++) {
    const x = load<f64>(at(a, i));
    if (!isFinite(x)) {
      writeReport(report, 1, i / n, i % n, largest, 0);
      return;
    }
    largest = max(largest, Math.abs(x));
  }
  const tolerance = relativeTolerance * largest;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const gap = Math.abs(load<f64>(at(a, i * n + j)) - load<f64>(at(a, j * n + i)));
      if (gap > tolerance) {
        writeReport(report, 2, i, j, largest, gap);
        return;
      }
    }
  }
  writeReport(report, 0, 0, 0, largest, 0);
}

function writeReport(report: usize, problem: i32, row: i32, column: i32, largest: f64, gap: f64): void {
  store<f64>(report, <f64>problem);
  store<f64>(report, <f64>row, 8);
  store<f64>(report, <f64>column, 16);
  store<f64>(report, largest, 24);
  store<f64>(report, gap, 32);
}

/** x ← factor · x over `count` doubles. */
export function scale(x: usize, count: i32, factor: f64): void {
  const f2 = f64x2.splat(factor);
  let i = 0;
  for (; i + 1 < count; i += 2) v128.store(at(x, i), f64x2.mul(v128.load(at(x, i)), f2));
  if (i < count) store<f64>(at(x, i), load<f64>(at(x, i)) * factor);
}

const BLOCK: i32 = 32;

/**
 * z ← Q z like `applyReflectors`, for many columns: the reflectors are applied 32 at a time as one
 * block reflector I − Y T Yᵀ (LAPACK dlarft/dlarfb), so the work runs in the GEMM kernel rather
 * than as two memory-bound sweeps over z per reflector. `work` needs
 * n·(2·32 + k + 132) + 32·(3·32 + 2k + 72) doubles.
 */
export function applyReflectorsBlocked(a: usize, n: i32, tau: usize, z: usize, k: i32, work: usize): void {
  const reflectors = n - 1;
  const y = work; // m × nb, row-major: column c is reflector g0 + c on rows g0+1..n-1
  const yt = at(y, n * BLOCK); // nb × m
  const t = at(yt, n * BLOCK); // nb × nb, upper triangular (row stride BLOCK)
  const tt = at(t, BLOCK * BLOCK); // Tᵀ, nb × nb compact: the GEMM's left operand for T W
  const gram = at(tt, BLOCK * BLOCK); // Yᵀ Y, nb × nb
  const w = at(gram, BLOCK * BLOCK); // nb × k: Yᵀ Z
  const tw = at(w, BLOCK * k); // nb × k: T Yᵀ Z
  const packed = at(tw, BLOCK * k); // GEMM packing
  for (let g0 = ((reflectors - 1) / BLOCK) * BLOCK; g0 >= 0; g0 -= BLOCK) {
    const nb = min(BLOCK, reflectors - g0);
    const m = n - g0 - 1;
    // Y: unit lower trapezoidal, from the reflectors stored in the rows of a (read along those rows).
    for (let c = 0; c < nb; c++) {
      const r = g0 + c;
      const source = at(a, r * n + g0 + 1);
      const column = at(yt, c * m);
      for (let i = 0; i < m; i++) {
        const value: f64 = i < c ? 0 : i == c ? 1 : load<f64>(at(source, i));
        store<f64>(at(column, i), value);
        store<f64>(at(y, i * nb + c), value);
      }
    }
    // T (forward, columnwise): T[c][c] = τ_c, T[0:c, c] = −τ_c T[0:c, 0:c] (Yᵀ Y)[0:c, c].
    gemmTransposedA(y, y, 0, m, nb, nb, packed, gram);
    for (let c = 0; c < nb; c++) {
      const tc = load<f64>(at(tau, g0 + c));
      for (let i = 0; i < c; i++) {
        let sum: f64 = 0;
        for (let j = i; j < c; j++) sum += load<f64>(at(t, i * BLOCK + j)) * load<f64>(at(gram, j * nb + c));
        store<f64>(at(t, i * BLOCK + c), -tc * sum);
      }
      store<f64>(at(t, c * BLOCK + c), tc);
      for (let i = c + 1; i < nb; i++) store<f64>(at(t, i * BLOCK + c), 0);
    }
    for (let i = 0; i < nb; i++)
      for (let j = 0; j < nb; j++) store<f64>(at(tt, j * nb + i), load<f64>(at(t, i * BLOCK + j)));
    const zBlock = at(z, (g0 + 1) * k);
    // W = Yᵀ Z_block (nb × k), then T W, both by the GEMM.
    gemmTransposedA(y, zBlock, 0, m, nb, k, packed, w);
    gemmTransposedA(tt, w, 0, nb, nb, k, packed, tw);
    // Z_block −= Y (T W), with Y = (Yᵀ)ᵀ, straight into Z.
    gemm(yt, tw, 0, nb, m, k, packed, zBlock, true);
  }
}

/**
 * The k eigenvectors held as columns of z (n×k) written as rows of `out` (k×n), each flipped so its
 * largest-magnitude entry is positive. The transpose goes in 8×8 tiles, so both sides are read and
 * written a cache line at a time.
 */
export function extractVectors(z: usize, n: i32, k: i32, out: usize): void {
  transpose(z, n, k, out);
  for (let c = 0; c < k; c++) {
    const row = at(out, c * n);
    let largest: f64 = 0;
    for (let i = 0; i < n; i++) {
      const x = load<f64>(at(row, i));
      if (Math.abs(x) > Math.abs(largest)) largest = x;
    }
    if (largest < 0) scale(row, n, -1);
  }
}

const TILE: i32 = 8;

/** out (cols×rows) = srcᵀ for src rows×cols, both row-major, in TILE×TILE tiles. */
export function transpose(src: usize, rows: i32, cols: i32, out: usize): void {
  for (let i0 = 0; i0 < rows; i0 += TILE) {
    const iEnd = min(i0 + TILE, rows);
    for (let j0 = 0; j0 < cols; j0 += TILE) {
      const jEnd = min(j0 + TILE, cols);
      for (let i = i0; i < iEnd; i++) {
        const from = at(src, i * cols);
        for (let j = j0; j < jEnd; j++) store<f64>(at(out, j * rows + i), load<f64>(at(from, j)));
      }
    }
  }
}
