// One data-parallel gradient thread of a language model: its own tfjs backend, reading the
// parameters and its windows of the batch from shared memory and writing its gradients back.
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../backend/select-backend.js';
import { sharedViews } from '../parallel/thread-channel.js';
import {
  type GradientThreadMessage,
  type GradientThreadRequest,
  type GradientThreadSetup,
  threadStep,
} from './gradient-engine.js';

const setup = workerData as GradientThreadSetup;
const port = parentPort;
if (!port) throw new Error('gradient-thread must run as a worker thread');
const send = (message: GradientThreadMessage) => port.postMessage(message);
const parameters = sharedViews(setup.parameters, setup.layout);
const gradients = sharedViews(setup.gradients, setup.layout);
const tokens = new Int32Array(setup.tokens);

function fail(error: unknown): void {
  const failure = error instanceof Error ? error : new Error(String(error));
  send({ type: 'error', message: failure.message, stack: failure.stack });
}

selectBackend(setup.backend)
  .then(() => {
    port.on('message', (request: GradientThreadRequest) => {
      try {
        send({ type: 'done', lossSum: threadStep(setup, parameters, gradients, tokens, request) });
      } catch (error) {
        fail(error);
      }
    });
    send({ type: 'ready' });
  })
  .catch(fail);
