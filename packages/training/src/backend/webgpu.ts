// The webgpu backend: Dawn for Node (the `webgpu` package, its native binary shipped in the package)
// under @tensorflow/tfjs-backend-webgpu. Both are optional dependencies, imported by a computed name so
// that a platform installed without them still builds; their absence is a reason, not an error.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';

/** How long one adapter or device request may take: a broken driver must not hang a worker's start. */
export const WEBGPU_REQUEST_TIMEOUT_MS = 10_000;

/** The slice of WebGPU's adapter info this module reads (dawn.node 0.6 has no `type` or `backend`). */
export interface AdapterInfoFields {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  /** Chromium's name for the adapter kind ('discrete GPU', 'integrated GPU', 'CPU', …), where present. */
  type?: string;
  isFallbackAdapter?: boolean;
}

interface Adapter {
  readonly info?: AdapterInfoFields;
  readonly isFallbackAdapter?: boolean;
  readonly features: ReadonlySet<string>;
  readonly limits: Record<string, number>;
  requestAdapterInfo?(): Promise<AdapterInfoFields>;
  requestDevice(descriptor?: unknown): Promise<Device>;
}
interface Device {
  readonly lost: Promise<{ message: string }>;
  destroy(): void;
}
interface Gpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<Adapter | null>;
}
interface DawnModule {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}
interface TfjsWebGpuModule {
  WebGPUBackend: new (device: Device, adapterInfo?: AdapterInfoFields) => tf.KernelBackend;
}

/** A usable GPU adapter, or why there is none. */
export type WebGpuProbe =
  | { ok: true; adapter: Adapter; info: AdapterInfoFields; device: string }
  | { ok: false; reason: string };

const require = createRequire(import.meta.url);
const DAWN_PACKAGE = 'webgpu';
const TFJS_WEBGPU_PACKAGE = '@tensorflow/tfjs-backend-webgpu';

/**
 * Dawn's backend per platform, named rather than left to Dawn so the device line can say which API
 * runs the kernels; on Linux that is Vulkan (the NVIDIA and Mesa drivers' common path).
 */
const DAWN_BACKEND: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'vulkan',
  darwin: 'metal',
  win32: 'd3d12',
};

/** Names of software rasterisers that expose a Vulkan or WebGPU adapter running on the CPU. */
const CPU_IMPLEMENTATIONS = /llvmpipe|lavapipe|softpipe|swiftshader|null-backend/i;

/**
 * Why an adapter is not a real GPU, or null when it is: a fallback adapter, an adapter info that says
 * 'cpu', or a software rasteriser by name (Mesa's llvmpipe/lavapipe, SwiftShader, Dawn's null backend).
 */
export function cpuAdapterReason(info: AdapterInfoFields, isFallbackAdapter = false): string | null {
  const named = [info.description, info.device, info.vendor, info.architecture].filter(
    (text): text is string => typeof text === 'string' && text !== '',
  );
  const label = named.length > 0 ? ` "${named.join(' / ')}"` : '';
  if (isFallbackAdapter || info.isFallbackAdapter === true) {
    return `the only adapter${label} is a fallback adapter (a CPU implementation of WebGPU), not a GPU`;
  }
  if (typeof info.type === 'string' && /^cpu$/i.test(info.type.trim())) {
    return `the only adapter${label} is of type 'cpu' (a software implementation), not a GPU`;
  }
  const software = named.find((text) => CPU_IMPLEMENTATIONS.test(text));
  if (software !== undefined) {
    const which = software.match(CPU_IMPLEMENTATIONS)?.[0] ?? software;
    return `the only adapter${label} is ${which === 'null-backend' ? "Dawn's null backend" : which}, a CPU implementation, not a GPU`;
  }
  return null;
}

/** One line naming the adapter: `NVIDIA H200, vulkan`. */
export function describeAdapter(info: AdapterInfoFields, backend: string | undefined): string {
  const name =
    [info.description, info.device].find((text) => typeof text === 'string' && text.trim() !== '') ??
    ([info.vendor, info.architecture].filter(Boolean).join(' ') || 'unnamed adapter');
  return backend ? `${name.trim()}, ${backend}` : name.trim();
}

/** Rejects with `message` after `ms`, so an adapter or device request cannot hang its caller. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function importOptional<T>(name: string, why: string): Promise<T | string> {
  try {
    require.resolve(`${name}/package.json`);
  } catch {
    return `${name} is not installed (optional dependency: ${why})`;
  }
  try {
    return (await import(name)) as T;
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    return `${name} failed to load: ${message}`;
  }
}

let dawn: { gpu: Gpu; backend: string | undefined } | undefined;

/** Dawn's entry point, created once per process (each instance keeps its own GPU threads alive). */
async function dawnGpu(
  flags: readonly string[],
): Promise<{ gpu: Gpu; backend: string | undefined } | string> {
  const module = await importOptional<DawnModule>(DAWN_PACKAGE, 'Dawn for Node, for the webgpu backend');
  if (typeof module === 'string') return module;
  try {
    const backend = flags.find((flag) => flag.startsWith('backend='))?.slice('backend='.length);
    if (flags.length > 0) return { gpu: module.create([...flags]), backend };
    if (!dawn) {
      const platformBackend = DAWN_BACKEND[process.platform];
      // tfjs-backend-webgpu reads the WebGPU constants (GPUBufferUsage, GPUMapMode, …) as globals.
      Object.assign(globalThis, module.globals);
      dawn = {
        gpu: module.create(platformBackend ? [`backend=${platformBackend}`] : []),
        backend: platformBackend,
      };
    }
    return dawn;
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    return `Dawn could not start: ${message}`;
  }
}

