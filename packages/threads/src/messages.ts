import type { DecomposeOptions, Decomposition, ImportModelOptions } from '@bilinear-lab/core';

/** What the main thread hands a decomposition thread. */
export interface ShardRequest {
  modelBytes: Uint8Array;
  /** How to read the file (its config file's text, a declared residual): plain data, cloned to the thread. */
  importOptions: ImportModelOptions;
  options: Omit<DecomposeOptions, 'shard' | 'onProgress' | 'reference'>;
  shard: { index: number; count: number };
}

export type WorkerMessage =
  | { type: 'progress'; done: number; label: string }
  | { type: 'result'; decomposition: Decomposition }
  | { type: 'error'; name: string; message: string; stack: string | undefined };
