import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  type DecomposeOptions,
  type Decomposition,
  decompositionTarget,
  type ImportModelOptions,
  importModel,
  mergeShards,
  type OutputDecomposition,
  outputTensorPays,
  parseSafetensors,
  upperTriangleSize,
} from '@bilinear-lab/core';
import type { ShardRequest, TensorCommand, WorkerMessage } from './messages.js';

export interface ThreadedDecomposeRequest {
  /** The model as a safetensors file. */
  modelBytes: Uint8Array;
  /** How to read the file, as for importModel (the config file that came with it, a declared residual). */
  importOptions?: ImportModelOptions;
  options?: Omit<DecomposeOptions, 'shard' | 'onProgress' | 'reference'>;
  /** Worker threads to use (default: one per core, at most one per output). */
  threads?: number;
  /**
   * How Q(u) is built: 'direct' — each thread builds its outputs' Q from the weights; 'output-tensor'
   * — the threads build B[a] = Q(e_a) together once and contract it per batch of directions (see
   * OutputTensorSlice); 'auto' (default) — the output tensor when it at least halves the flops.
   */
  strategy?: 'auto' | 'direct' | 'output-tensor';
  onProgress?: (done: number, total: number, label: string) => void;
  /**
   * Takes each output as soon as it is decomposed, in order, instead of the result holding them all:
   * the result's `outputs` is then empty (its exactness still covers every output). Thousands of
   * language-model directions are 300 MB of eigenpairs; a writer passes them on. Awaited.
   */
  onOutput?: (output: OutputDecomposition, position: number) => void | Promise<void>;
  /**
   * Hands out the positions to decompose a range at a time instead of all of them in order: asked
   * whenever the threads are ready for more, null ends the work. Several processes share one long
   * decomposition this way, each claiming ranges of a common list. The ranges go through the output
   * tensor, built once and kept for every range (so the 'direct' strategy does not take them).
   */
  claim?: () => Promise<PositionRange | null>;
}

/** Positions first … first + count − 1 of the decomposition's outputs. */
export interface PositionRange {
  first: number;
  count: number;
}

/** Directions contracted and solved per round through the output tensor (their Q's share memory). */
const TENSOR_BATCH = 32;

/**
 * Decomposes a model's outputs across worker threads; the shards merge into exactly the
 * single-threaded result (same eigenpairs to rounding, the same exactness check against the file's
 * own forward pass). Bad input is rejected with the core's own error types.
 */
export async function decomposeInThreads(request: ThreadedDecomposeRequest): Promise<Decomposition> {
  const options = request.options ?? {};
  const importOptions = request.importOptions ?? {};
  const threads = Math.max(1, request.threads ?? availableParallelism());
  // One copy of the file in shared memory for every thread, instead of one per thread.
  const shared = new Uint8Array(new SharedArrayBuffer(request.modelBytes.byteLength));
  shared.set(request.modelBytes);
  const strategy = request.strategy ?? 'auto';
  if (request.claim && !request.onOutput)
    throw new Error('claimed ranges are decomposed for onOutput to take');
  if (strategy === 'direct') {
    if (request.claim)
      throw new Error("claimed ranges go through the output tensor, not the 'direct' strategy");
    return decomposeDirect(request, shared, threads);
  }

  const model = importModel(parseSafetensors(request.modelBytes), importOptions);
  const target = decompositionTarget(model, options);
  const shape = {
    outputDim: target.projection.rows,
    hidden: target.layer.left.rows,
    inputDim: target.layer.left.cols,
  };
  if (strategy === 'auto' && !request.claim && !outputTensorPays(shape, target.outputs.length)) {
    return decomposeDirect(request, shared, threads);
  }
  return decomposeThroughTensor(request, shared, threads, shape.inputDim, target.outputs.length);
}

