// A bounded, shuffled store of activations between a model and the SAE trainer, as the reference's
// ShuffleSampler: fill up to `capacity` rows from the source, shuffle, serve batches, refill once
// fewer than a batch are left unserved. Unlike the reference (which shuffles whole sequences) rows
// are shuffled one by one, so a batch mixes positions of many sequences. When one pass over the
// source fits, it is read once and only reshuffled afterwards; otherwise the source is read again
// from the start (a new epoch) whenever it runs out.
import { seededRandom, shuffleInPlace } from '@bilinear-lab/core';

/** How often a long fill awaits its pause callback. */
const PAUSE_EVERY_MS = 100;

/** One pass over the activations, in chunks of rows × d (e.g. one sequence's positions each). */
export type ActivationPass = () => Iterator<ArrayLike<number>>;

export class ActivationSourceError extends Error {
  override readonly name = 'ActivationSourceError';
}

export interface ActivationBufferOptions {
  modelDim: number;
  /** Rows per batch. */
  batchSize: number;
  /** Rows held at most (at least one batch). */
  capacity: number;
  seed: number;
}

export class ShuffledActivationBuffer {
  private readonly d: number;
  private readonly batchSize: number;
  private readonly capacity: number;
  private readonly random: () => number;
  private readonly rows: Float32Array;
  private order = new Int32Array(0);
  /** Rows filled in the buffer, and the next of `order` to serve. */
  private filled = 0;
  private served = 0;
  private pass: Iterator<ArrayLike<number>> | null = null;
  /** The rest of a chunk that did not fit the last fill. */
  private pending: { values: ArrayLike<number>; offset: number } | null = null;
  /** The whole source is in the buffer: refills only reshuffle. */
  private whole = false;
  private reads = 0;

  constructor(
    private readonly source: ActivationPass,
    options: ActivationBufferOptions,
  ) {
    const { modelDim, batchSize, capacity } = options;
    for (const [name, value, min] of [
      ['modelDim', modelDim, 1],
      ['batchSize', batchSize, 1],
      ['capacity', capacity, batchSize],
    ] as const) {
      if (!(Number.isSafeInteger(value) && value >= min)) {
        throw new ActivationSourceError(`${name} must be a whole number ≥ ${min}, got ${value}`);
      }
    }
    this.d = modelDim;
    this.batchSize = batchSize;
    this.capacity = capacity;
    this.random = seededRandom(options.seed);
    this.rows = new Float32Array(capacity * modelDim);
  }

  /** Passes over the source begun so far (1 after the first fill; stays 1 when it all fits). */
  get passes(): number {
    return this.reads;
  }

  /** Whether every row of the source sits in the buffer (it was read once, whole). */
  get holdsEverything(): boolean {
    return this.whole;
  }

  /**
   * The next batch, batchSize × d row-major (a fresh array). A fill runs the source for as long as
   * it takes; `pause` is awaited between its chunks every ~100 ms (to let a signal in, and to throw
   * if it should stop).
   */
  async nextBatch(pause?: () => Promise<void>): Promise<Float32Array> {
    if (this.filled - this.served < this.batchSize) await this.refill(pause);
    const d = this.d;
    const batch = new Float32Array(this.batchSize * d);
    for (let r = 0; r < this.batchSize; r++) {
      const row = this.order[this.served + r] as number;
      batch.set(this.rows.subarray(row * d, (row + 1) * d), r * d);
    }
    this.served += this.batchSize;
    return batch;
  }

  private async refill(pause: (() => Promise<void>) | undefined): Promise<void> {
    if (!this.whole) await this.fill(pause);
    this.order = shuffleInPlace(
      this.random,
      Int32Array.from({ length: this.filled }, (_, i) => i),
    );
    this.served = 0;
  }

  private async fill(pause: (() => Promise<void>) | undefined): Promise<void> {
    const d = this.d;
    let paused = performance.now();
    this.filled = 0;
    let startedPassHere = false;
    let emptyPasses = 0;
    while (this.filled < this.capacity) {
      if (this.pending === null) {
        if (this.pass === null) {
          this.pass = this.source();
          this.reads++;
          startedPassHere = this.filled === 0;
        }
        if (pause && performance.now() - paused > PAUSE_EVERY_MS) {
          await pause();
          paused = performance.now();
        }
        const next = this.pass.next();
        if (next.done) {
          this.pass = null;
          if (startedPassHere && this.reads === 1) {
            // One pass fits in the buffer: keep it and never read the source again.
            this.whole = true;
            break;
          }
          if (++emptyPasses > 1) break;
          continue;
        }
        const values = next.value;
        if (values.length % d !== 0) {
          throw new ActivationSourceError(
            `a chunk of ${values.length} values is not a whole number of rows of d = ${d}`,
          );
        }
        if (values.length > 0) emptyPasses = 0;
        this.pending = { values, offset: 0 };
      }
      const { values, offset } = this.pending;
      const take = Math.min(values.length - offset, (this.capacity - this.filled) * d);
      for (let i = 0; i < take; i++) this.rows[this.filled * d + i] = values[offset + i] as number;
      this.filled += take / d;
      this.pending = offset + take < values.length ? { values, offset: offset + take } : null;
    }
    if (this.filled < this.batchSize) {
      throw new ActivationSourceError(
        `the text gives ${this.filled} position${this.filled === 1 ? '' : 's'}, fewer than one batch of ${this.batchSize}`,
      );
    }
  }
}
