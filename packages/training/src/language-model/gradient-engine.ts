// Where a language-model step's gradients are computed: on the calling thread, or split by windows
// over worker threads, each with its own tfjs backend (the wasm backend runs one thread per
// instance in Node). Parameters, the batch's tokens and every thread's gradients live in shared
// memory, so a step costs two small messages per thread.
import { Worker } from 'node:worker_threads';
import type { BackendRequest } from '../backend/select-backend.js';
import type { NamedArray } from '../model/parameters.js';
import { nextMessage, sharedViews } from '../parallel/thread-channel.js';
import type { LanguageModelShape } from './model-shape.js';
import { windowRange } from './token-windows.js';
import { accumulateGradients, disposeWeights, type TokenWindows, uploadWeights } from './transformer.js';

export interface LanguageModelGradients {
  /** The parameters (reference layout): update them in place between steps. */
  readonly parameters: NamedArray[];
  readonly threads: number;
  /**
   * Writes `scale` × the gradient of the summed loss of `batch` into `into` (overwriting it) and
   * returns that loss sum.
   */
  step(batch: TokenWindows, scale: number, into: readonly NamedArray[]): Promise<number>;
  close(): Promise<void>;
}

export interface GradientEngineOptions {
  threads: number;
  backend: BackendRequest;
  shape: LanguageModelShape;
  initial: readonly NamedArray[];
  /** Most windows in a batch. */
  maxWindows: number;
  /** Windows per forward/backward pass on one thread. */
  microBatch: number;
}

export async function createLanguageModelGradients(
  options: GradientEngineOptions,
): Promise<LanguageModelGradients> {
  if (options.threads <= 1) return new InThreadGradients(options);
  return GradientPool.start(options);
}

function sumInto(
  shape: LanguageModelShape,
  parameters: readonly NamedArray[],
  batch: TokenWindows,
  scale: number,
  into: readonly NamedArray[],
  microBatch: number,
): number {
  const weights = uploadWeights(shape, parameters);
  let lossSum = 0;
  try {
    for (let from = 0; from < batch.windows; from += microBatch) {
      const part = windowRange(batch, from, Math.min(batch.windows, from + microBatch));
      lossSum += accumulateGradients(shape, weights, part, scale, into).lossSum;
    }
  } finally {
    disposeWeights(weights);
  }
  return lossSum;
}

class InThreadGradients implements LanguageModelGradients {
  readonly parameters: NamedArray[];
  readonly threads = 1;

  constructor(private readonly options: GradientEngineOptions) {
    this.parameters = options.initial.map((p) => ({
      name: p.name,
      shape: [p.shape[0], p.shape[1]],
      values: p.values.slice(),
    }));
  }

  async step(batch: TokenWindows, scale: number, into: readonly NamedArray[]): Promise<number> {
    for (const gradient of into) gradient.values.fill(0);
    return sumInto(this.options.shape, this.parameters, batch, scale, into, this.options.microBatch);
  }

  async close(): Promise<void> {}
}

/** Shared memory a gradient thread works in; the main thread owns the layout. */
export interface GradientThreadSetup {
  backend: BackendRequest;
  shape: LanguageModelShape;
  layout: { name: string; shape: [number, number] }[];
  parameters: SharedArrayBuffer;
  /** The current batch's tokens (Int32, windows × length). */
  tokens: SharedArrayBuffer;
  /** This thread's gradients, laid out like the parameters. */
  gradients: SharedArrayBuffer;
  microBatch: number;
}

/** Windows [from, to) of the shared batch: their gradient (× scale) and loss sum. */
export interface GradientThreadRequest {
  from: number;
  to: number;
  length: number;
  scale: number;
}

export type GradientThreadMessage =
  | { type: 'ready' }
  | { type: 'done'; lossSum: number }
  | { type: 'error'; message: string; stack: string | undefined };

class GradientPool implements LanguageModelGradients {
  private constructor(
    readonly parameters: NamedArray[],
    private readonly workers: Worker[],
    private readonly threadGradients: Float32Array[],
    private readonly tokens: Int32Array,
  ) {}

  get threads(): number {
    return this.workers.length;
  }

  static async start(options: GradientEngineOptions): Promise<GradientPool> {
    const layout = options.initial.map((p) => ({ name: p.name, shape: p.shape }));
    const total = layout.reduce((sum, { shape }) => sum + shape[0] * shape[1], 0);
    const parameterBuffer = new SharedArrayBuffer(total * 4);
    const parameters = sharedViews(parameterBuffer, layout);
    parameters.forEach((p, i) => {
      p.values.set((options.initial[i] as NamedArray).values);
    });
    const tokenBuffer = new SharedArrayBuffer(options.maxWindows * options.shape.context * 4);
    const gradientBuffers = Array.from({ length: options.threads }, () => new SharedArrayBuffer(total * 4));
    const workers = gradientBuffers.map((gradients) => {
      const setup: GradientThreadSetup = {
        backend: options.backend,
        shape: options.shape,
        layout,
        parameters: parameterBuffer,
        tokens: tokenBuffer,
        gradients,
        microBatch: options.microBatch,
      };
      return new Worker(threadScript(), { workerData: setup });
    });
    const pool = new GradientPool(
      parameters,
      workers,
      gradientBuffers.map((buffer) => new Float32Array(buffer)),
      new Int32Array(tokenBuffer),
    );
    try {
      await Promise.all(workers.map((worker) => nextMessage<GradientThreadMessage>(worker)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  async step(batch: TokenWindows, scale: number, into: readonly NamedArray[]): Promise<number> {
    this.tokens.set(batch.tokens);
    const share = Math.ceil(batch.windows / this.workers.length);
    const active = this.workers
      .map((worker, index) => ({
        worker,
        index,
        from: index * share,
        to: Math.min(batch.windows, (index + 1) * share),
      }))
      .filter((part) => part.to > part.from);
    const replies = await Promise.all(
      active.map(({ worker, from, to }) => {
        const reply = nextMessage<GradientThreadMessage>(worker);
        const request: GradientThreadRequest = { from, to, length: batch.length, scale };
        worker.postMessage(request);
        return reply;
      }),
    );
    // Summed in thread order, so a run is deterministic for a given thread count.
    let offset = 0;
    for (const gradient of into) {
      const out = gradient.values;
      out.fill(0);
      for (const { index } of active) {
        const source = this.threadGradients[index] as Float32Array;
        for (let j = 0; j < out.length; j++) out[j] = (out[j] as number) + (source[offset + j] as number);
      }
      offset += out.length;
    }
    return replies.reduce((sum, reply) => sum + (reply.type === 'done' ? reply.lossSum : 0), 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

/** The compiled thread script (tests run this module from its TypeScript source, next to src/). */
function threadScript(): URL {
  const fromSource = import.meta.url.endsWith('.ts');
  return new URL(
    fromSource ? '../../dist/language-model/gradient-thread.js' : './gradient-thread.js',
    import.meta.url,
  );
}

/** Used by gradient-thread.ts: the thread's share, summed into its own gradient buffer. */
export function threadStep(
  setup: GradientThreadSetup,
  parameters: readonly NamedArray[],
  gradients: readonly NamedArray[],
  tokens: Int32Array,
  request: GradientThreadRequest,
): number {
  for (const gradient of gradients) gradient.values.fill(0);
  const batch: TokenWindows = {
    tokens: tokens.subarray(request.from * request.length, request.to * request.length),
    windows: request.to - request.from,
    length: request.length,
  };
  return sumInto(setup.shape, parameters, batch, request.scale, gradients, setup.microBatch);
}
