import { wasmBase64 } from './eigen.generated.js';

/** The exports of assembly/eigen.ts; pointers are byte offsets into `memory`. */
interface EigenKernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  tridiagonalize(a: number, n: number, d: number, e: number, tau: number, work: number): void;
  applyReflectors(
    a: number,
    n: number,
    tau: number,
    z: number,
    k: number,
    work: number,
    transposed: boolean,
  ): void;
  gemmTransposedA(
    a: number,
    b: number,
    scale: number,
    kDim: number,
    m: number,
    n: number,
    packed: number,
    out: number,
  ): void;
  interactionMatrix(w: number, v: number, s: number, h: number, d: number, packed: number, out: number): void;
  pairProducts(w: number, v: number, h: number, d: number, pairs: number, count: number, out: number): void;
  applyReflectorsBlocked(a: number, n: number, tau: number, z: number, k: number, work: number): void;
  inspectSymmetric(a: number, n: number, relativeTolerance: number, report: number): void;
  scale(x: number, count: number, factor: number): void;
  extractVectors(z: number, n: number, k: number, out: number): void;
  transpose(src: number, rows: number, cols: number, out: number): void;
  splitBlocks(d: number, e: number, n: number, starts: number): number;
  blockEigenvalues(
    d: number,
    e: number,
    start: number,
    end: number,
    out: number,
    work: number,
    rotated: number,
    samples: number,
  ): number;
  blockEigenvectors(
    d: number,
    e: number,
    start: number,
    end: number,
    lambdas: number,
    count: number,
    columns: number,
    seeds: number,
    rows: number,
    n: number,
    vectors: number,
    scratch: number,
  ): void;
}

const PAGE_BYTES = 65_536;

/**
 * One instance of the SIMD kernels with a scratch arena in its linear memory. JavaScript is single
 * threaded, so one arena per thread is enough; each call lays its buffers out afresh from the heap
 * base and returns views onto them (valid until the next `layout`, which may grow the memory).
 */
export class KernelArena {
  readonly kernels: EigenKernelExports;
  private readonly base: number;

  constructor() {
    const instance = new WebAssembly.Instance(compiledKernels(), {
      env: {
        abort: () => {
          throw new Error('eigen kernel aborted');
        },
      },
    });
    this.kernels = instance.exports as unknown as EigenKernelExports;
    this.base = alignUp(this.kernels.heapBase(), 64);
  }

  /**
   * Reserves float64 buffers of the given lengths, 64-byte aligned, in order from the heap base;
   * returns their byte offsets. A longer layout that starts with the same lengths keeps those
   * buffers, contents included, where they were.
   */
  layout(lengths: readonly number[]): number[] {
    const offsets: number[] = [];
    let end = this.base;
    for (const length of lengths) {
      offsets.push(end);
      end = alignUp(end + length * 8, 64);
    }
    const memory = this.kernels.memory;
    if (end > memory.buffer.byteLength) {
      memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE_BYTES));
    }
    return offsets;
  }

  view(offset: number, length: number): Float64Array {
    return new Float64Array(this.kernels.memory.buffer, offset, length);
  }

  int32View(offset: number, length: number): Int32Array {
    return new Int32Array(this.kernels.memory.buffer, offset, length);
  }
}

let compiled: WebAssembly.Module | undefined;

/**
 * The kernels' module, compiled once per thread: every arena (the shared one, each interaction
 * builder's, each tensor slice's) is an instance of it. Synchronous compile: the module is small,
 * and the core's API stays synchronous; but with the optimising tier up front it still takes tens
 * of milliseconds, too much to pay per builder.
 */
function compiledKernels(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(decodeBase64(wasmBase64));
  return compiled;
}

/** Compiles the kernels now rather than on first use: for a thread that starts ahead of its work. */
export function compileKernels(): void {
  compiledKernels();
}

let compiling: Promise<void> | undefined;

/**
 * Compiles the kernels off this thread — V8 compiles an asynchronous `WebAssembly.compile` on its
 * background threads — for a caller with other work to do before its first kernel call (the CLI
 * reading a model): that call then finds the module ready instead of compiling it on the spot (35–60
 * ms with the optimising tier up front). Resolves once the module is in place.
 */
export function compileKernelsInBackground(): Promise<void> {
  compiling ??= compiled
    ? Promise.resolve()
    : WebAssembly.compile(decodeBase64(wasmBase64)).then((module) => {
        compiled ??= module;
      });
  return compiling;
}

let shared: KernelArena | undefined;

export function kernelArena(): KernelArena {
  shared ??= new KernelArena();
  return shared;
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

function decodeBase64(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
