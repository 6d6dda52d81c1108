# PyTorch training the bilinear MNIST classifier of `bilinear bench train`, on the same batch size.
#   python torch_train.py INPUTS D CLASSES BATCH STEPS WARMUP THREADS NOISE
#     ->  {"samples_per_s": ..., "version": ..., "threads": ..., "blas": ...}
# embed -> one bilinear block (W and V stacked as one [2d, d] Linear, as the reference layout) ->
# head, no biases; AdamW (lr 1e-3, weight decay 0.5), cross-entropy, Gaussian input noise drawn
# every step like ours. Random pixels and labels: the time of a step does not depend on the data.
import json
import sys
import time

import torch

inputs, d, classes, batch, steps, warmup, threads, noise = sys.argv[1:9]
inputs, d, classes, batch, steps, warmup, threads = map(int, (inputs, d, classes, batch, steps, warmup, threads))
noise = float(noise)
torch.manual_seed(0)
torch.set_num_threads(threads)


class Bilinear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Linear(inputs, d, bias=False)
        self.block = torch.nn.Linear(d, 2 * d, bias=False)
        self.head = torch.nn.Linear(d, classes, bias=False)

    def forward(self, x):
        left, right = self.block(self.embed(x)).chunk(2, dim=-1)
        return self.head(left * right)


model = Bilinear()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.5)
loss_fn = torch.nn.CrossEntropyLoss()
x = torch.rand(batch, inputs)
y = torch.randint(0, classes, (batch,))


def step():
    optimizer.zero_grad(set_to_none=True)
    loss = loss_fn(model(x + noise * torch.randn_like(x)), y)
    loss.backward()
    optimizer.step()


for _ in range(warmup):
    step()
start = time.perf_counter()
for _ in range(steps):
    step()
seconds = time.perf_counter() - start
blas = [part.split('=', 1)[1] for part in torch.__config__.show().replace(',', ' ').split() if part.startswith('BLAS_INFO=')]
print(json.dumps({'samples_per_s': batch * steps / seconds, 'version': torch.__version__, 'threads': torch.get_num_threads(), 'blas': blas[0] if blas else None}))
