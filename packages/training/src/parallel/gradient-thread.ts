// One data-parallel gradient thread: its own tfjs backend, reading parameters and its share of the
// batch from shared memory and writing its gradients back.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend/select-backend.js';
import { gradientStep } from '../model/network.js';
import { orderedTensors, uploadParameters } from '../model/parameters.js';
import type { GradientRequest, GradientThreadMessage, GradientThreadSetup } from './protocol.js';

const setup = workerData as GradientThreadSetup;
const port = parentPort;
if (!port) throw new Error('gradient-thread must run as a worker thread');
const send = (message: GradientThreadMessage) => port.postMessage(message);

const { shape } = setup;
const parameterViews = views(setup.parameters);
const gradientViews = views(setup.gradients);
const inputs = new Float32Array(setup.inputs);
const targets = new Float32Array(setup.targets);

function views(buffer: SharedArrayBuffer) {
  let offset = 0;
  return setup.layout.map(({ name, shape: [rows, cols] }) => {
    const values = new Float32Array(buffer, offset * 4, rows * cols);
    offset += rows * cols;
    return { name, shape: [rows, cols] as [number, number], values };
  });
}

function step(request: GradientRequest): void {
  const { start, count } = request;
  const params = uploadParameters(shape, parameterViews);
  const x = tf.tensor2d(inputs.subarray(start * shape.inputDim, (start + count) * shape.inputDim), [
    count,
    shape.inputDim,
  ]);
  const t = tf.tensor2d(targets.subarray(start * shape.outputDim, (start + count) * shape.outputDim), [
    count,
    shape.outputDim,
  ]);
  const result = gradientStep(shape, params, x, t, {
    ...(request.latentNoise > 0 ? { latentNoise: request.latentNoise } : {}),
    seed: request.seed,
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
