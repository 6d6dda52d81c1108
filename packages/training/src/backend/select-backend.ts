import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

/** The compute backends, in the order `auto` tries them. */
export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendRequest = BackendName | 'auto';

export interface BackendChoice {
  name: BackendName;
  /** The tfjs backend name actually active (`tensorflow` for both native packages). */
  tfjsBackend: string;
  /** Why each earlier candidate was passed over. */
  skipped: { name: BackendName; reason: string }[];
  /** One line for logs: what was chosen and why the others were not. */
  summary: string;
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
export async function selectBackend(request: BackendRequest = 'auto'): Promise<BackendChoice> {
  const candidates = request === 'auto' ? [...BACKENDS] : [request];
  const skipped: BackendChoice['skipped'] = [];
  for (const name of candidates) {
    const reason = await tryActivate(name);
    if (reason === null) {
      const summary =
        `backend: ${name}` +
        (skipped.length ? ` (skipped ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : '');
      return { name, tfjsBackend: tf.getBackend(), skipped, summary };
    }
    skipped.push({ name, reason });
  }
  const reasons = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  throw new BackendUnavailableError(`no usable backend for "${request}" (${reasons})`);
}

async function tryActivate(name: BackendName): Promise<string | null> {
  try {
    switch (name) {
      case 'tensorflow-gpu':
      case 'tensorflow': {
        const packageName = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
        try {
          require.resolve(packageName);
        } catch {
          return `${packageName} is not installed (optional: its install downloads libtensorflow)`;
        }
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
      case 'cpu':
        await import('@tensorflow/tfjs-backend-cpu');
        break;
    }
    const tfjsName = name === 'tensorflow-gpu' ? 'tensorflow' : name;
    if (!(await tf.setBackend(tfjsName))) return `tfjs could not initialise the ${tfjsName} backend`;
    await tf.ready();
    if (name === 'tensorflow-gpu' && !hasGpu()) return 'no CUDA device visible to TensorFlow';
    return null;
  } catch (error) {
    return error instanceof Error ? (error.message.split('\n')[0] ?? 'failed to load') : String(error);
  }
}

/** Whether the native backend found a GPU (tfjs-node-gpu falls back to CPU silently otherwise). */
function hasGpu(): boolean {
  const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
  return backend.isUsingGpuDevice === true;
}
