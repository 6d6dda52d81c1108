#!/usr/bin/env node
// Benchmark: one TopK SAE training step (the reference procedure: TopK encode, MSE, backward,
// ConstrainedAdam) in @bilinear-lab/training against PyTorch running the same procedure
// (torch.optim.Adam, projection and renormalisation of the decoder columns) on the same machine, in
// the same run, on the same random batch (packages/bench/python/torch_sae_step.py), on the benchmark
// harness (@bilinear-lab/bench): the median milliseconds per step after one untimed step,
// activations per second, and the ratio ours / torch. PyTorch is Debian's python3-torch 1.13 at
// /usr/bin/python3, built on a slow reference BLAS (ENVIRONMENT.md): a check that we are not far off,
// not a speed anchor. Without it the table has our times only and the ratio is null.
//
//   node bench/train-sae.mjs [--shapes 48x192x16x4096,512x2048x30x1024] [--steps 5] [--threads 2]
//        [--torch-python /usr/bin/python3] [--json]
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import {
  describeReference,
  formatRatio,
  machineLine,
  median,
  probePython,
  renderReport,
  runReference,
  timeRepeats,
  unsteadiness,
  unsteadyWarning,
} from '@bilinear-lab/bench';
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
    'torch-python': { type: 'string', default: '/usr/bin/python3' },
    json: { type: 'boolean' },
  },
});
const steps = Number(flags.steps);
const shapes = flags.shapes.split(',').map((text) => {
  const [d, features, k, batch] = text.split('x').map(Number);
  return { d, features, k, batch };
});

const torchReference = probePython(flags['torch-python'], 'torch', process.env);

/** PyTorch's step times for one shape, or null without PyTorch. */
function torchStep({ d, features, k, batch }) {
  if (!torchReference.available) return null;
  return runReference(
    torchReference,
    'torch_sae_step',
    [d, features, k, batch, steps, flags.threads],
    `PyTorch's SAE step failed for d ${d}, F ${features}`,
  ).times_ms;
}

/** Our step times for one shape: one untimed step, then `steps` timed ones. */
function ourStep({ d, features, k, batch }) {
  const next = seededGaussian(0);
  const data = Float32Array.from({ length: batch * d }, () => next());
  const trainer = new TopKSaeTrainer(initialTopKSae(features, d, 0), k, 1e-3, steps + 1);
  return timeRepeats(() => trainer.step(data, batch), { repeats: steps }).timesMs;
}

const rows = shapes.map((shape) => {
  const ours = ourStep(shape);
  const torch = torchStep(shape);
  const warning = unsteadyWarning(
    [unsteadiness('ours', ours), torch && unsteadiness('torch', torch)],
    'ratios',
    `d ${shape.d}, F ${shape.features}`,
  );
  if (warning !== null) process.stderr.write(`bench: ${warning}\n`);
  return {
    ...shape,
    ours_ms: median(ours),
    torch_ms: torch === null ? null : median(torch),
    torch: torchReference.available ? torchReference.version : null,
  };
});
console.log(
  renderReport(
    {
      heading: [
        `one TopK SAE training step (encode, MSE, backward, constrained Adam), ${flags.threads} thread${flags.threads === '1' ? '' : 's'}; median of ${steps} steps after 1 untimed step`,
      ],
      table: {
        rows: [
          ['d', 'F', 'k', 'batch', 'ours ms', 'torch ms', 'ours/torch', 'ours act/s'],
          ...rows.map((row) => [
            String(row.d),
            String(row.features),
            String(row.k),
            String(row.batch),
            row.ours_ms.toFixed(1),
            row.torch_ms === null ? '—' : row.torch_ms.toFixed(1),
            formatRatio(row.torch_ms === null ? null : row.ours_ms / row.torch_ms),
            String(Math.round((row.batch * 1000) / row.ours_ms)),
          ]),
        ],
        align: ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
      },
      notes: [`reference: ${describeReference(torchReference)}`],
      machine: machineLine([torchReference]),
      results: [
        {
          bench: 'train-sae',
          steps,
          threads: Number(flags.threads),
          shapes: rows.map((row) => ({
            ...row,
            ratio: row.torch_ms === null ? null : row.ours_ms / row.torch_ms,
          })),
        },
      ],
    },
    { json: flags.json },
  ),
);
