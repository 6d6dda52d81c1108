#!/usr/bin/env node
// The webgpu backend's check on a GPU machine (bench/gpu-check.sh builds the packages, then runs this):
// which adapter Dawn finds, whether webgpu computes what the wasm backend computes (an MNIST training
// step's loss and gradients, a matmul), training samples/s of the MNIST classifier at d = 512 on webgpu
// against wasm on the same machine, and language-model decomposition directions/s, which run on the CPU
// in float64 whatever the training backend (WebGPU has no float64; the decomposition's products stay
// exact). Prints a table and one JSON line. Exit status: 0 when the GPU adapter passed every agreement
// check, 2 when there is no usable GPU adapter (the wasm figures are still printed), 1 on a failed check
// or an error.
//
//   node bench/gpu-check.mjs [--hidden 512] [--batch 1024] [--steps 10] [--directions 256] [--json]
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { seededGaussian, writeSafetensors } from '@bilinear-lab/core';
import { loadBundledMnist } from '@bilinear-lab/datasets';
import { decomposeInThreads } from '@bilinear-lab/threads';
import {
  compareWithWasm,
  probeWebGpu,
  selectBackend,
  TrainingCancelledError,
  train,
} from '@bilinear-lab/training';

// As the CLI runs: V8's optimising wasm tier from the first call, so wasm is timed at its best.
setFlagsFromString('--no-liftoff');
setFlagsFromString('--no-wasm-lazy-compilation');

const { values: flags } = parseArgs({
  options: {
    hidden: { type: 'string', default: '512' },
    batch: { type: 'string', default: '1024' },
    steps: { type: 'string', default: '10' },
    directions: { type: 'string', default: '256' },
    json: { type: 'boolean' },
  },
});
const whole = (name) => {
  const text = flags[name];
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1) {
    console.error(`gpu-check: --${name} ${text}: must be a whole number ≥ 1`);
    process.exit(1);
  }
  return value;
};
const hidden = whole('hidden');
const batch = whole('batch');
const steps = whole('steps');
const directions = whole('directions');
const WARMUP_STEPS = 2;
const started = performance.now();
const log = (line) => process.stderr.write(`gpu-check: ${line}\n`);
const message = (error) => (error instanceof Error ? error.message : String(error));

// 1. The adapter.
log(`node ${process.version}, ${cpus()[0]?.model.trim() ?? 'unknown CPU'} × ${availableParallelism()}`);
const probe = await probeWebGpu();
const adapter = probe.ok ? probe.device : null;
log(probe.ok ? `GPU adapter: ${probe.device}` : `no usable GPU adapter — ${probe.reason}`);

// 2. Agreement with wasm.
let agreement = { status: 'skipped', reason: probe.ok ? null : probe.reason, checks: [] };
if (probe.ok) {
  try {
    const checks = await compareWithWasm('webgpu', { hidden: 128, batch: 256 });
    agreement = { status: checks.every((c) => c.passed) ? 'passed' : 'failed', reason: null, checks };
  } catch (error) {
    agreement = { status: 'failed', reason: message(error), checks: [] };
  }
  log(`agreement with wasm: ${agreement.status}${agreement.reason ? ` (${agreement.reason})` : ''}`);
}

// 3. Training samples/s, wasm then webgpu, through the real trainer.
const mnist = await loadBundledMnist();
if (batch > mnist.train.count) {
  console.error(`gpu-check: --batch ${batch}: at most ${mnist.train.count}, the bundled training digits`);
  process.exit(1);
}
/** Samples/s over the timed steps (the trainer's own per-step times: batch, gradients, AdamW). */
async function samplesPerSecond(backend) {
  const choice = await selectBackend(backend);
  // One test digit: the trainer evaluates after each epoch, which is not what is timed here.
  const data = {
    ...mnist,
    test: {
      count: 1,
      inputs: mnist.test.inputs.subarray(0, mnist.inputDim),
      labels: mnist.test.labels?.subarray(0, 1) ?? null,
      targets: null,
    },
  };
  // The trainer's defaults: one gradient thread per core (at most 4) on wasm; 1 on webgpu.
  const threads = backend === 'webgpu' ? 1 : Math.min(availableParallelism(), 4);
  const total = WARMUP_STEPS + steps;
  const controller = new AbortController();
  const stepMs = [];
  let taken = 0;
  try {
    await train(
      data,
      {
        hiddenDim: hidden,
        layers: 1,
        epochs: Math.ceil(total / Math.floor(mnist.train.count / batch)),
        batchSize: batch,
        learningRate: 1e-3,
        weightDecay: 0.5,
        inputNoise: 0.4,
        seed: 42,
        threads,
      },
      {
        signal: controller.signal,
        onStep: (metrics) => {
          taken++;
          if (taken > WARMUP_STEPS) stepMs.push((1000 * batch) / metrics.samplesPerSecond);
          if (taken === total) controller.abort();
        },
      },
    );
  } catch (error) {
    if (!(error instanceof TrainingCancelledError)) throw error;
  }
  const seconds = stepMs.reduce((sum, ms) => sum + ms, 0) / 1000;
  return {
    backend: choice.brief.replace(/^backend: /, ''),
    threads,
    samplesPerSecond: (steps * batch) / seconds,
  };
}
const training = { wasm: null, webgpu: null, webgpuError: null };
log(
  `training MNIST 784 → d = ${hidden} → 10, batch ${batch}: ${WARMUP_STEPS} warm-up + ${steps} timed steps, wasm`,
);
training.wasm = await samplesPerSecond('wasm');
if (probe.ok) {
  log('… and webgpu');
  try {
    training.webgpu = await samplesPerSecond('webgpu');
  } catch (error) {
    training.webgpuError = message(error);
    log(`webgpu training failed: ${training.webgpuError}`);
  }
}

