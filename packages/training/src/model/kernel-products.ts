import * as tf from '@tensorflow/tfjs-core';
import { loadTrainingKernels, SCRATCH_FLOATS, type TrainingKernels } from './training-kernels.js';

const PAGE_BYTES = 65_536;

/**
 * Products op(A)·op(B) of tfjs tensors, batched over a leading axis or not. On the wasm backend they
 * run on this package's float32 kernels (operands copied into their memory and the result copied
 * back: tfjs-wasm runs the transformer's small per-head products at 2–3 GFLOP/s and needs every
 * transposed operand copied first); on other backends, tfjs's plain matMul after explicit
 * transposes, which its wasm and cpu kernels run fastest.
 */
export function batchedMatMul(a: tf.Tensor3D, b: tf.Tensor3D, transA = false, transB = false): tf.Tensor3D {
  const [batch, aRows, aCols] = a.shape;
  const [bBatch, bRows, bCols] = b.shape;
  const [m, k] = transA ? [aCols, aRows] : [aRows, aCols];
  const [k2, n] = transB ? [bCols, bRows] : [bRows, bCols];
  if (batch !== bBatch || k !== k2) {
    throw new Error(
      `batchedMatMul: op(a) [${batch}, ${m}, ${k}] and op(b) [${bBatch}, ${k2}, ${n}] do not multiply`,
    );
  }
  if (tf.getBackend() !== 'wasm') {
    return tf.matMul(
      transA ? tf.transpose(a, [0, 2, 1]) : a,
      transB ? tf.transpose(b, [0, 2, 1]) : b,
    ) as tf.Tensor3D;
  }
  const arena = kernelArena();
  const [aAt, bAt, cAt] = arena.reserve([a.size, b.size, batch * m * n]) as [number, number, number];
  readInto(a, arena.view(aAt, a.size));
  readInto(b, arena.view(bAt, b.size));
  for (let i = 0; i < batch; i++) {
    arena.kernels.matmul(
      aAt + i * m * k * 4,
      bAt + i * k * n * 4,
      cAt + i * m * n * 4,
      m,
      k,
      n,
      transA,
      transB,
      false,
      arena.scratch,
    );
  }
  // tfjs-wasm copies a tensor's values into its own memory when it is made.
  return tf.tensor3d(arena.view(cAt, batch * m * n), [batch, m, n]);
}

/** op(A)·op(B) for matrices: as batchedMatMul with a batch of one. */
export function kernelMatMul(a: tf.Tensor2D, b: tf.Tensor2D, transA = false, transB = false): tf.Tensor2D {
  if (tf.getBackend() !== 'wasm') {
    return tf.matMul(transA ? tf.transpose(a) : a, transB ? tf.transpose(b) : b) as tf.Tensor2D;
  }
  const product = batchedMatMul(
    tf.reshape(a, [1, ...a.shape]) as tf.Tensor3D,
    tf.reshape(b, [1, ...b.shape]) as tf.Tensor3D,
    transA,
    transB,
  );
  return tf.reshape(product, [product.shape[1], product.shape[2]]) as tf.Tensor2D;
}

/** tfjs-backend-wasm's view of a tensor's values in its heap (what its own kernels read). */
interface WasmBackendHeap {
  typedArrayFromHeap?(tensor: { shape: number[]; dtype: string; dataId: object }): Float32Array;
}

/**
 * Copies a float32 tensor's values into `into`. On the wasm backend straight from its heap: dataSync
 * slices a fresh buffer out of the wasm memory, ≈ 2.5 ms per MB against 0.03 ms for this copy, which
 * for the language model's [tokens, vocabulary] logit gradient was most of a product's time.
 */
function readInto(tensor: tf.Tensor, into: Float32Array): void {
  const backend = tf.backend() as unknown as WasmBackendHeap;
  if (tensor.dtype === 'float32' && typeof backend.typedArrayFromHeap === 'function') {
    into.set(backend.typedArrayFromHeap(tensor));
    return;
  }
  into.set(tensor.dataSync() as Float32Array);
}

/** The kernels' memory on this thread: operands laid out afresh from the heap base at every call. */
class KernelArena {
  readonly kernels: TrainingKernels = loadTrainingKernels();
  readonly scratch: number;
  private readonly base: number;

  constructor() {
    this.scratch = alignUp(this.kernels.heapBase(), 64);
    this.base = alignUp(this.scratch + SCRATCH_FLOATS * 4, 64);
  }

  /** Byte offsets of float32 buffers of the given lengths, growing the memory when they do not fit. */
  reserve(lengths: readonly number[]): number[] {
    let end = this.base;
    const offsets = lengths.map((length) => {
      const offset = end;
      end = alignUp(end + length * 4, 64);
      return offset;
    });
    const memory = this.kernels.memory;
    if (end > memory.buffer.byteLength) {
      memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE_BYTES));
    }
    return offsets;
  }

  view(offset: number, length: number): Float32Array {
    return new Float32Array(this.kernels.memory.buffer, offset, length);
  }
}

let arena: KernelArena | undefined;

function kernelArena(): KernelArena {
  arena ??= new KernelArena();
  return arena;
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
