import type {
  DecomposeOptions,
  Decomposition,
  ImportModelOptions,
  OutputDecomposition,
} from '@bilinear-lab/core';

/** What the main thread hands a decomposition thread. */
export interface ShardRequest {
  modelBytes: Uint8Array;
  /** How to read the file (its config file's text, a declared residual): plain data, cloned to the thread. */
  importOptions: ImportModelOptions;
  options: Omit<DecomposeOptions, 'shard' | 'onProgress' | 'reference'>;
  shard: { index: number; count: number };
  /**
   * Present when the threads decompose through the output tensor together: this thread holds B's
   * upper-triangle entries [start, end) and writes them for each batch of directions into `matrices`
   * (batch × every entry, float64, shared by all threads), then solves its share of the batch.
   */
  tensor?: { start: number; end: number; matrices: SharedArrayBuffer; batch: number };
}

/** Main thread → a tensor thread, one batch of directions (positions first … first + count − 1) at a time. */
export type TensorCommand =
  | { type: 'contract'; first: number; count: number }
  | { type: 'solve'; first: number; count: number }
  | { type: 'finish' };

export type WorkerMessage =
  | { type: 'progress'; done: number; label: string }
  | { type: 'setup'; done: number; total: number }
  | { type: 'ready' }
  | { type: 'contracted' }
  | { type: 'solved'; outputs: OutputDecomposition[] }
  | { type: 'result'; decomposition: Decomposition }
  | { type: 'error'; name: string; message: string; stack: string | undefined };
