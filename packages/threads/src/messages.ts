import type { DecomposeOptions, Decomposition } from '@bilinear-lab/core';

/** What the main thread hands a decomposition thread. */
export interface ShardRequest {
  modelBytes: Uint8Array;
  residual: boolean;
  options: Omit<DecomposeOptions, 'shard' | 'onProgress'>;
  shard: { index: number; count: number };
}

export type WorkerMessage =
  | { type: 'progress'; done: number; label: string }
  | { type: 'result'; decomposition: Decomposition }
  | { type: 'error'; name: string; message: string; stack: string | undefined };