/**
 * Asks Dawn for a high-performance adapter (bounded by `timeoutMs`) and accepts it only if it is a
 * real GPU. `dawnFlags` replaces the platform's default backend flag (tests use `backend=null`).
 */
export async function probeWebGpu(
  options: { dawnFlags?: readonly string[]; timeoutMs?: number } = {},
): Promise<WebGpuProbe> {
  const timeoutMs = options.timeoutMs ?? WEBGPU_REQUEST_TIMEOUT_MS;
  const entry = await dawnGpu(options.dawnFlags ?? []);
  if (typeof entry === 'string') return { ok: false, reason: entry };
  let adapter: Adapter | null;
  try {
    adapter = await withTimeout(
      entry.gpu.requestAdapter({ powerPreference: 'high-performance' }),
      timeoutMs,
      `no answer to the GPU adapter request within ${timeoutMs} ms`,
    );
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    return {
      ok: false,
      reason: message.startsWith('no answer') ? message : `the GPU adapter request failed: ${message}`,
    };
  }
  if (adapter === null) {
    return {
      ok: false,
      reason:
        `no GPU adapter: Dawn (${entry.backend ?? 'default backend'}) found none` +
        (entry.backend === 'vulkan'
          ? " (it needs the Vulkan loader libvulkan.so.1, e.g. Debian libvulkan1, and a GPU driver with a Vulkan ICD; set VK_ICD_FILENAMES to the driver's icd.d json if it is not found)"
          : ''),
    };
  }
  const info = adapter.info ?? (await adapter.requestAdapterInfo?.().catch(() => undefined)) ?? {};
  const rejected = cpuAdapterReason(info, adapter.isFallbackAdapter === true);
  if (rejected !== null) return { ok: false, reason: rejected };
  return { ok: true, adapter, info, device: describeAdapter(info, entry.backend) };
}

let registered: Promise<string> | undefined;

/**
 * Registers tfjs's `webgpu` backend on the adapter probeWebGpu accepts, once per process. Resolves to
 * the device line (`NVIDIA H200, vulkan`); rejects with the reason when there is no usable GPU.
 */
export function registerWebGpuBackend(): Promise<string> {
  registered ??= register().catch((error: unknown) => {
    registered = undefined; // a later call probes again (a driver may have been fixed meanwhile)
    throw error;
  });
  return registered;
}

async function register(): Promise<string> {
  const tfjs = await importOptional<TfjsWebGpuModule>(TFJS_WEBGPU_PACKAGE, 'the tfjs kernels for webgpu');
  if (typeof tfjs === 'string') throw new Error(tfjs);
  const probe = await probeWebGpu();
  if (!probe.ok) throw new Error(probe.reason);
  const { adapter, info } = probe;
  // The same device descriptor as tfjs-backend-webgpu's own registration (which looks for a browser's
  // navigator.gpu and so never runs in Node): the adapter's full limits, timestamps where offered.
  const limits = adapter.limits;
  const device = await withTimeout(
    adapter.requestDevice({
      requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      },
    }),
    WEBGPU_REQUEST_TIMEOUT_MS,
    `no answer to the GPU device request within ${WEBGPU_REQUEST_TIMEOUT_MS} ms (${probe.device})`,
  );
  const { WebGPUBackend } = tfjs;
  /**
   * tfjs reads a GPU tensor synchronously (dataSync) through an OffscreenCanvas, which Node lacks;
   * this says so, and which call to make instead, rather than "OffscreenCanvas is not defined".
   */
  class NodeWebGpuBackend extends WebGPUBackend {
    override readSync(dataId: object): ReturnType<tf.KernelBackend['readSync']> {
      const tensors = (
        this as unknown as { tensorMap: { get(id: object): { values?: unknown; dtype?: string } } }
      ).tensorMap;
      const data = tensors.get(dataId);
      if (data?.values == null && data?.dtype !== 'string' && data?.dtype !== 'complex64') {
        throw new Error(
          'the webgpu backend cannot read a GPU tensor synchronously in Node (dataSync/arraySync): ' +
            'this code path needs `await tensor.data()`, or run it on the wasm backend',
        );
      }
      return super.readSync(dataId);
    }
  }
  tf.registerBackend('webgpu', () => new NodeWebGpuBackend(device, info), 0);
  return probe.device;
}
