// Entry point of one decomposition thread: imports the model and decomposes its shard of outputs —
// alone (every n-th output), or with the other threads through a shared output tensor.
import { parentPort, workerData } from 'node:worker_threads';
import {
  decomposeFile,
  type OutputDecomposition,
  OutputTensorSlice,
  parseSafetensors,
  prepareFileDecomposition,
  startDecomposition,
  symmetricFromUpper,
  upperTriangleSize,
} from '@bilinear-lab/core';
import type { ShardRequest, TensorCommand, WorkerMessage } from './messages.js';
import { preferOptimizedWasm } from './optimized-wasm.js';

preferOptimizedWasm();

const request = workerData as ShardRequest;
const port = parentPort;
if (!port) throw new Error('decompose-worker must run as a worker thread');
const send = (message: WorkerMessage) => port.postMessage(message);
const fail = (error: unknown) => {
  const failure = error instanceof Error ? error : new Error(String(error));
  send({ type: 'error', name: failure.name, message: failure.message, stack: failure.stack });
};

try {
  if (request.tensor) serveTensorShard(request, request.tensor);
  else {
    // Each thread checks its outputs against the file's own forward pass, as a single thread would.
    const decomposition = decomposeFile(parseSafetensors(request.modelBytes), request.importOptions, {
      ...request.options,
      shard: request.shard,
      onProgress: (done, _total, label) => send({ type: 'progress', done, label }),
    });
    send({ type: 'result', decomposition });
  }
} catch (error) {
  fail(error);
}

/**
 * Builds this thread's slice of the output tensor, then answers the main thread batch by batch:
 * `contract` writes the slice's entries of Q(u) for the batch into the shared matrices, `solve`
 * decomposes this thread's positions of the batch from them (once every thread has contracted).
 */
function serveTensorShard(request: ShardRequest, tensor: NonNullable<ShardRequest['tensor']>): void {
  const { target, options } = prepareFileDecomposition(
    parseSafetensors(request.modelBytes),
    request.importOptions,
    request.options,
  );
  const run = startDecomposition(target, options);
  const slice = new OutputTensorSlice(target.layer, target.projection, tensor, (done, total) =>
    send({ type: 'setup', done, total }),
  );
  const d = slice.inputDim;
  const m = slice.outputDim;
  const entries = upperTriangleSize(d);
  const width = tensor.end - tensor.start;
  const matrices = new Float64Array(tensor.matrices);
  const q = new Float64Array(d * d);
  let done = 0;
  send({ type: 'ready' });
  port?.on('message', (command: TensorCommand) => {
    try {
      if (command.type === 'contract') {
        const { first, count } = command;
        const directions = target.directions.data.subarray(first * m, (first + count) * m);
        const values = slice.contract(Float64Array.from(directions), count);
        for (let r = 0; r < count; r++) {
          matrices.set(values.subarray(r * width, (r + 1) * width), r * entries + tensor.start);
        }
        send({ type: 'contracted' });
      } else if (command.type === 'solve') {
        const outputs: OutputDecomposition[] = [];
        for (let j = command.first; j < command.first + command.count; j++) {
          if (j % request.shard.count !== request.shard.index) continue;
          const r = j - command.first;
          symmetricFromUpper(matrices.subarray(r * entries, (r + 1) * entries), d, q);
          const output = run.output(j, q);
          outputs.push(output);
          send({ type: 'progress', done: ++done, label: output.label });
        }
        send({ type: 'solved', outputs });
      } else {
        // The outputs went to the main thread batch by batch; this carries the rest (exactness forward pass).
        send({ type: 'result', decomposition: run.finish([], []) });
      }
    } catch (error) {
      fail(error);
    }
  });
}
