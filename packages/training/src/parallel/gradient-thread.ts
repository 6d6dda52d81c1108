// One data-parallel gradient thread: its own tfjs backend, reading parameters and its share of the
// batch from shared memory and writing its gradients back.
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../backend/select-backend.js';
import { BatchGradients } from '../model/batch-gradients.js';
import { assembleBatch } from '../train/batch.js';
import type { GradientRequest, GradientThreadMessage, GradientThreadSetup } from './protocol.js';
import { sharedViews } from './thread-channel.js';

const setup = workerData as GradientThreadSetup;
const port = parentPort;
if (!port) throw new Error('gradient-thread must run as a worker thread');
const send = (message: GradientThreadMessage) => port.postMessage(message);

const { shape } = setup;
const parameterViews = sharedViews(setup.parameters, setup.layout);
const gradientViews = sharedViews(setup.gradients, setup.layout);
const split = {
  count: setup.split.count,
  inputs: new Float32Array(setup.split.inputs),
  labels: setup.split.labels ? new Uint8Array(setup.split.labels) : null,
  targets: setup.split.targets ? new Float32Array(setup.split.targets) : null,
};
const rows = new Int32Array(setup.rows);

async function step(gradients: BatchGradients, request: GradientRequest): Promise<void> {
  const { start, count } = request;
  const batch = {
    rows: rows.subarray(0, request.batchSize),
    inputNoise: request.inputNoise,
    latentNoise: request.latentNoise,
    seed: request.seed,
  };
  const { inputs, targets, addNoise } = gradients;
  assembleBatch(split, shape.outputDim, batch, start, start + count, inputs, targets, addNoise);
  const sums = await gradients.compute(parameterViews, count, {
    latentNoise: request.latentNoise,
    seed: request.threadSeed,
  });
  // The main thread wants sums over this thread's rows: it adds the threads' and divides once.
  sums.gradients.forEach((values, i) => {
    (gradientViews[i] as { values: Float32Array }).values.set(values);
  });
  const { lossSum, correct } = sums;
  send({ type: 'done', lossSum, correct });
}

selectBackend(setup.backend)
  .then((choice) => {
    const gradients = new BatchGradients(shape, setup.maxBatch, { kernels: choice.tfjsBackend === 'wasm' });
    port.on('message', (request: GradientRequest) => {
      step(gradients, request).catch((error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        send({ type: 'error', message: failure.message, stack: failure.stack });
      });
    });
    send({ type: 'ready', backend: choice.name });
  })
  .catch((error: unknown) => {
    const failure = error instanceof Error ? error : new Error(String(error));
    send({ type: 'error', message: failure.message, stack: failure.stack });
  });
