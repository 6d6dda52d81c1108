/**
 * Mulberry32: a small, fast, well-mixed 32-bit generator, uniform in [0, 1). Everything seeded in
 * bilinear-lab (initial weights, shuffles, noise, permutations, test inputs) draws from it, so a
 * seed means the same stream in every package.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box–Muller, from the same stream. */
export function seededGaussian(seed: number): () => number {
  const uniform = seededRandom(seed);
  return () => {
    const u = 1 - uniform();
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** Fisher–Yates: shuffles `items` in place with draws from `random` (uniform in [0, 1)) and returns it. */
export function shuffleInPlace<T extends { length: number; [index: number]: unknown }>(
  random: () => number,
  items: T,
): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = items[i];
    items[i] = items[j];
    items[j] = swap;
  }
  return items;
}

/** A seeded permutation of 0..n-1. */
export function seededPermutation(n: number, seed: number): Int32Array {
  return shuffleInPlace(
    seededRandom(seed),
    Int32Array.from({ length: n }, (_, i) => i),
  );
}
