/**
 * Fast seeded Gaussian noise for input regularisation: millions of samples per step, so instead of
 * Box–Muller (a log, a square root and a cosine per pair) each sample inverts the normal CDF by
 * table: the top 16 bits of a 32-bit random word pick one of 2¹⁶ equal-probability cells, the low
 * 16 bits interpolate linearly inside it. The result follows N(0, 1) to within the table's resolution
 * (cell width ≤ 0.0005σ in the bulk; tails clipped at ±4.4σ, a 1-in-100 000 event).
 */
const CELLS = 1 << 16;
let quantiles: Float32Array | undefined;

/** The 2¹⁶ + 1 cell edges, computed once per thread (the wasm kernels take a copy). */
export function quantileTable(): Float32Array {
  if (quantiles) return quantiles;
  const table = new Float32Array(CELLS + 1);
  // Cell edges at probabilities (i + 0.5) / (CELLS + 1): finite at both ends.
  for (let i = 0; i <= CELLS; i++) table[i] = inverseNormalCdf((i + 0.5) / (CELLS + 1));
  quantiles = table;
  return table;
}

/** x[i] += std · z with z ~ N(0, 1), for every i in [start, end). */
export function addGaussianNoise(
  x: Float32Array,
  start: number,
  end: number,
  std: number,
  random: () => number,
) {
  const table = quantileTable();
  for (let i = start; i < end; i++) {
    const word = (random() * 4294967296) >>> 0;
    const cell = word >>> 16;
    const fraction = (word & 0xffff) / 65536;
    const low = table[cell] as number;
    const z = low + ((table[cell + 1] as number) - low) * fraction;
    x[i] = (x[i] as number) + std * z;
  }
}

/**
 * addGaussianNoise(x, start, end, std, seededRandom(seed)) after `skip` draws of that generator,
 * with the generator (the core's mulberry32) written into the loop: the same numbers bit for bit,
 * without a closure call and a float round trip per sample. A batch draws millions of them.
 */
export function addSeededGaussianNoise(
  x: Float32Array,
  start: number,
  end: number,
  std: number,
  seed: number,
  skip = 0,
) {
  const table = quantileTable();
  let state = noiseState(seed, skip);
  for (let i = start; i < end; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const word = (t ^ (t >>> 14)) >>> 0;
    const cell = word >>> 16;
    const low = table[cell] as number;
    const z = low + ((table[cell + 1] as number) - low) * ((word & 0xffff) / 65536);
    x[i] = (x[i] as number) + std * z;
  }
}

/** seededRandom(seed)'s internal state after `skip` draws. */
export function noiseState(seed: number, skip: number): number {
  return ((seed >>> 0) + skip * 0x6d2b79f5) >>> 0;
}

/** Adds noise to x[start, end) as addSeededGaussianNoise does (the wasm kernels supply their own). */
export type AddNoise = (
  x: Float32Array,
  start: number,
  end: number,
  std: number,
  seed: number,
  skip?: number,
) => void;

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
export function inverseNormalCdf(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const poly = (coefficients: number[], x: number) => coefficients.reduce((sum, k) => sum * x + k, 0);
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -poly(c, q) / (poly(d, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}
