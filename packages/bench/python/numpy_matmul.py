# numpy's float32 n x n by n x n product through its BLAS: what this machine's cores reach on the
# operation training is made of, the roofline of `bilinear bench train`.
#   python numpy_matmul.py N REPEATS  ->  {"times_ms": [...]}
# One untimed product first, then REPEATS timed ones; the harness takes the median.
import json
import sys
import time

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
    times.append((time.perf_counter() - start) * 1000.0)
json.dump({'times_ms': times}, sys.stdout)
