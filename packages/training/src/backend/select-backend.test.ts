import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackendUnavailableError, selectBackend } from './select-backend.js';

const require = createRequire(import.meta.url);
/** Whether @tensorflow/tfjs-node is installed with its native binding (lib/napi-v<N>/tfjs_binding.node). */
const nativeUsable = (() => {
  try {
    const lib = join(dirname(require.resolve('@tensorflow/tfjs-node/package.json')), 'lib');
    return readdirSync(lib).some((entry) => existsSync(join(lib, entry, 'tfjs_binding.node')));
  } catch {
    return false;
  }
})();
const NOT_USABLE = /is not installed|has no native binding/;

afterEach(() => {
  vi.restoreAllMocks();
});

// These machines cannot install the native TensorFlow packages (their install downloads
// libtensorflow), or install them without their binding, which is exactly the fallback path to check.
describe.skipIf(nativeUsable)('backend selection without the native packages', () => {
  it('auto falls back to wasm, says why each native backend was skipped, and prints nothing itself', async () => {
    const warnings = vi.spyOn(console, 'warn');
    const choice = await selectBackend('auto');
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow']);
    expect(choice.skipped[0]?.reason).toMatch(/^@tensorflow\/tfjs-node-gpu /);
    expect(choice.skipped[0]?.reason).toMatch(NOT_USABLE);
    expect(choice.summary).toMatch(
      /^backend: wasm \(skipped tensorflow-gpu: .*; webgpu: .*; tensorflow: .*\)$/,
    );
    expect(choice.brief).toBe('backend: wasm');
    expect(choice.device).toBeNull();
    // webgpu is opt-in: auto passes it over unasked, and Dawn (which installs its globals) is never loaded.
    expect(choice.skipped[1]?.reason).toMatch(/^not tried: opt in with BILINEAR_WEBGPU=1 /);
    expect('GPUBufferUsage' in globalThis).toBe(false);
    // A native package imported without its binding registers its kernels, each with a warning.
    expect(warnings).not.toHaveBeenCalled();
  });

  it('an explicit native backend that is absent is an error naming the reason', async () => {
    await expect(selectBackend('tensorflow')).rejects.toThrow(BackendUnavailableError);
    await expect(selectBackend('tensorflow-gpu')).rejects.toThrow(NOT_USABLE);
  });

  it('the cpu backend does not print its advice to install tfjs-node', async () => {
    const warnings = vi.spyOn(console, 'warn');
    await selectBackend('cpu');
    expect(Array.from(tf.tensor1d([1, 2, 3]).dataSync())).toEqual([1, 2, 3]);
    expect(warnings).not.toHaveBeenCalled();
  });

  it('an explicit cpu or wasm request is honoured', async () => {
    expect((await selectBackend('cpu')).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await selectBackend('wasm')).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });
});
