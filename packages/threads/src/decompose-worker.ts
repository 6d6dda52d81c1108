// Entry point of one decomposition thread: imports the model and decomposes its shard of outputs.
import { parentPort, workerData } from 'node:worker_threads';
import { decomposeFile, parseSafetensors } from '@bilinear-lab/core';
import type { ShardRequest, WorkerMessage } from './messages.js';
import { preferOptimizedWasm } from './optimized-wasm.js';

preferOptimizedWasm();

const request = workerData as ShardRequest;
const port = parentPort;
if (!port) throw new Error('decompose-worker must run as a worker thread');
const send = (message: WorkerMessage) => port.postMessage(message);

try {
  // Each thread checks its outputs against the file's own forward pass, as a single thread would.
  const decomposition = decomposeFile(parseSafetensors(request.modelBytes), request.importOptions, {
    ...request.options,
    shard: request.shard,
    onProgress: (done, _total, label) => send({ type: 'progress', done, label }),
  });
  send({ type: 'result', decomposition });
} catch (error) {
  const failure = error instanceof Error ? error : new Error(String(error));
  send({ type: 'error', name: failure.name, message: failure.message, stack: failure.stack });
}
