// Float32 kernels of a bilinear network's training step, compiled to WebAssembly with 128-bit SIMD.
//
// The products of a step are C (+)= op(A)·op(B) with either operand possibly transposed; the
// transposed reads are folded into how A is walked and how B is packed, so no transposed copy of an
// activation is ever made (tfjs-wasm transposes them explicitly: a sixth of its step). The
// microkernel keeps a 4×8 tile of C in eight registers and reads A by 32-bit splat loads; on this
// project's development machine it runs at ≈ 52 GFLOP/s on one core where XNNPACK's f32 GEMM under
// tfjs-wasm reaches ≈ 38 (see README, "bilinear bench train"). Everything works on buffers the
// TypeScript side lays out in linear memory; nothing here allocates.

/** First free byte above the module's static data: the TypeScript side places buffers from here. */
export function heapBase(): usize {
  return __heap_base;
}

/** Depth of one packed panel of B: 256 × 8 floats (8 KiB) stay in L1 while a column of tiles runs. */
const KC: i32 = 256;
/** Rows (of C) per microkernel tile, and columns: two 4-lane vectors. */
const MR: i32 = 4;
const NR: i32 = 8;

/**
 * Packs op(B)[k0 .. k0+kc, j0 .. j0+8) into `packed` as kc rows of 8 floats, zero past column n.
 * op(B) is [k, n]: B stored [k, n] (ldb = n floats), or with `transB` stored [n, k] (ldb = k).
 */
function packPanel(
  b: usize,
  ldb: i32,
  transB: bool,
  n: i32,
  k0: i32,
  kc: i32,
  j0: i32,
  packed: usize,
): void {
  const width = min(NR, n - j0);
  if (!transB && width == NR) {
    let src = b + ((<usize>k0 * ldb + j0) << 2);
    const step = <usize>ldb << 2;
    for (let k = 0; k < kc; k++) {
      v128.store(packed, v128.load(src));
      v128.store(packed, v128.load(src, 16), 16);
      src += step;
      packed += NR << 2;
    }
    return;
  }
  for (let k = 0; k < kc; k++) {
    for (let j = 0; j < NR; j++) {
      let value: f32 = 0;
      if (j < width) {
        const row = transB ? j0 + j : k0 + k;
        const col = transB ? k0 + k : j0 + j;
        value = load<f32>(b + ((<usize>row * ldb + col) << 2));
      }
      store<f32>(packed + ((<usize>(k * NR + j)) << 2), value);
    }
  }
}

/**
 * C[4, 8] (+)= A-tile · packed panel over kc steps. Element (r, k) of the A tile is at
 * a + r·rowStep + k·kStep (bytes), which covers both a row-major A and a transposed one.
 */
@inline function tile4x8(
  a: usize,
  rowStep: usize,
  kStep: usize,
  packed: usize,
  c: usize,
  ldc: usize,
  kc: i32,
  accumulate: bool,
): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  const r2 = rowStep << 1;
  const r3 = rowStep * 3;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(packed);
    const b1 = v128.load(packed, 16);
    packed += NR << 2;
    let x = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(x, b0));
    c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(a + rowStep);
    c10 = f32x4.add(c10, f32x4.mul(x, b0));
    c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(a + r2);
    c20 = f32x4.add(c20, f32x4.mul(x, b0));
    c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(a + r3);
    c30 = f32x4.add(c30, f32x4.mul(x, b0));
    c31 = f32x4.add(c31, f32x4.mul(x, b1));
    a += kStep;
  }
  if (accumulate) {
    c00 = f32x4.add(c00, v128.load(c));
    c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + ldc));
    c11 = f32x4.add(c11, v128.load(c + ldc, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * ldc));
    c21 = f32x4.add(c21, v128.load(c + 2 * ldc, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * ldc));
    c31 = f32x4.add(c31, v128.load(c + 3 * ldc, 16));
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + ldc, c10);
  v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20);
  v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30);
  v128.store(c + 3 * ldc, c31, 16);
}

/** One row of C against the panel: the rows left over when m is not a multiple of 4. */
@inline function tile1x8(a: usize, kStep: usize, packed: usize, c: usize, kc: i32, accumulate: bool): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const x = v128.load32_splat(a);
    c0 = f32x4.add(c0, f32x4.mul(x, v128.load(packed)));
    c1 = f32x4.add(c1, f32x4.mul(x, v128.load(packed, 16)));
    packed += NR << 2;
    a += kStep;
  }
  if (accumulate) {
    c0 = f32x4.add(c0, v128.load(c));
    c1 = f32x4.add(c1, v128.load(c, 16));
  }
  v128.store(c, c0);
  v128.store(c, c1, 16);
}

/**
 * C[m, n] = op(A)·op(B), or C += op(A)·op(B) with `accumulate`. op(A) is [m, k]: A stored [m, k],
 * or with `transA` stored [k, m]; op(B) is [k, n]: B stored [k, n], or with `transB` stored [n, k].
 * All row-major float32. `scratch` holds KC·8 + 4·8 floats: the packed panel and an edge tile.
 */
