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
  inputs: SharedArrayBuffer;
  targets: SharedArrayBuffer;
  /** This thread's gradients, laid out like the parameters. */
  gradients: SharedArrayBuffer;
}

/** Compute gradients for batch rows [start, start + count), scaled to sum (not mean) over them. */
export interface GradientRequest {
  type: 'step';
  start: number;
  count: number;
  latentNoise: number;
  seed: number;
}

export type GradientThreadMessage =
  | { type: 'ready'; backend: string }
  | { type: 'done'; lossSum: number; correct: number }
  | { type: 'error'; message: string; stack: string | undefined };
