#!/usr/bin/env node
// Benchmark: where one gradient thread's share of an MNIST training step goes, phase by phase, on
// the wasm backend: the batch's rows and input noise, then the gradients — on tfjs's ops (the
// reference) and on the training package's wasm kernels, alternating in the same process on the
// same batch — and AdamW, which the main thread runs while the threads wait. `bilinear bench train`
// times whole steps; this says which part of a step to look at. On the benchmark harness: medians
// of --repeats runs after one untimed run, a table and a JSON line with the ratio tfjs / kernels.
//
//   node bench/train-step-phases.mjs [--hidden 256] [--rows 1024] [--repeats 10] [--json]
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import {
  formatMilliseconds,
  formatRatio,
  machineLine,
  median,
  renderReport,
  roundTo,
  unsteadiness,
  unsteadyWarning,
} from '@bilinear-lab/bench';
import { seededRandom } from '@bilinear-lab/core';
import {
  AdamW,
  assembleBatch,
  BatchGradients,
  initialParameters,
  selectBackend,
} from '@bilinear-lab/training';

// As the CLI runs: V8's optimising wasm tier from the first call.
setFlagsFromString('--no-liftoff');
setFlagsFromString('--no-wasm-lazy-compilation');

const { values: flags } = parseArgs({
  options: {
    hidden: { type: 'string', default: '256' },
    rows: { type: 'string', default: '1024' },
    repeats: { type: 'string', default: '10' },
    json: { type: 'boolean' },
  },
});
const hidden = Number(flags.hidden);
const rows = Number(flags.rows);
const repeats = Number(flags.repeats);
for (const [name, value] of [
  ['--hidden', hidden],
  ['--rows', rows],
  ['--repeats', repeats],
]) {
  if (!Number.isInteger(value) || value < 1) {
    console.error(`train-step-phases: ${name} must be a whole number ≥ 1`);
    process.exit(2);
  }
}

await selectBackend('wasm');
// The default MNIST classifier and its training split's size; pixel values are uniform in [0, 1)
// (no phase's time depends on them).
const shape = {
  inputDim: 784,
  hiddenDim: hidden,
  layers: 1,
  outputDim: 10,
  embed: true,
  residual: false,
  gate: 'none',
  loss: 'cross-entropy',
};
const count = 8000;
const random = seededRandom(1);
const split = {
  count,
  inputs: Float32Array.from({ length: count * shape.inputDim }, () => random()),
  labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
  targets: null,
};
const batchRows = Int32Array.from({ length: rows }, (_, i) => (i * 7919) % count);
const parameters = initialParameters(shape, 42);
const tfjsOps = new BatchGradients(shape, rows, { kernels: false });
const kernels = new BatchGradients(shape, rows, { kernels: true });
if (!kernels.kernels) throw new Error('the wasm kernels did not load');

let seed = 0;
const request = () => ({ rows: batchRows, inputNoise: { std: 0.4, probability: 1 }, latentNoise: 0, seed });
const assemble = (on) => () =>
  assembleBatch(split, shape.outputDim, request(), 0, rows, on.inputs, on.targets, on.addNoise);
const gradients = (on) => () => on.compute(parameters, rows, { latentNoise: 0, seed });

// Alternate the two sides run by run, so the machine's load falls on both alike.
const times = { batchOps: [], batchKernels: [], gradOps: [], gradKernels: [], adamw: [] };
const optimizer = new AdamW(parameters, { weightDecay: 0.5 });
const gradientMeans = parameters.map((p) => ({
  name: p.name,
  shape: p.shape,
  values: new Float32Array(p.values.length),
}));
for (let run = 0; run <= repeats; run++) {
  seed = run;
  // Run 0 is the untimed warm-up (first-call compilation, allocations).
  const timed = async (key, work) => {
    const started = performance.now();
    await work();
    if (run > 0) times[key].push(performance.now() - started);
  };
  await timed('batchOps', assemble(tfjsOps));
  await timed('batchKernels', assemble(kernels));
  await timed('gradOps', gradients(tfjsOps));
  await timed('gradKernels', gradients(kernels));
  const sums = await kernels.compute(parameters, rows, { latentNoise: 0, seed });
  sums.gradients.forEach((values, i) => {
    const out = gradientMeans[i].values;
    for (let j = 0; j < values.length; j++) out[j] = values[j] / rows;
  });
  await timed('adamw', () => optimizer.step(parameters, gradientMeans, 1e-3));
}
const ms = Object.fromEntries(Object.entries(times).map(([key, list]) => [key, median(list)]));
const ratio = ms.gradOps / ms.gradKernels;
const names = {
  batchOps: 'batch (tfjs ops)',
  batchKernels: 'batch (kernels)',
  gradOps: 'gradients (tfjs ops)',
  gradKernels: 'gradients (kernels)',
  adamw: 'AdamW',
};
const warning = unsteadyWarning(
  Object.entries(times).map(([key, list]) => unsteadiness(names[key], list)),
  'times and the ratio',
);
if (warning) console.error(`train-step-phases: ${warning}`);
const row = (name, ops, ours) => [
  name,
  formatMilliseconds(ops),
  formatMilliseconds(ours),
  formatRatio(ops / ours),
];
console.log(
  renderReport(
    {
      heading: [
        `one gradient thread's ${rows} rows of the MNIST classifier 784 → d = ${hidden} → 10, input noise 0.4, on wasm; medians of ${repeats} runs after 1`,
      ],
      table: {
        rows: [
          ['phase', 'tfjs ops', 'wasm kernels', 'tfjs / kernels'],
          row('batch rows and input noise', ms.batchOps, ms.batchKernels),
          row('gradients (forward, loss, backward)', ms.gradOps, ms.gradKernels),
          [
            'AdamW (main thread; the same code)',
            formatMilliseconds(ms.adamw),
            formatMilliseconds(ms.adamw),
            '—',
          ],
        ],
        align: ['left', 'right', 'right', 'right'],
      },
      notes: [
        'tfjs ops: gradientStep on the wasm backend (XNNPACK products, explicit transposes); the noise through the JavaScript generator',
      ],
      machine: machineLine(),
      results: [
        {
          hidden,
          rows,
          repeats,
          batch_ms: roundTo(ms.batchOps, 3),
          batch_kernels_ms: roundTo(ms.batchKernels, 3),
          gradients_ms: roundTo(ms.gradOps, 3),
          gradients_kernels_ms: roundTo(ms.gradKernels, 3),
          adamw_ms: roundTo(ms.adamw, 3),
          gradients_ratio: roundTo(ratio, 3),
        },
      ],
    },
    { json: flags.json },
  ),
);