/** Every thread imports the model and decomposes every n-th output, building each Q itself. */
async function decomposeDirect(
  request: ThreadedDecomposeRequest,
  modelBytes: Uint8Array,
  threads: number,
): Promise<Decomposition> {
  const options = request.options ?? {};
  const importOptions = request.importOptions ?? {};
  let outputCount = 0;
  const progress = new Array<number>(threads).fill(0);
  // The threads start first (≈ 0.25 s each); the input is checked here meanwhile.
  const shards = Array.from(
    { length: threads },
    (_, index) =>
      new ShardThread(
        { modelBytes, importOptions, options, shard: { index, count: threads } },
        (done, label) => {
          progress[index] = done;
          request.onProgress?.(
            progress.reduce((sum, x) => sum + x, 0),
            outputCount,
            label,
          );
        },
      ),
  );
  try {
    const model = importModel(parseSafetensors(request.modelBytes), importOptions);
    outputCount = decompositionTarget(model, options).outputs.length;
    const merged = mergeShards(
      await Promise.all(shards.map((shard) => shard.reply('result').then((reply) => reply.decomposition))),
    );
    if (!request.onOutput) return merged;
    for (const [position, output] of merged.outputs.entries()) await request.onOutput(output, position);
    return { ...merged, outputs: [] };
  } finally {
    await Promise.all(shards.map((shard) => shard.stop()));
  }
}

/**
 * The threads build the output tensor together (each a slice of B's entries), then per batch of
 * directions: every thread contracts its slice into the batch's shared matrices; once all have, each
 * decomposes its share of the batch (position j goes to thread j mod n, as in the direct split).
 */
async function decomposeThroughTensor(
  request: ThreadedDecomposeRequest,
  modelBytes: Uint8Array,
  threads: number,
  d: number,
  outputCount: number,
): Promise<Decomposition> {
  const entries = upperTriangleSize(d);
  const batch = Math.min(TENSOR_BATCH, outputCount);
  const matrices = new SharedArrayBuffer(batch * entries * 8);
  const setup = new Array<number>(threads).fill(0);
  const solved = new Array<number>(threads).fill(0);
  const shards = Array.from({ length: threads }, (_, index) => {
    const start = Math.floor((entries * index) / threads);
    const end = Math.floor((entries * (index + 1)) / threads);
    return new ShardThread(
      {
        modelBytes,
        importOptions: request.importOptions ?? {},
        options: request.options ?? {},
        shard: { index, count: threads },
        tensor: { start, end, matrices, batch },
      },
      (done, label) => {
        solved[index] = done;
        request.onProgress?.(
          solved.reduce((sum, x) => sum + x, 0),
          outputCount,
          label,
        );
      },
      (done, total) => {
        setup[index] = done / total;
        const share = Math.round((100 * setup.reduce((sum, x) => sum + x, 0)) / threads);
        request.onProgress?.(0, outputCount, `building the output tensor (${share} %)`);
      },
    );
  });
  const outputs = shards.map(() => [] as OutputDecomposition[]);
  try {
    await Promise.all(shards.map((shard) => shard.reply('ready')));
    const ranges = request.claim ?? oneRange(outputCount);
    for (let range = await ranges(); range !== null; range = await ranges()) {
      checkRange(range, outputCount);
      await solveRange(range);
    }
    const finished = await Promise.all(shards.map((shard) => shard.command({ type: 'finish' }, 'result')));
    if (request.claim) {
      // Only some positions were decomposed here: the whole decomposition's exactness is not this run's to say.
      const [first] = finished;
      if (!first) throw new Error('no decomposition thread answered');
      return { ...first.decomposition, outputs: [], exactness: null };
    }
    return mergeShards(
      finished.map((reply, index) => ({ ...reply.decomposition, outputs: outputs[index] ?? [] })),
    );
  } finally {
    await Promise.all(shards.map((shard) => shard.stop()));
  }

  async function solveRange(range: PositionRange): Promise<void> {
    const end = range.first + range.count;
    for (let first = range.first; first < end; first += batch) {
      const count = Math.min(batch, end - first);
      await Promise.all(
        shards.map((shard) => shard.command({ type: 'contract', first, count }, 'contracted')),
      );
      const replies = await Promise.all(
        shards.map((shard) => shard.command({ type: 'solve', first, count }, 'solved')),
      );
      // Each thread answers its positions of the batch (j mod n = its index) in ascending order.
      const taken = replies.map(() => 0);
      for (let position = first; position < first + count; position++) {
        const index = position % threads;
        const slot = taken[index] ?? 0;
        taken[index] = slot + 1;
        const output = replies[index]?.outputs[slot];
        if (!output) throw new Error(`thread ${index} returned no output for position ${position}`);
        if (request.onOutput) {
          await request.onOutput(output, position);
          // Only what the exactness check reads is kept.
          outputs[index]?.push({
            ...output,
            topPositive: [],
            topNegative: [],
            eigenvalues: new Float64Array(0),
          });
        } else outputs[index]?.push(output);
      }
    }
  }
}

