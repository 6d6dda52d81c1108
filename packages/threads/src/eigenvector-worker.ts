// Entry point of the eigenvector helper thread (see EigenvectorThread): computes each part it is
// sent, unless the solver has already taken the part back.
import { parentPort, workerData } from 'node:worker_threads';
import { compileKernels, computeEigenvectorPart, type EigenvectorPartBuffers } from '@bilinear-lab/core';
import { type PartMessage, PartState } from './eigenvector-thread.js';
import { preferOptimizedWasm } from './optimized-wasm.js';

preferOptimizedWasm();
compileKernels();

const { control } = workerData as { control: Int32Array };
let buffers: EigenvectorPartBuffers | null = null;

parentPort?.on('message', (message: PartMessage) => {
  if (message.buffers) buffers = message.buffers;
  if (Atomics.compareExchange(control, 0, PartState.Posted, PartState.Running) !== PartState.Posted) return;
  try {
    if (!buffers) throw new Error('no buffers for the part');
    computeEigenvectorPart(buffers, message.plan);
    Atomics.store(control, 0, PartState.Done);
  } catch {
    // The solver computes the part itself; it needs only to know.
    Atomics.store(control, 0, PartState.Failed);
  }
  Atomics.notify(control, 0);
});
parentPort?.postMessage('ready');
