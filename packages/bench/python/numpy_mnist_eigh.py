# numpy's side of bench/decompose-mnist.mjs: the interaction matrices of every class of an
# MNIST-layout model, Q(e_c) = 1/2 (W^T diag(head_c) V + V^T diag(head_c) W) in float64, then only
# the eigh calls are timed: all classes per run.
#   python numpy_mnist_eigh.py MODEL.safetensors REPEATS  ->  {"times_ms": [... per run of all classes]}
# Two untimed eigh calls first (BLAS threads, LAPACK workspace).
import json
import struct
import sys
import time

import numpy as np

raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])


def tensor(name):
    info = header[name]
    a, b = info['data_offsets']
    return np.frombuffer(raw[8 + n + a:8 + n + b], dtype='<f4').reshape(info['shape']).astype(np.float64)


blocks, head = tensor('blocks.0.weight'), tensor('head.weight')
h = blocks.shape[0] // 2
W, V = blocks[:h], blocks[h:]
Qs = []
for c in range(head.shape[0]):
    G = W.T @ (head[c][:, None] * V)
    Qs.append(0.5 * (G + G.T))
for Q in Qs[:2]:
    np.linalg.eigh(Q)
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    for Q in Qs:
        np.linalg.eigh(Q)
    times.append((time.perf_counter() - start) * 1000.0)
json.dump({'times_ms': times, 'classes': len(Qs)}, sys.stdout)
