import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { registerWebGpuBackend } from './webgpu.js';

/** The compute backends, in the order `auto` tries them (webgpu only when opted in). */
export const BACKENDS = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendRequest = BackendName | 'auto';

/** The environment variable with which an operator lets `auto` try webgpu (apps parse it). */
export const WEBGPU_OPT_IN_VARIABLE = 'BILINEAR_WEBGPU';

export interface BackendSelectOptions {
  /**
   * Let `auto` try webgpu. Off by default: the webgpu backend has not yet passed bench/gpu-check.sh on
   * real GPU hardware, so it is never chosen unasked. An explicit `webgpu` request always tries it.
   */
  webgpu?: boolean;
}

export interface BackendChoice {
  name: BackendName;
  /** The tfjs backend name actually active (`tensorflow` for both native packages). */
  tfjsBackend: string;
  /** The GPU the backend runs on, where it names one (`NVIDIA H200, vulkan` for webgpu); else null. */
  device: string | null;
  /** Why each earlier candidate was passed over. */
  skipped: { name: BackendName; reason: string }[];
  /** One line for logs: what was chosen and why the others were not. */
  summary: string;
  /**
   * The same without the reasons (`backend: wasm`, `backend: webgpu (NVIDIA H200, vulkan)`): for a
   * terminal, where they would be noise on every run.
   */
  brief: string;
}

export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

const require = createRequire(import.meta.url);

/**
 * Activates the fastest backend that loads here, or the requested one. The native TensorFlow
 * packages are optional dependencies (their install downloads libtensorflow, which fails offline),
 * so they are imported dynamically and their absence is a reason, not an error.
 */
export async function selectBackend(
  request: BackendRequest = 'auto',
  options: BackendSelectOptions = {},
): Promise<BackendChoice> {
  const candidates = request === 'auto' ? [...BACKENDS] : [request];
  const skipped: BackendChoice['skipped'] = [];
  for (const name of candidates) {
    if (name === 'webgpu' && request === 'auto' && options.webgpu !== true) {
      skipped.push({
        name,
        reason: `not tried: opt in with ${WEBGPU_OPT_IN_VARIABLE}=1 (not yet checked on GPU hardware) or ask for it by name`,
      });
      continue;
    }
    const outcome = await tryActivate(name);
    if (typeof outcome !== 'string') {
      const brief = `backend: ${name}${outcome.device ? ` (${outcome.device})` : ''}`;
      const summary =
        brief +
        (skipped.length ? ` (skipped ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : '');
      return { name, tfjsBackend: tf.getBackend(), device: outcome.device, skipped, summary, brief };
    }
    skipped.push({ name, reason: outcome });
  }
  const reasons = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  throw new BackendUnavailableError(`no usable backend for "${request}" (${reasons})`);
}

/** Activates `name`: what it runs on, or why it cannot run here. */
async function tryActivate(name: BackendName): Promise<{ device: string | null } | string> {
  let device: string | null = null;
  try {
    switch (name) {
      case 'tensorflow-gpu':
      case 'tensorflow': {
        const packageName = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
        const missing = missingNativeBinding(packageName);
        if (missing) return missing;
        await import(packageName);
        break;
      }
      case 'wasm': {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        // The .wasm binaries ship in the package; point the loader at them instead of a CDN.
        wasm.setWasmPaths(
          `${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`,
        );
        break;
      }
      case 'webgpu':
        device = await registerWebGpuBackend();
        break;
      case 'cpu':
        await import('@tensorflow/tfjs-backend-cpu');
        break;
    }
    const tfjsName = name === 'tensorflow-gpu' ? 'tensorflow' : name;
    if (!(await tf.setBackend(tfjsName))) return `tfjs could not initialise the ${tfjsName} backend`;
    await tf.ready();
    if (name === 'cpu') skipNativeAdvice();
    if (name === 'tensorflow-gpu' && !hasGpu()) return 'no CUDA device visible to TensorFlow';
    return { device };
  } catch (error) {
    return error instanceof Error ? (error.message.split('\n')[0] ?? 'failed to load') : String(error);
  }
}

/**
 * Why a native TensorFlow package cannot load, or null. Checked before importing it: a package whose
 * binding is missing still registers its ~150 kernels before it fails, each with a console warning
 * ("The kernel 'Abs' for backend 'tensorflow' is already registered") on every run.
 */
function missingNativeBinding(packageName: string): string | null {
  let root: string;
  try {
    root = dirname(require.resolve(`${packageName}/package.json`));
  } catch {
    return `${packageName} is not installed (optional: its install downloads libtensorflow)`;
  }
  // node-pre-gyp puts it in lib/napi-v<N>/ (package.json "binary.module_path").
  const lib = join(root, 'lib');
  const hasBinding =
    existsSync(lib) &&
    readdirSync(lib).some(
      (entry) => entry.startsWith('napi-v') && existsSync(join(lib, entry, 'tfjs_binding.node')),
    );
  return hasBinding
    ? null
    : `${packageName} has no native binding (its install script, which downloads libtensorflow, did not run or failed)`;
}

/**
 * tfjs-backend-cpu prints a 200-character banner advising tfjs-node on its first tensor in Node.js, on
 * every run; the choice's summary already says why no native backend was used. The banner hangs on
 * the backend's `firstUse` field, so marking it used skips that banner and nothing else.
 */
function skipNativeAdvice(): void {
  const backend = tf.backend() as unknown as { firstUse?: boolean };
  if (backend.firstUse === true) backend.firstUse = false;
}

/** Whether the native backend found a GPU (tfjs-node-gpu falls back to CPU silently otherwise). */
function hasGpu(): boolean {
  const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
  return backend.isUsingGpuDevice === true;
}
