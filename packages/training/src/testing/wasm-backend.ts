// For this package's tests (not built into dist): the test file that calls it runs on the wasm
// backend — the one every machine has, and the one the training kernels read through — and gives
// the backend it found back when it is done, so that files sharing a vitest worker do not depend on
// each other's order.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll } from 'vitest';
import { selectBackend } from '../backend/select-backend.js';

export function runOnWasmBackend(): void {
  let previous = '';
  beforeAll(async () => {
    previous = tf.getBackend();
    await selectBackend('wasm');
  });
  afterAll(async () => {
    if (previous) await tf.setBackend(previous);
  });
}
