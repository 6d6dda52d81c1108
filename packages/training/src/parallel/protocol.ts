import type { BackendRequest } from '../backend/select-backend.js';
import type { NetworkShape } from '../model/network.js';

/** Shared memory a gradient thread works in; the main thread owns the layout. */
export interface GradientThreadSetup {
  index: number;
  backend: BackendRequest;
  shape: NetworkShape;
  /** Parameter names and shapes, in order, laid end to end in `parameters`. */
  layout: { name: string; shape: [number, number] }[];
  parameters: SharedArrayBuffer;
  /** The training split, copied once into shared memory: inputs, and labels or targets. */
  split: {
    count: number;
    inputs: SharedArrayBuffer;
    labels: SharedArrayBuffer | null;
    targets: SharedArrayBuffer | null;
  };
  /** The current batch's row indices into the split (Int32). */
  rows: SharedArrayBuffer;
  maxBatch: number;
  /** This thread's gradients, laid out like the parameters. */
  gradients: SharedArrayBuffer;
}

/**
 * Assemble batch rows [start, start + count) (indices in the shared `rows`) and compute their
 * gradients, scaled to sum (not mean) over them.
 */
export interface GradientRequest {
  type: 'step';
  start: number;
  count: number;
  batchSize: number;
  inputNoise: { std: number; probability: number };
  latentNoise: number;
  /** The step's seed (input noise per row derives from it). */
  seed: number;
  /** This thread's seed for latent noise. */
  threadSeed: number;
}

export type GradientThreadMessage =
  | { type: 'ready'; backend: string }
  | { type: 'done'; lossSum: number; correct: number }
  | { type: 'error'; message: string; stack: string | undefined };
