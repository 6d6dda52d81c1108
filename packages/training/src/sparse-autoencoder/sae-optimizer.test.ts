// The SAE optimiser against the reference procedure written in PyTorch (the reference's SAE module,
// ConstrainedAdam and CosineAnnealingLR(total, 2e-5), as src/sae/sae.py has them): same initial
// weights and same batches, the same weights after every step. Needs Debian's python3-torch at
// /usr/bin/python3; skipped (saying so) without it. The schedule is checked on its own everywhere.
import { execFileSync, spawnSync } from 'node:child_process';
import { seededGaussian } from '@bilinear-lab/core';
import { describe, expect, it } from 'vitest';
import { SAE_MIN_LR, saeLearningRates, TopKSaeTrainer } from './sae-optimizer.js';
import { initialTopKSae } from './topk-sae.js';

const TORCH_PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

// The reference (tdooms/bilinear-decomposition src/sae/sae.py) reduced to what one training step
// touches: SAE.encode/decode, ConstrainedAdam, the fit loop's optimiser and scheduler.
const TORCH_SAE = `
import json, sys, torch
from torch import nn

class ConstrainedAdam(torch.optim.Adam):
    def __init__(self, params, constrained_params, lr, dim=-2):
        super().__init__(params, lr=lr)
        self.dim = dim
        self.constrained_params = list(constrained_params)

    def step(self, closure=None):
        with torch.no_grad():
            for p in self.constrained_params:
                normed_p = p / p.norm(dim=self.dim, keepdim=True)
                p.grad -= (p.grad * normed_p).sum(dim=self.dim, keepdim=True) * normed_p
        super().step(closure=closure)
        with torch.no_grad():
            for p in self.constrained_params:
                p /= p.norm(dim=self.dim, keepdim=True)

class SAE(nn.Module):
    def __init__(self, d, F, k):
        super().__init__()
        self.k = k
        self.w_dec = nn.Linear(F, d, bias=False)
        self.w_enc = nn.Linear(d, F, bias=False)
        self.b_dec = nn.Parameter(torch.zeros(d))

    def encode(self, x):
        x_hid = self.w_enc(x - self.b_dec)
        indices = x_hid.topk(self.k, dim=-1).indices
        mask = torch.zeros_like(x_hid)
        mask.scatter_(-1, indices, 1)
        return x_hid * mask

    def forward(self, x):
        return self.w_dec(self.encode(x)) + self.b_dec

d = json.load(sys.stdin)
sae = SAE(d['d'], d['F'], d['k'])
with torch.no_grad():
    sae.w_enc.weight.copy_(torch.tensor(d['w_enc'], dtype=torch.float32).view(d['F'], d['d']))
    sae.w_dec.weight.copy_(torch.tensor(d['w_dec'], dtype=torch.float32).view(d['d'], d['F']))
    sae.b_dec.copy_(torch.tensor(d['b_dec'], dtype=torch.float32))
parameters = [
    dict(params=list(sae.w_enc.parameters()) + [sae.b_dec], weight_decay=0.0),
    dict(params=sae.w_dec.parameters(), weight_decay=0.0),
]
total = len(d['batches'])
optimizer = ConstrainedAdam(parameters, [sae.w_dec.weight], lr=d['lr'])
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, total, 2e-5)
steps = []
for batch in d['batches']:
    x = torch.tensor(batch, dtype=torch.float32).view(-1, d['d'])
    lr = optimizer.param_groups[0]['lr']
    loss = (x - sae(x)).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    steps.append({'mse': loss.item(), 'lr': lr,
                  'w_enc': sae.w_enc.weight.detach().flatten().tolist(),
                  'w_dec': sae.w_dec.weight.detach().flatten().tolist(),
                  'b_dec': sae.b_dec.detach().tolist()})
print(json.dumps(steps))
`;

interface TorchStep {
  mse: number;
  lr: number;
  w_enc: number[];
  w_dec: number[];
  b_dec: number[];
}

function maxDifference(ours: ArrayLike<number>, theirs: readonly number[]): number {
  expect(ours.length).toBe(theirs.length);
  let worst = 0;
  for (let i = 0; i < theirs.length; i++)
    worst = Math.max(worst, Math.abs((ours[i] as number) - (theirs[i] as number)));
  return worst;
}

describe('the SAE learning rate', () => {
  it("is the reference's CosineAnnealingLR(T, 2e-5) closed form: lr at the first step, 2e-5 at T, no warm-up", () => {
    const lr = 1e-3;
    const schedule = saeLearningRates(lr, 100);
    expect(schedule.learningRateAt(0)).toBe(lr);
    expect(schedule.learningRateAt(50)).toBeCloseTo((lr + SAE_MIN_LR) / 2, 15);
    expect(schedule.learningRateAt(100)).toBeCloseTo(SAE_MIN_LR, 15);
    expect(saeLearningRates(1e-5, 10).learningRateAt(5)).toBe(1e-5);
  });
});

describe('TopKSaeTrainer against torch (the reference procedure)', () => {
  const d = 8;
  const features = 32;
  const k = 4;
  const rows = 64;
  const steps = 20;
  const lr = 1e-3;
  const next = seededGaussian(77);
  // Inputs with an offset and unequal scales, so b_dec and every direction move.
  const batches = Array.from({ length: steps }, () =>
    Float32Array.from({ length: rows * d }, (_, i) => 0.3 * (i % d) - 0.8 + (1 + (i % 3)) * next()),
  );
  const title = hasTorch
    ? 'gives the same weights after every one of 20 steps to 1e-5, and the same MSE and learning rate'
    : `gives the same weights as torch (skipped: ${TORCH_PYTHON} cannot import torch; apt-get install python3-torch)`;

  it.skipIf(!hasTorch)(title, () => {
    const sae = initialTopKSae(features, d, 9);
    const input = {
      d,
      F: features,
      k,
      lr,
      w_enc: Array.from(sae.encoder),
      w_dec: Array.from(sae.decoder),
      b_dec: Array.from(sae.decoderBias),
      batches: batches.map((batch) => Array.from(batch)),
    };
    const reference = JSON.parse(
      execFileSync(TORCH_PYTHON, ['-c', TORCH_SAE], {
        input: JSON.stringify(input),
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      }),
    ) as TorchStep[];
    const trainer = new TopKSaeTrainer(sae, k, lr, steps);
    const initialEncoder = sae.encoder.slice();
    batches.forEach((batch, step) => {
      const metrics = trainer.step(batch, rows);
      const expected = reference[step] as TorchStep;
      expect(metrics.learningRate).toBeCloseTo(expected.lr, 12);
      expect(Math.abs(metrics.mse - expected.mse)).toBeLessThan(1e-5 * expected.mse);
      expect(maxDifference(sae.encoder, expected.w_enc), `w_enc after step ${step + 1}`).toBeLessThan(1e-5);
      expect(maxDifference(sae.decoder, expected.w_dec), `w_dec after step ${step + 1}`).toBeLessThan(1e-5);
      expect(maxDifference(sae.decoderBias, expected.b_dec), `b_dec after step ${step + 1}`).toBeLessThan(
        1e-5,
      );
    });
    // The comparison means something: the weights moved by far more than the tolerance.
    expect(maxDifference(sae.encoder, Array.from(initialEncoder))).toBeGreaterThan(5e-3);
  });
});
