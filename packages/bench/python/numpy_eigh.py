# numpy.linalg.eigh (LAPACK syevd through numpy's BLAS), the reference of `bilinear bench eig`.
#   python numpy_eigh.py MATRIX.f64 N REPEATS  ->  {"times_ms": [...], "values": [...descending]}
# One untimed call first, then REPEATS timed calls; the harness takes the median.
import json
import sys
import time

import numpy as np

path, n, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
a = np.fromfile(path, dtype='<f8').reshape(n, n)
np.linalg.eigh(a)
times = []
for _ in range(repeats):
    start = time.perf_counter()
    w, v = np.linalg.eigh(a)
    times.append((time.perf_counter() - start) * 1000.0)
json.dump({'times_ms': times, 'values': w[::-1].tolist()}, sys.stdout)
