import { wasmBase64 } from './training-kernels.generated.js';

/** The exports of assembly/training-kernels.ts; pointers are byte offsets into `memory`. */
export interface TrainingKernels {
  memory: WebAssembly.Memory;
  heapBase(): number;
  matmul(
    a: number,
    b: number,
    c: number,
    m: number,
    k: number,
    n: number,
    transA: boolean,
    transB: boolean,
    accumulate: boolean,
    scratch: number,
  ): void;
  hadamard(a: number, b: number, out: number, count: number): void;
  hadamardBackward(dg: number, a: number, b: number, da: number, db: number, count: number): void;
  add(a: number, b: number, out: number, count: number): void;
  addSeededNoise(x: number, count: number, std: number, state: number, table: number): void;
}

/** Floats of the matmul scratch: a packed 256 × 8 panel of B and a 4 × 8 edge tile. */
export const SCRATCH_FLOATS = 256 * 8 + 4 * 8;

/** A fresh instance of the kernels (one per thread: each owns its linear memory). */
export function loadTrainingKernels(): TrainingKernels {
  // Synchronous compile: the module is a few KiB, and a step's API stays synchronous.
  const instance = new WebAssembly.Instance(new WebAssembly.Module(decodeBase64(wasmBase64)), {
    env: {
      abort: () => {
        throw new Error('training kernel aborted');
      },
    },
  });
  return instance.exports as unknown as TrainingKernels;
}

function decodeBase64(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
