import { Worker } from 'node:worker_threads';
import type { Split } from '@bilinear-lab/datasets';
import type { BackendRequest } from '../backend/select-backend.js';
import type { NetworkShape } from '../model/network.js';
import type { NamedArray } from '../model/parameters.js';
import type { BatchRequest } from '../train/batch.js';
import type { GradientRequest, GradientThreadMessage, GradientThreadSetup } from './protocol.js';
import { nextMessage, sharedViews } from './thread-channel.js';

/**
 * Data-parallel gradients on worker threads, each with its own tfjs backend (the wasm backend runs
 * one thread per instance in Node). Parameters, the batch and every thread's gradients live in
 * shared memory, so a step costs two small messages per thread and no copies between threads.
 */
export class GradientPool {
  /** Parameters in shared memory: update these in place between steps. */
  readonly parameters: NamedArray[];
  /** Mean gradients of the last step, laid out like `parameters`. */
  readonly gradients: NamedArray[];

  private constructor(
    private readonly threads: Worker[],
    private readonly threadGradients: Float32Array[],
    private readonly rows: Int32Array,
    parameters: NamedArray[],
    gradients: NamedArray[],
  ) {
    this.parameters = parameters;
    this.gradients = gradients;
  }

  static async start(options: {
    threads: number;
    backend: BackendRequest;
    shape: NetworkShape;
    initial: readonly NamedArray[];
    maxBatch: number;
    split: Split;
  }): Promise<GradientPool> {
    const { shape, initial } = options;
    const layout = initial.map((p) => ({ name: p.name, shape: p.shape }));
    const total = initial.reduce((sum, p) => sum + p.values.length, 0);
    const parameterBuffer = new SharedArrayBuffer(total * 4);
    const parameters = sharedViews(parameterBuffer, layout);
    parameters.forEach((p, i) => {
      p.values.set((initial[i] as NamedArray).values);
    });
    const split = {
      count: options.split.count,
      inputs: shared(options.split.inputs),
      labels: options.split.labels ? shared(options.split.labels) : null,
      targets: options.split.targets ? shared(options.split.targets) : null,
    };
    const rowBuffer = new SharedArrayBuffer(options.maxBatch * 4);
    const gradientBuffers = Array.from({ length: options.threads }, () => new SharedArrayBuffer(total * 4));
    const threads = gradientBuffers.map((gradients, index) => {
      const setup: GradientThreadSetup = {
        index,
        backend: options.backend,
        shape,
        layout,
        parameters: parameterBuffer,
        split,
        rows: rowBuffer,
        maxBatch: options.maxBatch,
        gradients,
      };
      return new Worker(threadScript(), { workerData: setup });
    });
    const pool = new GradientPool(
      threads,
      gradientBuffers.map((buffer) => new Float32Array(buffer)),
      new Int32Array(rowBuffer),
      parameters,
      sharedViews(new SharedArrayBuffer(total * 4), layout),
    );
    try {
      await Promise.all(threads.map((thread) => nextMessage<GradientThreadMessage>(thread)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /**
   * Gradients of the mean loss over a batch into `gradients`: its rows are shared out evenly, each
   * thread assembles and differentiates its part and returns sums, added and divided once here.
   */
  async step(batch: BatchRequest): Promise<{ lossSum: number; correct: number }> {
    const count = batch.rows.length;
    this.rows.set(batch.rows);
    const share = Math.ceil(count / this.threads.length);
    const active = this.threads
      .map((thread, index) => ({
        thread,
        index,
        start: index * share,
        rows: Math.min(share, count - index * share),
      }))
      .filter((part) => part.rows > 0);
    const replies = await Promise.all(
      active.map(({ thread, index, start, rows }) => {
        const reply = nextMessage<GradientThreadMessage>(thread);
        const request: GradientRequest = {
          type: 'step',
          start,
          count: rows,
          batchSize: count,
          inputNoise: batch.inputNoise,
          latentNoise: batch.latentNoise,
          seed: batch.seed,
          threadSeed: (batch.seed + index * 65_537) >>> 0,
        };
        thread.postMessage(request);
        return reply;
      }),
    );
    // One pass: the float32 running sum over threads (as separate passes would store it), then the mean.
    const sources = active.map(({ index }) => this.threadGradients[index] as Float32Array);
    let offset = 0;
    for (const gradient of this.gradients) {
      const out = gradient.values;
      if (sources.length === 2) {
        const [first, second] = sources as [Float32Array, Float32Array];
        for (let j = 0; j < out.length; j++) {
          out[j] = Math.fround((first[offset + j] as number) + (second[offset + j] as number)) / count;
        }
      } else {
        for (let j = 0; j < out.length; j++) {
          let sum = 0;
          for (const source of sources) sum = Math.fround(sum + (source[offset + j] as number));
          out[j] = sum / count;
        }
      }
      offset += out.length;
    }
    let lossSum = 0;
    let correct = 0;
    for (const reply of replies) {
      if (reply.type === 'done') {
        lossSum += reply.lossSum;
        correct += reply.correct;
      }
    }
    return { lossSum, correct };
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.terminate()));
  }
}

/** A copy of a typed array's contents in shared memory. */
function shared(values: Float32Array | Uint8Array): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(values.byteLength);
  new Uint8Array(buffer).set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return buffer;
}

/** The compiled thread script (tests run this module from its TypeScript source, next to src/). */
function threadScript(): URL {
  const fromSource = import.meta.url.endsWith('.ts');
  return new URL(
    fromSource ? '../../dist/parallel/gradient-thread.js' : './gradient-thread.js',
    import.meta.url,
  );
}
