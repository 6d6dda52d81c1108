# numpy's side of `bilinear bench lm-decompose`: for each sampled direction u,
# Q(u) = 1/2 (W^T diag(P^T u) V + transpose) by einsum (optimize=True: through BLAS), optionally
# 1/2 (D^T Q D + transpose) over an input SAE's decoder D, then eigh; timed per direction.
#   python numpy_lm_decompose.py LAYER.f64 D H N [F DECODER.f64]
#     ->  {"times_ms": [... per direction], "values": [[...descending] per direction]}
# LAYER.f64 holds W (h x d), V (h x d), P (d x h) and the N directions (N x d), float64 row-major.
import json
import sys
import time

import numpy as np

path, d, h, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
raw = np.fromfile(path, dtype='<f8')
W = raw[:h * d].reshape(h, d)
V = raw[h * d:2 * h * d].reshape(h, d)
P = raw[2 * h * d:3 * h * d].reshape(d, h)
U = raw[3 * h * d:].reshape(n, d)
D = None
if len(sys.argv) > 5:
    F = int(sys.argv[5])
    D = np.fromfile(sys.argv[6], dtype='<f8').reshape(d, F)
times, values = [], []
for u in U:
    start = time.perf_counter()
    c = P.T @ u
    M = np.einsum('k,ki,kj->ij', c, W, V, optimize=True)
    M = 0.5 * (M + M.T)
    if D is not None:
        M = D.T @ M @ D
        M = 0.5 * (M + M.T)
    w = np.linalg.eigh(M)[0]
    times.append((time.perf_counter() - start) * 1000.0)
    values.append(w[::-1].tolist())
json.dump({'times_ms': times, 'values': values}, sys.stdout)
