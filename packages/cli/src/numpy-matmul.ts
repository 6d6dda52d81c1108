import { spawnSync } from 'node:child_process';
import type { NumpyReference } from './numpy-eigh.js';

// numpy's float32 matrix product through its BLAS: what this machine's cores reach on the operation
// training is made of, the roofline `bench train` measures itself against.

export interface NumpyMatmulResult {
  /** 2n³ / the median time of the timed products, in GFLOP/s. */
  gflops: number;
  timesMs: number[];
}

const TIMER = `
import json, sys, time
import numpy as np
n, repeats = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
a = rng.standard_normal((n, n), dtype=np.float32)
b = rng.standard_normal((n, n), dtype=np.float32)
a @ b
times = []
for _ in range(repeats):
    start = time.perf_counter()
    a @ b
    times.append(time.perf_counter() - start)
json.dump({'gflops': 2.0 * n ** 3 / float(np.median(times)) / 1e9, 'times_ms': [t * 1000.0 for t in times]}, sys.stdout)
`;

/** Times n × n by n × n float32 products in numpy: one warm-up, then the median of `repeats`. */
export function timeNumpyMatmul(reference: NumpyReference, n: number, repeats: number): NumpyMatmulResult {
  const run = spawnSync(reference.python, ['-c', TIMER, String(n), String(repeats)], {
    env: reference.env,
    encoding: 'utf8',
  });
  if (run.error || run.status !== 0) {
    throw new Error(
      `numpy float32 matmul failed for n = ${n}: ${run.error?.message ?? (run.stderr.trim() || `exit status ${run.status}`)}`,
    );
  }
  const result = JSON.parse(run.stdout) as { gflops: number; times_ms: number[] };
  return { gflops: result.gflops, timesMs: result.times_ms };
}
