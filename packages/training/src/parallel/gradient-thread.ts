// One data-parallel gradient thread: its own tfjs backend, reading parameters and its share of the
// batch from shared memory and writing its gradients back.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend/select-backend.js';
import { gradientStep } from '../model/network.js';
import { orderedTensors, uploadParameters } from '../model/parameters.js';
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
const inputs = new Float32Array(setup.maxBatch * shape.inputDim);
const targets = new Float32Array(setup.maxBatch * shape.outputDim);

function step(request: GradientRequest): void {
  const { start, count } = request;
  const batch = {
    rows: rows.subarray(0, request.batchSize),
    inputNoise: request.inputNoise,
    latentNoise: request.latentNoise,
    seed: request.seed,
  };
  assembleBatch(split, shape.outputDim, batch, start, start + count, inputs, targets);
  const params = uploadParameters(shape, parameterViews);
  const x = tf.tensor2d(inputs.subarray(0, count * shape.inputDim), [count, shape.inputDim]);
  const t = tf.tensor2d(targets.subarray(0, count * shape.outputDim), [count, shape.outputDim]);
  const result = gradientStep(shape, params, x, t, {
    ...(request.latentNoise > 0 ? { latentNoise: request.latentNoise } : {}),
    seed: request.threadSeed,
  });
  const gradients = orderedTensors(shape, result.gradients);
  gradients.forEach((gradient, i) => {
    const out = (gradientViews[i] as { values: Float32Array }).values;
    const values = gradient.dataSync() as Float32Array;
    // The step returns gradients of the mean over `count` rows; the main thread wants sums.
    for (let j = 0; j < values.length; j++) out[j] = (values[j] as number) * count;
  });
  const lossSum = result.lossSum.dataSync()[0] as number;
  const correct = result.correct.dataSync()[0] as number;
  tf.dispose([...orderedTensors(shape, params), x, t, ...gradients, result.lossSum, result.correct]);
  send({ type: 'done', lossSum, correct });
}

selectBackend(setup.backend)
  .then((choice) => {
    port.on('message', (request: GradientRequest) => {
      try {
        step(request);
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        send({ type: 'error', message: failure.message, stack: failure.stack });
      }
    });
    send({ type: 'ready', backend: choice.name });
  })
  .catch((error: unknown) => {
    const failure = error instanceof Error ? error : new Error(String(error));
    send({ type: 'error', message: failure.message, stack: failure.stack });
  });
