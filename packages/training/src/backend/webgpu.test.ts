import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { compareWithWasm, relativeDifference } from './backend-agreement.js';
import { BackendUnavailableError, selectBackend, WEBGPU_OPT_IN_VARIABLE } from './select-backend.js';
import { cpuAdapterReason, describeAdapter, probeWebGpu, withTimeout } from './webgpu.js';

const require = createRequire(import.meta.url);
const installed = (name: string) => {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
};
const dawnInstalled = installed('webgpu');

// Whether this machine has a real GPU adapter decides which tests below run (the probe is bounded by
// its own timeout). That `auto` without the opt-in never loads Dawn is checked in
// select-backend.test.ts, whose module graph has not loaded it.
const probe = await probeWebGpu();
const hasGpu = probe.ok;
console.log(
  probe.ok
    ? `webgpu: GPU adapter ${probe.device}; the no-GPU fallback tests are skipped`
    : `webgpu: no usable GPU adapter here (${probe.reason}); the agreement check with wasm is skipped`,
);
const NO_GPU = /not installed|no GPU adapter|not a GPU|no answer to the GPU adapter request/;

describe('webgpu selection', () => {
  it.skipIf(hasGpu)('an explicit webgpu request without a GPU fails naming why', async () => {
    await expect(selectBackend('webgpu')).rejects.toThrow(BackendUnavailableError);
    await expect(selectBackend('webgpu')).rejects.toThrow(/^no usable backend for "webgpu" \(webgpu: /);
    await expect(selectBackend('webgpu')).rejects.toThrow(NO_GPU);
  });

  it.skipIf(hasGpu)(
    'auto with the opt-in tries webgpu, records why it passed it over and falls through to wasm',
    async () => {
      const choice = await selectBackend('auto', { webgpu: true });
      expect(choice.name).toBe('wasm');
      expect(tf.getBackend()).toBe('wasm');
      const webgpu = choice.skipped.find((s) => s.name === 'webgpu');
      expect(webgpu?.reason).toMatch(NO_GPU);
      expect(webgpu?.reason).not.toContain(WEBGPU_OPT_IN_VARIABLE);
      expect(choice.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow']);
    },
  );

  it.skipIf(!hasGpu)('with a GPU, an explicit request and an opted-in auto both choose webgpu', async () => {
    const explicit = await selectBackend('webgpu');
    expect(explicit.device).toBe(probe.ok ? probe.device : null);
    expect(explicit.brief).toBe(`backend: webgpu (${explicit.device})`);
    expect(tf.getBackend()).toBe('webgpu');
    const auto = await selectBackend('auto', { webgpu: true });
    // tensorflow-gpu comes first where it loads; otherwise webgpu.
    expect(['tensorflow-gpu', 'webgpu']).toContain(auto.name);
    await selectBackend('wasm');
  });

  it.skipIf(!dawnInstalled)(
    "rejects a real Dawn adapter that is not a GPU (Dawn's null backend)",
    async () => {
      const nullBackend = await probeWebGpu({ dawnFlags: ['backend=null'] });
      expect(nullBackend.ok).toBe(false);
      expect(nullBackend.ok ? '' : nullBackend.reason).toMatch(
        /Dawn's null backend, a CPU implementation, not a GPU/,
      );
    },
  );

  it.skipIf(!dawnInstalled)('a Dawn that cannot find its backend is a reason, not a crash', async () => {
    const broken = await probeWebGpu({ dawnFlags: ['backend=nonesuch'] });
    expect(broken.ok ? '' : broken.reason).toBe(
      "the GPU adapter request failed: unrecognised backend 'nonesuch'",
    );
  });
});

describe('what counts as a GPU adapter', () => {
  it('software rasterisers, fallback adapters and CPU-type adapters are refused, each by name', () => {
    expect(cpuAdapterReason({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toMatch(
      /is llvmpipe, a CPU implementation/,
    );
    expect(cpuAdapterReason({ device: 'lavapipe' })).toMatch(/is lavapipe/);
    expect(cpuAdapterReason({ description: 'SwiftShader Device (Subzero)' })).toMatch(/is SwiftShader/);
    expect(cpuAdapterReason({ description: 'Some GPU' }, true)).toMatch(/"Some GPU" is a fallback adapter/);
    expect(cpuAdapterReason({ description: 'x', isFallbackAdapter: true })).toMatch(/fallback adapter/);
    expect(cpuAdapterReason({ description: 'Microsoft Basic Render Driver', type: 'CPU' })).toMatch(
      /of type 'cpu'/,
    );
  });

  it('a discrete GPU is accepted and named with the API it runs on', () => {
    const h200 = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' };
    expect(cpuAdapterReason(h200)).toBeNull();
    expect(describeAdapter(h200, 'vulkan')).toBe('NVIDIA H200, vulkan');
    expect(describeAdapter({ vendor: 'amd', architecture: 'rdna-3' }, undefined)).toBe('amd rdna-3');
  });

  it('an adapter request that never answers is cut off', async () => {
    const never = new Promise<never>(() => {});
    await expect(withTimeout(never, 20, 'no answer within 20 ms')).rejects.toThrow('no answer within 20 ms');
    await expect(withTimeout(Promise.resolve(7), 20, 'unused')).resolves.toBe(7);
  });
});

describe('agreement with the wasm backend', () => {
  it('relative differences are measured against the reference scale', () => {
    expect(relativeDifference(Float32Array.of(1, 2, 4.004), Float32Array.of(1, 2, 4))).toBeCloseTo(0.001, 6);
    expect(relativeDifference(Float32Array.of(1, Number.NaN), Float32Array.of(1, 2))).toBe(Infinity);
    expect(relativeDifference(Float32Array.of(1), Float32Array.of(1, 2))).toBe(Infinity);
  });

  // The checks themselves, on a backend every machine has: the cpu backend agrees with wasm.
  it('the cpu backend agrees with wasm on a training step and a matmul', async () => {
    const checks = await compareWithWasm('cpu', { hidden: 32, batch: 64 });
    expect(checks.map((c) => c.name)).toEqual([
      'loss',
      'gradient embed',
      'gradient blocks.0.left',
      'gradient blocks.0.right',
      'gradient head',
      'matmul 256×512·512×256',
    ]);
    for (const check of checks) expect(check, check.name).toMatchObject({ passed: true });
    expect(tf.getBackend()).toBe('wasm');
  });

  it.skipIf(!hasGpu)('webgpu agrees with wasm on an MNIST training step and a matmul', async () => {
    const checks = await compareWithWasm('webgpu', { hidden: 128, batch: 256 });
    for (const check of checks) {
      expect(check.relativeError, check.name).toBeLessThanOrEqual(check.tolerance);
    }
  });
});
