import { describe, expect, it } from 'vitest';
import { ShuffledActivationBuffer } from './activation-buffer.js';

/** `sequences` chunks of `length` rows of d = 2, row r holding (r, −r), counting how often a pass starts. */
function countingSource(sequences: number, length: number) {
  const counter = { passes: 0 };
  const pass = function* () {
    counter.passes++;
    for (let s = 0; s < sequences; s++) {
      yield Float64Array.from({ length: 2 * length }, (_, i) => {
        const row = s * length + (i >> 1);
        return i % 2 === 0 ? row : -row;
      });
    }
  };
  return { pass, counter };
}

/** The rows of `count` batches, in the order served. */
async function take(buffer: ShuffledActivationBuffer, count: number): Promise<number[]> {
  const rows: number[] = [];
  for (let i = 0; i < count; i++) rows.push(...rowsOf(await buffer.nextBatch()));
  return rows;
}

function rowsOf(batch: Float32Array): number[] {
  const rows: number[] = [];
  for (let r = 0; r < batch.length / 2; r++) {
    expect(batch[2 * r + 1]).toBe(-(batch[2 * r] as number));
    rows.push(batch[2 * r] as number);
  }
  return rows;
}

describe('ShuffledActivationBuffer', () => {
  it('awaits its pause between chunks of a long fill, and a pause that throws stops it', async () => {
    const slow = function* () {
      for (let s = 0; s < 4; s++) {
        const until = performance.now() + 60;
        while (performance.now() < until) {
          // a chunk that takes 60 ms to compute
        }
        yield new Float64Array(2 * 8);
      }
    };
    let pauses = 0;
    const buffer = new ShuffledActivationBuffer(slow, { modelDim: 2, batchSize: 8, capacity: 64, seed: 0 });
    await buffer.nextBatch(async () => {
      pauses++;
    });
    expect(pauses).toBeGreaterThan(0);
    const stopped = new ShuffledActivationBuffer(slow, { modelDim: 2, batchSize: 8, capacity: 64, seed: 0 });
    await expect(
      stopped.nextBatch(async () => {
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
  });

  it('holds a source that fits, reads it once, and serves every row once per shuffle', async () => {
    const { pass, counter } = countingSource(5, 8);
    const buffer = new ShuffledActivationBuffer(pass, { modelDim: 2, batchSize: 10, capacity: 100, seed: 1 });
    for (let round = 0; round < 3; round++) {
      const seen = await take(buffer, 4);
      expect(new Set(seen).size).toBe(40);
    }
    expect(counter.passes).toBe(1);
    expect(buffer.holdsEverything).toBe(true);
  });

  it('shuffles positions across sequences', async () => {
    const { pass } = countingSource(5, 8);
    const buffer = new ShuffledActivationBuffer(pass, { modelDim: 2, batchSize: 10, capacity: 100, seed: 1 });
    const sequencesInBatch = new Set((await take(buffer, 1)).map((row) => Math.floor(row / 8)));
    expect(sequencesInBatch.size).toBeGreaterThan(2);
  });

  it('holds at most its capacity and reads the source again, from the start, when it runs out', async () => {
    const { pass, counter } = countingSource(10, 8);
    const buffer = new ShuffledActivationBuffer(pass, { modelDim: 2, batchSize: 8, capacity: 24, seed: 2 });
    const firstFill = await take(buffer, 3);
    expect([...firstFill].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    const secondFill = await take(buffer, 3);
    expect([...secondFill].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => 24 + i));
    await take(buffer, 6);
    expect(counter.passes).toBe(2);
    expect(buffer.holdsEverything).toBe(false);
  });

  it('says so when the source has fewer rows than a batch, or chunks that are not whole rows', async () => {
    const { pass } = countingSource(1, 3);
    await expect(
      new ShuffledActivationBuffer(pass, { modelDim: 2, batchSize: 4, capacity: 8, seed: 0 }).nextBatch(),
    ).rejects.toThrow(/gives 3 positions, fewer than one batch of 4/);
    const ragged = function* () {
      yield new Float64Array(3);
    };
    await expect(
      new ShuffledActivationBuffer(ragged, { modelDim: 2, batchSize: 1, capacity: 8, seed: 0 }).nextBatch(),
    ).rejects.toThrow(/not a whole number of rows/);
    expect(
      () => new ShuffledActivationBuffer(pass, { modelDim: 2, batchSize: 4, capacity: 3, seed: 0 }),
    ).toThrow(/capacity must be a whole number ≥ 4/);
  });
});