// 4. Language-model decomposition directions/s: a seeded ts-medium-shaped MLP layer (d 512, hidden
// 2048), top-8 eigenpairs per sign of each direction's Q, every core, float64 on the CPU.
const lm = { d: 512, hidden: 2048, directions, topK: 8, threads: availableParallelism() };
{
  log(
    `LM decomposition: ${directions} directions of a d ${lm.d}, hidden ${lm.hidden} layer on ${lm.threads} threads (CPU, float64)`,
  );
  const gaussian = seededGaussian(7);
  const values = (count, scale) => Float32Array.from({ length: count }, () => scale * gaussian());
  const { d, hidden: h } = lm;
  const w = values(2 * h * d, 1 / Math.sqrt(d));
  const bytes = writeSafetensors([
    { name: 'transformer.wte.weight', dtype: 'F32', shape: [1, d], data: values(d, 1) },
    { name: 'transformer.h.0.mlp.w.weight', dtype: 'F32', shape: [2 * h, d], data: w },
    {
      name: 'transformer.h.0.mlp.p.weight',
      dtype: 'F32',
      shape: [d, h],
      data: values(d * h, 1 / Math.sqrt(h)),
    },
    { name: 'lm_head.weight', dtype: 'F32', shape: [1, d], data: values(d, 1) },
  ]);
  const u = Float64Array.from(values(directions * d, 1));
  const lmStarted = performance.now();
  await decomposeInThreads({
    modelBytes: bytes,
    options: {
      layer: 0,
      directions: { kind: 'vectors', vectors: { rows: directions, cols: d, data: u } },
      topK: lm.topK,
      exactnessSamples: 0,
    },
    threads: lm.threads,
  });
  lm.seconds = (performance.now() - lmStarted) / 1000;
  lm.directionsPerSecond = directions / lm.seconds;
}

// The report.
const seconds = (performance.now() - started) / 1000;
const fixed = (value, digits) => (value === null || value === undefined ? '—' : value.toFixed(digits));
const ratio =
  training.webgpu && training.wasm ? training.webgpu.samplesPerSecond / training.wasm.samplesPerSecond : null;
const lines = [
  `adapter: ${adapter ?? `none (${probe.reason})`}`,
  '',
  'agreement with wasm (max |webgpu − wasm| / max |wasm|):',
  ...(agreement.checks.length > 0
    ? agreement.checks.map(
        (c) =>
          `  ${c.passed ? 'ok  ' : 'FAIL'} ${c.name.padEnd(26)} ${c.relativeError.toExponential(2)} (≤ ${c.tolerance.toExponential(0)})`,
      )
    : [`  ${agreement.status}${agreement.reason ? `: ${agreement.reason}` : ''}`]),
  '',
  `training, MNIST 784 → d = ${hidden} → 10, batch ${batch}, ${steps} timed steps:`,
  `  wasm   (${training.wasm.threads} threads)  ${fixed(training.wasm.samplesPerSecond, 0).padStart(9)} samples/s`,
  training.webgpu
    ? `  ${training.webgpu.backend}  ${fixed(training.webgpu.samplesPerSecond, 0).padStart(9)} samples/s  (${fixed(ratio, 2)}× wasm)`
    : `  webgpu  — (${training.webgpuError ?? (probe.ok ? 'not run' : 'no GPU adapter')})`,
  '',
  `LM decomposition, d ${lm.d}, hidden ${lm.hidden}, top-${lm.topK} per sign, ${directions} directions: ` +
    `${fixed(lm.directionsPerSecond, 1)} directions/s on ${lm.threads} CPU threads (float64; it stays on the CPU on every backend)`,
  '',
  `total ${seconds.toFixed(1)} s`,
];
const json = {
  adapter,
  adapter_reason: probe.ok ? null : probe.reason,
  agreement: agreement.status,
  agreement_max_rel_err:
    agreement.checks.length > 0 ? Math.max(...agreement.checks.map((c) => c.relativeError)) : null,
  hidden,
  batch,
  wasm_samples_per_s: Number(training.wasm.samplesPerSecond.toFixed(1)),
  wasm_threads: training.wasm.threads,
  webgpu_samples_per_s: training.webgpu ? Number(training.webgpu.samplesPerSecond.toFixed(1)) : null,
  webgpu_over_wasm: ratio === null ? null : Number(ratio.toFixed(3)),
  lm_directions_per_s: Number(lm.directionsPerSecond.toFixed(2)),
  lm_threads: lm.threads,
  seconds: Number(seconds.toFixed(1)),
};
if (!flags.json) console.log(lines.join('\n'));
console.log(JSON.stringify(json));
const failed = agreement.status === 'failed' || training.webgpuError !== null;
if (!probe.ok) {
  console.error(
    'gpu-check: exit status 2: no usable GPU adapter (above: why); the training figures are wasm on this CPU',
  );
}
// Exit explicitly: a live Dawn instance keeps Node's event loop running.
process.exit(failed ? 1 : probe.ok ? 0 : 2);