export function matmul(
  a: usize,
  b: usize,
  c: usize,
  m: i32,
  k: i32,
  n: i32,
  transA: bool,
  transB: bool,
  accumulate: bool,
  scratch: usize,
): void {
  const packed = scratch;
  const edge = scratch + ((<usize>KC * NR) << 2);
  const rowStep: usize = transA ? 4 : <usize>k << 2;
  const kStep: usize = transA ? <usize>m << 2 : 4;
  const ldb = transB ? k : n;
  const ldc: usize = <usize>n << 2;
  const fullRows = m - (m % MR);
  if (k == 0 && !accumulate) {
    memory.fill(c, 0, (<usize>m * n) << 2);
    return;
  }
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    const add = accumulate || k0 > 0;
    const aAtK = a + <usize>k0 * kStep;
    for (let j0 = 0; j0 < n; j0 += NR) {
      packPanel(b, ldb, transB, n, k0, kc, j0, packed);
      const width = min(NR, n - j0);
      if (width == NR) {
        for (let i0 = 0; i0 < fullRows; i0 += MR) {
          tile4x8(aAtK + <usize>i0 * rowStep, rowStep, kStep, packed, c + ((<usize>i0 * n + j0) << 2), ldc, kc, add);
        }
        for (let i = fullRows; i < m; i++) {
          tile1x8(aAtK + <usize>i * rowStep, kStep, packed, c + ((<usize>i * n + j0) << 2), kc, add);
        }
        continue;
      }
      // A partial panel at the right edge: tiles go to `edge`, then their valid columns into C.
      for (let i0 = 0; i0 < m; i0 += MR) {
        const rows = min(MR, m - i0);
        if (rows == MR) tile4x8(aAtK + <usize>i0 * rowStep, rowStep, kStep, packed, edge, NR << 2, kc, false);
        else {
          for (let r = 0; r < rows; r++) {
            tile1x8(aAtK + <usize>(i0 + r) * rowStep, kStep, packed, edge + ((<usize>r * NR) << 2), kc, false);
          }
        }
        for (let r = 0; r < rows; r++) {
          const out = c + ((<usize>(i0 + r) * n + j0) << 2);
          const from = edge + ((<usize>r * NR) << 2);
          for (let j = 0; j < width; j++) {
            const value = load<f32>(from + (<usize>j << 2));
            const at = out + (<usize>j << 2);
            store<f32>(at, add ? load<f32>(at) + value : value);
          }
        }
      }
    }
  }
}

/** out[i] = a[i] · b[i] for i < count: the bilinear layer's output. */
export function hadamard(a: usize, b: usize, out: usize, count: i32): void {
  const vectors = count & ~3;
  let i = 0;
  for (; i < vectors; i += 4) {
    const at = <usize>i << 2;
    v128.store(out + at, f32x4.mul(v128.load(a + at), v128.load(b + at)));
  }
  for (; i < count; i++) {
    const at = <usize>i << 2;
    store<f32>(out + at, load<f32>(a + at) * load<f32>(b + at));
  }
}

/** da = dg ∘ b and db = dg ∘ a: the gradients of g = a ∘ b's two factors. */
export function hadamardBackward(dg: usize, a: usize, b: usize, da: usize, db: usize, count: i32): void {
  const vectors = count & ~3;
  let i = 0;
  for (; i < vectors; i += 4) {
    const at = <usize>i << 2;
    const g = v128.load(dg + at);
    v128.store(da + at, f32x4.mul(g, v128.load(b + at)));
    v128.store(db + at, f32x4.mul(g, v128.load(a + at)));
  }
  for (; i < count; i++) {
    const at = <usize>i << 2;
    const g = load<f32>(dg + at);
    store<f32>(da + at, g * load<f32>(b + at));
    store<f32>(db + at, g * load<f32>(a + at));
  }
}

/** out[i] = a[i] + b[i]: residual connections, forward and backward. */
export function add(a: usize, b: usize, out: usize, count: i32): void {
  const vectors = count & ~3;
  let i = 0;
  for (; i < vectors; i += 4) {
    const at = <usize>i << 2;
    v128.store(out + at, f32x4.add(v128.load(a + at), v128.load(b + at)));
  }
  for (; i < count; i++) {
    const at = <usize>i << 2;
    store<f32>(out + at, load<f32>(a + at) + load<f32>(b + at));
  }
}

/**
 * x[i] += std · z for i < count, with z the standard normal quantile of the i-th word of the
 * core's mulberry32 generator from `state` (its state after the draws already taken), read from
 * the 2¹⁶ + 1 float32 quantiles at `table` and interpolated: the same arithmetic, in the same
 * order and precision, as gaussian-noise.ts's addSeededGaussianNoise, so the same numbers bit for
 * bit at about twice the speed.
 */
export function addSeededNoise(x: usize, count: i32, std: f64, state: u32, table: usize): void {
  for (let i = 0; i < count; i++) {
    state += 0x6d2b79f5;
    let t = (state ^ (state >>> 15)) * (state | 1);
    t ^= t + (t ^ (t >>> 7)) * (t | 61);
    const word = t ^ (t >>> 14);
    const at = table + (<usize>(word >>> 16) << 2);
    const low = <f64>load<f32>(at);
    const z = low + (<f64>load<f32>(at, 4) - low) * (<f64>(word & 0xffff) / 65536.0);
    const p = x + (<usize>i << 2);
    store<f32>(p, <f32>(<f64>load<f32>(p) + std * z));
  }
}