/** The claim of a decomposition that is not shared: every position, once. */
function oneRange(count: number): () => Promise<PositionRange | null> {
  let given = false;
  return async () => {
    if (given || count === 0) return null;
    given = true;
    return { first: 0, count };
  };
}

function checkRange(range: PositionRange, outputCount: number): void {
  const { first, count } = range;
  if (
    !Number.isInteger(first) ||
    !Number.isInteger(count) ||
    first < 0 ||
    count < 1 ||
    first + count > outputCount
  ) {
    throw new RangeError(
      `claimed positions ${first} … ${first + count - 1} lie outside 0 … ${outputCount - 1}`,
    );
  }
}

type Reply<T extends WorkerMessage['type']> = Extract<WorkerMessage, { type: T }>;

/** One decomposition thread: replies awaited by type; an error or exit rejects what is awaited. */
class ShardThread {
  private readonly worker: Worker;
  private waiting: {
    type: WorkerMessage['type'];
    resolve: (message: WorkerMessage) => void;
    reject: (error: Error) => void;
  } | null = null;
  private failure: Error | null = null;
  private readonly early: WorkerMessage[] = [];

  constructor(
    request: ShardRequest,
    onProgress: (done: number, label: string) => void,
    onSetup?: (done: number, total: number) => void,
  ) {
    this.worker = new Worker(workerUrl(), { workerData: request });
    this.worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onProgress(message.done, message.label);
      else if (message.type === 'setup') onSetup?.(message.done, message.total);
      else if (message.type === 'error') {
        this.fail(Object.assign(new Error(message.message), { name: message.name, stack: message.stack }));
      } else if (this.waiting?.type === message.type) {
        const { resolve } = this.waiting;
        this.waiting = null;
        resolve(message);
      } else this.early.push(message);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) =>
      this.fail(new Error(`decomposition thread for shard ${request.shard.index} exited with code ${code}`)),
    );
  }

  /** The next message of this type (one may already have arrived). */
  reply<T extends WorkerMessage['type']>(type: T): Promise<Reply<T>> {
    const arrived = this.early.findIndex((message) => message.type === type);
    if (arrived >= 0) return Promise.resolve(this.early.splice(arrived, 1)[0] as Reply<T>);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { type, resolve: resolve as (message: WorkerMessage) => void, reject };
    });
  }

  command<T extends WorkerMessage['type']>(command: TensorCommand, type: T): Promise<Reply<T>> {
    const reply = this.reply(type);
    this.worker.postMessage(command);
    return reply;
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }

  private fail(error: Error): void {
    // The first failure is the cause; an exit that follows it is its consequence.
    this.failure ??= error;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(this.failure);
  }
}

/** The compiled worker script (tests run this module from its TypeScript source, next to src/). */
function workerUrl(): URL {
  const fromSource = import.meta.url.endsWith('.ts');
  return new URL(fromSource ? '../dist/decompose-worker.js' : './decompose-worker.js', import.meta.url);
}
