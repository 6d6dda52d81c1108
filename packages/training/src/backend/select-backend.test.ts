import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, selectBackend } from './select-backend.js';

const require = createRequire(import.meta.url);
const nativeInstalled = (() => {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

// These machines cannot install the native TensorFlow packages (their install downloads
// libtensorflow), which is exactly the fallback path to check.
describe.skipIf(nativeInstalled)('backend selection without the native packages', () => {
  it('auto falls back to wasm and says why each native backend was skipped', async () => {
    const choice = await selectBackend('auto');
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow']);
    expect(choice.skipped[0]?.reason).toMatch(/@tensorflow\/tfjs-node-gpu is not installed/);
    expect(choice.summary).toMatch(/^backend: wasm \(skipped tensorflow-gpu: .*; tensorflow: .*\)$/);
  });

  it('an explicit native backend that is absent is an error naming the reason', async () => {
    await expect(selectBackend('tensorflow')).rejects.toThrow(BackendUnavailableError);
    await expect(selectBackend('tensorflow-gpu')).rejects.toThrow(/tfjs-node-gpu is not installed/);
  });

  it('an explicit cpu or wasm request is honoured', async () => {
    expect((await selectBackend('cpu')).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await selectBackend('wasm')).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });
});
