# PyTorch's side of bench/train-sae.mjs: one TopK SAE training step of the reference procedure
# (TopK encode, MSE, backward, Adam with the decoder columns' gradient projected out and the columns
# renormalised) on a random batch.
#   python torch_sae_step.py D F K BATCH STEPS THREADS  ->  {"times_ms": [... per step], "torch": version}
# One untimed step first.
import json
import sys
import time

import torch

torch.manual_seed(0)
d, F, k, n, steps, threads = (int(a) for a in sys.argv[1:7])
torch.set_num_threads(threads)
x = torch.randn(n, d)
w_dec = torch.nn.Linear(F, d, bias=False)
with torch.no_grad():
    w_dec.weight /= w_dec.weight.norm(dim=-2, keepdim=True)
w_enc = torch.nn.Linear(d, F, bias=False)
with torch.no_grad():
    w_enc.weight.copy_(w_dec.weight.T)
b_dec = torch.nn.Parameter(torch.zeros(d))
opt = torch.optim.Adam(list(w_enc.parameters()) + [b_dec] + list(w_dec.parameters()), lr=1e-3)


def step():
    h = w_enc(x - b_dec)
    mask = torch.zeros_like(h)
    mask.scatter_(-1, h.topk(k, dim=-1).indices, 1)
    loss = (x - (w_dec(h * mask) + b_dec)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    with torch.no_grad():
        p = w_dec.weight
        unit = p / p.norm(dim=-2, keepdim=True)
        p.grad -= (p.grad * unit).sum(dim=-2, keepdim=True) * unit
    opt.step()
    with torch.no_grad():
        p /= p.norm(dim=-2, keepdim=True)


step()
times = []
for _ in range(steps):
    start = time.perf_counter()
    step()
    times.append((time.perf_counter() - start) * 1000.0)
print(json.dumps({'times_ms': times, 'torch': torch.__version__}))
