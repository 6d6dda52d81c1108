import {
  ENVIRONMENT_NOTE,
  machineLine,
  median,
  type PythonReference,
  probePython,
  renderReport,
  roundTo,
  runReference,
  unsteadiness,
  unsteadyWarning,
} from '@bilinear-lab/bench';
import type { Dataset, Split } from '@bilinear-lab/datasets';
import {
  type BackendRequest,
  TrainingCancelledError,
  type TrainingOptions,
  train,
} from '@bilinear-lab/training';
import type { CliEnv } from '../env.js';
import { CliInputError } from '../errors.js';
import { formatInteger } from '../format.js';
import { requireNumpy } from '../numpy-reference.js';
import { note, printLine } from '../output.js';
import { type StatusLine, statusLine } from '../progress.js';
import { activateBackend, defaultThreads } from './backend.js';
import { openDataset } from './dataset.js';
import { trainFlopsPerSample } from './train-flops.js';

export interface BenchTrainFlags {
  hidden: number;
  batch: number;
  steps: number;
  threads?: number;
  backend: BackendRequest;
  python: string;
  torchPython: string;
  json?: boolean;
}

/** Steps run before timing starts: thread start-up, first-call compilation, allocations. */
const WARMUP_STEPS = 3;
/** The default MNIST run's settings (`bilinear train --dataset mnist`). */
const INPUT_NOISE = 0.4;
const MATMUL_N = 1024;
const MATMUL_REPEATS = 5;

/**
 * `bilinear bench train`: our training steps on the bundled MNIST digits, then, in the same run,
 * numpy's float32 matmul (the roofline) and PyTorch training the same model (when installed).
 */
export async function runBenchTrain(flags: BenchTrainFlags, env: CliEnv): Promise<void> {
  const numpy = requireNumpy(
    flags.python,
    env.inherited,
    'bench train measures numpy float32 matmul as its roofline',
  );
  const mnist = await openDataset({ kind: 'mnist' });
  if (flags.batch > mnist.train.count) {
    throw new CliInputError(
      `--batch ${flags.batch}: at most ${formatInteger(mnist.train.count)}, the size of the bundled training split`,
    );
  }
  const choice = await activateBackend(flags.backend, env);
  const threads = flags.threads ?? defaultThreads(choice);
  const status = statusLine();

  const ours = await timeOurSteps(mnist, flags, threads, status);
  const samplesPerSecond = ours.samplesPerSecond;
  status.set(`bench train: numpy float32 matmul ${MATMUL_N}³, ${MATMUL_REPEATS + 1} runs`);
  const matmul = timeNumpyMatmul(numpy, MATMUL_N, MATMUL_REPEATS);
  // PyTorch is optional: without it the reference is simply absent.
  const torchReference = probePython(flags.torchPython, 'torch', env.inherited);
  let torch: TorchTrainRun | null = null;
  if (torchReference.available) {
    status.set(`bench train: PyTorch, ${WARMUP_STEPS} warm-up and ${flags.steps} timed steps`);
    torch = runReference<TorchTrainRun>(
      torchReference,
      'torch_train',
      [
        mnist.inputDim,
        flags.hidden,
        mnist.outputDim,
        flags.batch,
        flags.steps,
        WARMUP_STEPS,
        threads,
        INPUT_NOISE,
      ],
      `PyTorch training steps failed in ${flags.torchPython}`,
    );
  }
  status.clear();
  const warning = unsteadyWarning(
    [unsteadiness('our steps', ours.stepMs), unsteadiness('numpy matmul', matmul.timesMs)],
    'rates',
  );
  if (warning !== null) note(`bilinear: ${warning}`);

  const flops = trainFlopsPerSample(mnist.inputDim, flags.hidden, mnist.outputDim);
  const gflops = (samplesPerSecond * flops.total) / 1e9;
  const mega = (value: number) => `${(value / 1e6).toFixed(2)} M`;
  const row = (name: string, rate: number | null, rowGflops: number) => [
    name,
    rate === null ? '—' : formatInteger(Math.round(rate)),
    rowGflops.toFixed(1),
    (rowGflops / matmul.gflops).toFixed(2),
  ];
  const rows = [
    ['', 'samples/s', 'GFLOP/s', 'of numpy matmul'],
    row(`ours (${choice.name}, ${threads} thread${threads === 1 ? '' : 's'})`, samplesPerSecond, gflops),
    ...(torch === null
      ? []
      : [
          row(
            `PyTorch ${torch.version} (${torch.threads} thread${torch.threads === 1 ? '' : 's'}${torch.blas ? `, BLAS ${torch.blas}` : ''})`,
            torch.samples_per_s,
            (torch.samples_per_s * flops.total) / 1e9,
          ),
        ]),
    row(`numpy matmul ${MATMUL_N}³ float32`, null, matmul.gflops),
  ];
  const blas = numpy.blas ? `, ${numpy.blas}` : '';
  printLine(
    renderReport(
      {
        heading: [
          `training steps of the MNIST classifier ${mnist.inputDim} → d = ${flags.hidden} → ${mnist.outputDim} (one bilinear block), batch ${flags.batch}, ` +
            `input noise ${INPUT_NOISE}, AdamW; ${flags.steps} timed steps after ${WARMUP_STEPS} warm-up`,
          `FLOPs per sample (matrix products): ${mega(flops.total)} = forward ${mega(flops.forward)} + backward ${mega(flops.backward)}`,
        ],
        table: { rows, align: ['left', 'right', 'right', 'right'] },
        notes: [
          `numpy: median of ${MATMUL_REPEATS} products after 1 warm-up, numpy ${numpy.version}${blas} in ${numpy.python}, ${ENVIRONMENT_NOTE}`,
          torch === null
            ? `PyTorch: not found (${flags.torchPython} cannot import torch)`
            : `PyTorch: the same model as an nn.Module, AdamW, cross-entropy, the same batch and input noise, timed in ${flags.torchPython}` +
              (torch.blas === 'generic'
                ? ' (built on the generic reference BLAS, far below what this machine can do)'
                : ''),
        ],
        machine: machineLine([numpy, torchReference]),
        results: [
          {
            hidden: flags.hidden,
            batch: flags.batch,
            steps: flags.steps,
            threads,
            samples_per_s: roundTo(samplesPerSecond, 1),
            gflops: roundTo(gflops, 3),
            numpy_gflops: roundTo(matmul.gflops, 3),
            roofline_fraction: roundTo(gflops / matmul.gflops, 4),
            torch_samples_per_s: torch === null ? null : roundTo(torch.samples_per_s, 1),
            backend: choice.name,
          },
        ],
      },
      { json: flags.json },
    ),
  );
}

