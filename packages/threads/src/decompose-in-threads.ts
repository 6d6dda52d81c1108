import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  type DecomposeOptions,
  type Decomposition,
  decompositionTarget,
  type ImportModelOptions,
  importModel,
  mergeShards,
  parseSafetensors,
} from '@bilinear-lab/core';
import type { ShardRequest, WorkerMessage } from './messages.js';

export interface ThreadedDecomposeRequest {
  /** The model as a safetensors file. */
  modelBytes: Uint8Array;
  /** How to read the file, as for importModel (the config file that came with it, a declared residual). */
  importOptions?: ImportModelOptions;
  options?: Omit<DecomposeOptions, 'shard' | 'onProgress' | 'reference'>;
  /** Worker threads to use (default: one per core, at most one per output). */
  threads?: number;
  onProgress?: (done: number, total: number, label: string) => void;
}

/**
 * Decomposes a model's outputs across worker threads: each thread imports the model itself and
 * decomposes every n-th output, checked against the file's own forward pass (decomposeFile); the
 * shards merge into exactly the single-threaded result. The
 * threads start first; the input is checked here meanwhile, and bad input is rejected with the
 * core's own error types (the threads are stopped).
 */
export async function decomposeInThreads(request: ThreadedDecomposeRequest): Promise<Decomposition> {
  const options = request.options ?? {};
  const importOptions = request.importOptions ?? {};
  const threads = Math.max(1, request.threads ?? availableParallelism());
  // One copy of the file in shared memory for every thread, instead of one per thread.
  const shared = new Uint8Array(new SharedArrayBuffer(request.modelBytes.byteLength));
  shared.set(request.modelBytes);
  let outputCount = 0;
  const progress = new Array<number>(threads).fill(0);
  const shards = Array.from({ length: threads }, (_, index) =>
    startShard(
      { modelBytes: shared, importOptions, options, shard: { index, count: threads } },
      (done, label) => {
        progress[index] = done;
        request.onProgress?.(
          progress.reduce((sum, x) => sum + x, 0),
          outputCount,
          label,
        );
      },
    ),
  );
  try {
    const model = importModel(parseSafetensors(request.modelBytes), importOptions);
    outputCount = decompositionTarget(model, options).outputs.length;
  } catch (error) {
    await Promise.all(shards.map((shard) => shard.stop()));
    throw error;
  }
  return mergeShards(await Promise.all(shards.map((shard) => shard.result)));
}

function startShard(
  request: ShardRequest,
  onProgress: (done: number, label: string) => void,
): { result: Promise<Decomposition>; stop: () => Promise<number> } {
  const worker = new Worker(workerUrl(), { workerData: request });
  const result = new Promise<Decomposition>((resolve, reject) => {
    let settled = false;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onProgress(message.done, message.label);
      else if (message.type === 'result') {
        settled = true;
        resolve(message.decomposition);
      } else {
        settled = true;
        reject(Object.assign(new Error(message.message), { name: message.name, stack: message.stack }));
      }
    });
    worker.on('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.on('exit', (code) => {
      if (!settled)
        reject(new Error(`decomposition thread for shard ${request.shard.index} exited with code ${code}`));
    });
  });
  // A stopped shard's rejection is expected: keep it from surfacing as unhandled.
  result.catch(() => {});
  return { result, stop: () => worker.terminate() };
}

/** The compiled worker script (tests run this module from its TypeScript source, next to src/). */
function workerUrl(): URL {
  const fromSource = import.meta.url.endsWith('.ts');
  return new URL(fromSource ? '../dist/decompose-worker.js' : './decompose-worker.js', import.meta.url);
}
