// Entry point of one decomposition thread: imports the model and decomposes its shard of outputs.
import { parentPort, workerData } from 'node:worker_threads';
import { decomposeModel, importModel, parseSafetensors } from '@bilinear-lab/core';
import type { ShardRequest, WorkerMessage } from './messages.js';
import { preferOptimizedWasm } from './optimized-wasm.js';

preferOptimizedWasm();

const request = workerData as ShardRequest;
const port = parentPort;
if (!port) throw new Error('decompose-worker must run as a worker thread');
const send = (message: WorkerMessage) => port.postMessage(message);

try {
  const model = importModel(parseSafetensors(request.modelBytes), { residual: request.residual });
  const decomposition = decomposeModel(model, {
    ...request.options,
    shard: request.shard,
    onProgress: (done, _total, label) => send({ type: 'progress', done, label }),
  });
  send({ type: 'result', decomposition });
} catch (error) {
  const failure = error instanceof Error ? error : new Error(String(error));
  send({ type: 'error', name: failure.name, message: failure.message, stack: failure.stack });
}