/** What python/torch_train.py answers. */
interface TorchTrainRun {
  samples_per_s: number;
  version: string;
  threads: number;
  /** The BLAS PyTorch was built with ("mkl", "open", or "generic": the slow reference BLAS). */
  blas: string | null;
}

/** numpy's float32 n × n products (python/numpy_matmul.py): GFLOP/s at the median of `repeats`. */
function timeNumpyMatmul(
  reference: PythonReference,
  n: number,
  repeats: number,
): { gflops: number; timesMs: number[] } {
  const answer = runReference<{ times_ms: number[] }>(
    reference,
    'numpy_matmul',
    [n, repeats],
    `numpy float32 matmul failed for n = ${n}`,
  );
  return { gflops: (2 * n ** 3) / (median(answer.times_ms) / 1000) / 1e9, timesMs: answer.times_ms };
}

/**
 * Samples/s of our trainer over the timed steps: the sum of the trainer's own per-step times (batch,
 * noise, gradients, AdamW), so the per-epoch test evaluation is left out.
 */
async function timeOurSteps(
  mnist: Dataset,
  flags: BenchTrainFlags,
  threads: number,
  status: StatusLine,
): Promise<{ samplesPerSecond: number; stepMs: number[] }> {
  // One test sample: the trainer evaluates after every epoch, which this benchmark does not time.
  const data: Dataset = { ...mnist, test: firstSamples(mnist.test, mnist.inputDim, 1) };
  const total = WARMUP_STEPS + flags.steps;
  const stepsPerEpoch = Math.floor(mnist.train.count / flags.batch);
  const options: TrainingOptions = {
    hiddenDim: flags.hidden,
    layers: 1,
    epochs: Math.ceil(total / stepsPerEpoch),
    batchSize: flags.batch,
    learningRate: 1e-3,
    weightDecay: 0.5,
    inputNoise: INPUT_NOISE,
    seed: 42,
    threads,
  };
  const controller = new AbortController();
  let taken = 0;
  const stepMs: number[] = [];
  try {
    await train(data, options, {
      signal: controller.signal,
      onStep: (metrics) => {
        taken++;
        if (taken > WARMUP_STEPS) stepMs.push((1000 * flags.batch) / metrics.samplesPerSecond);
        status.set(
          taken <= WARMUP_STEPS
            ? `bench train: ours, warm-up step ${taken}/${WARMUP_STEPS}`
            : `bench train: ours, step ${taken - WARMUP_STEPS}/${flags.steps}`,
        );
        if (taken === total) controller.abort();
      },
    });
  } catch (error) {
    if (!(error instanceof TrainingCancelledError)) throw error;
  }
  const seconds = stepMs.reduce((sum, ms) => sum + ms, 0) / 1000;
  return { samplesPerSecond: (flags.steps * flags.batch) / seconds, stepMs };
}

function firstSamples(split: Split, inputDim: number, count: number): Split {
  return {
    count,
    inputs: split.inputs.subarray(0, count * inputDim),
    labels: split.labels?.subarray(0, count) ?? null,
    targets: null,
  };
}
