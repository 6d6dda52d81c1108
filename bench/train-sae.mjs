#!/usr/bin/env node
// Benchmark: one TopK SAE training step (the reference procedure: TopK encode, MSE, backward,
// ConstrainedAdam) in @bilinear-lab/training against PyTorch running the same procedure
// (torch.optim.Adam, projection and renormalisation of the decoder columns) on the same machine, in
// the same run, on the same random batch: milliseconds per step, activations per second, and the
// ratio ours / torch. PyTorch is Debian's python3-torch 1.13 at /usr/bin/python3, built on a slow
// reference BLAS (ENVIRONMENT.md): a check that we are not far off, not a speed anchor. Without it
// the table has our times only and the ratio is null.
//
//   node bench/train-sae.mjs [--shapes 48x192x16x4096,512x2048x30x1024] [--steps 5] [--threads 2] [--json]
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { seededGaussian } from '@bilinear-lab/core';
import { initialTopKSae, TopKSaeTrainer } from '@bilinear-lab/training';

// As the CLI runs: V8's optimising wasm tier from the first call (the GEMM kernel).
setFlagsFromString('--no-liftoff');
setFlagsFromString('--no-wasm-lazy-compilation');

const { values: flags } = parseArgs({
  options: {
    shapes: { type: 'string', default: '48x192x16x4096,512x2048x30x1024' },
    steps: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    json: { type: 'boolean' },
  },
});
const steps = Number(flags.steps);
const shapes = flags.shapes.split(',').map((text) => {
  const [d, features, k, batch] = text.split('x').map(Number);
  return { d, features, k, batch };
});

const TORCH = `
import json, sys, time, torch
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
start = time.perf_counter()
for _ in range(steps):
    step()
print(json.dumps({"ms": (time.perf_counter() - start) / steps * 1000, "torch": torch.__version__}))
`;

function torchStep({ d, features, k, batch }) {
  const run = spawnSync(
    '/usr/bin/python3',
    ['-c', TORCH, String(d), String(features), String(k), String(batch), String(steps), flags.threads],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) return null;
  return JSON.parse(run.stdout.trim());
}

function ourStep({ d, features, k, batch }) {
  const next = seededGaussian(0);
  const data = Float32Array.from({ length: batch * d }, () => next());
  const trainer = new TopKSaeTrainer(initialTopKSae(features, d, 0), k, 1e-3, steps + 1);
  trainer.step(data, batch);
  const start = performance.now();
  for (let s = 0; s < steps; s++) trainer.step(data, batch);
  return (performance.now() - start) / steps;
}

const rows = shapes.map((shape) => {
  const ours = ourStep(shape);
  const torch = torchStep(shape);
  return { ...shape, ours_ms: ours, torch_ms: torch?.ms ?? null, torch: torch?.torch ?? null };
});
const pad = (text, width) => String(text).padStart(width);
console.log(
  `${pad('d', 5)} ${pad('F', 6)} ${pad('k', 4)} ${pad('batch', 6)} ${pad('ours ms', 9)} ${pad('torch ms', 9)} ${pad('ours/torch', 10)} ${pad('ours act/s', 11)}`,
);
for (const row of rows) {
  const ratio = row.torch_ms === null ? 'n/a' : (row.ours_ms / row.torch_ms).toFixed(2);
  console.log(
    `${pad(row.d, 5)} ${pad(row.features, 6)} ${pad(row.k, 4)} ${pad(row.batch, 6)} ${pad(row.ours_ms.toFixed(1), 9)} ` +
      `${pad(row.torch_ms === null ? 'n/a' : row.torch_ms.toFixed(1), 9)} ${pad(ratio, 10)} ${pad(Math.round((row.batch * 1000) / row.ours_ms), 11)}`,
  );
}
if (rows.some((row) => row.torch_ms === null)) {
  console.log('(no torch at /usr/bin/python3: apt-get install python3-torch for the reference column)');
}
console.log(
  JSON.stringify({
    bench: 'train-sae',
    steps,
    threads: Number(flags.threads),
    shapes: rows.map((row) => ({
      ...row,
      ratio: row.torch_ms === null ? null : row.ours_ms / row.torch_ms,
    })),
  }),
);
