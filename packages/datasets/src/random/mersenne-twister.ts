// MT19937, the generator behind PyTorch's CPU `torch.manual_seed`: reproducing it lets us rebuild a
// permutation PyTorch drew (the bundled MNIST split) without shipping the permutation.

const N = 624;
const M = 397;

/** A 32-bit MT19937 stream seeded like `std::mt19937(seed)` (init_genrand); returns uint32 values. */
export function mersenneTwister(seed: number): () => number {
  const state = new Uint32Array(N);
  state[0] = seed >>> 0;
  for (let i = 1; i < N; i++) {
    const prev = state[i - 1] ?? 0;
    state[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
  }
  let index = N;
  return () => {
    if (index >= N) {
      for (let k = 0; k < N; k++) {
        const y = ((state[k] ?? 0) & 0x80000000) | ((state[(k + 1) % N] ?? 0) & 0x7fffffff);
        state[k] = (state[(k + M) % N] ?? 0) ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      index = 0;
    }
    let y = state[index++] ?? 0;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  };
}

/**
 * `torch.manual_seed(seed); torch.randperm(n)` on the CPU, as PyTorch 1.13 computes it: a forward
 * Fisher–Yates shuffle where step i swaps i with i + (mt19937() mod (n − i)). Only for n < 2^32 / 20,
 * the range where PyTorch uses this 32-bit path.
 */
export function torchRandperm(n: number, seed: number): Uint32Array {
  if (!Number.isInteger(n) || n < 0 || n >= 0xffffffff / 20) {
    throw new RangeError(`torchRandperm: n must be an integer in [0, 2^32 / 20), got ${n}`);
  }
  const next = mersenneTwister(seed);
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = 0; i < n - 1; i++) {
    const j = i + (next() % (n - i));
    const swap = perm[i] ?? 0;
    perm[i] = perm[j] ?? 0;
    perm[j] = swap;
  }
  return perm;
}
