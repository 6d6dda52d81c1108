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

function rowsOf(batch: Float32Array): number[] {
  const rows: number[] = [];
  for (let r = 0; r < batch.length / 2; r++) {
    expect(batch[2 * r + 1]).toBe(-(batch[2 * r] as number));
    rows.push(batch[2 * r] as number);
  }
  return rows;
}

describe('ShuffledActivationBuffer', () => {
  it('holds a source that fits, reads it once, and serves every row once per shuffle', () => {
    const { pass, counter } = countingSource(5, 8);
    const buffer = new ShuffledActivationBuffer(pass, { modelDim: 2, batchSize: 10, capacity: 100, seed: 1 });
    for (let round = 0; round < 3; round++) {
      const seen = [0, 1, 2, 3].flatMap(() => rowsOf(buffer.nextBatch()));
      expect(new Set(seen).size).toBe(40);
    }
    expect(counter.passes).toBe(1);
    expect(buffer.holdsEverything).toBe(true);
  });

  it('shuffles positions across sequences', () => {
    const { pass } = countingSource(5, 8);
    const buffer = new ShuffledActivationBuffer(pass, { modelDim: 2, batchSize: 10, capacity: 100, seed: 1 });
    const sequencesInBatch = new Set(rowsOf(buffer.nextBatch()).map((row) => Math.floor(row / 8)));
    expect(sequencesInBatch.size).toBeGreaterThan(2);
  });

  it('holds at most its capacity and reads the source again, from the start, when it runs out', () => {
    const { pass, counter } = countingSource(10, 8);
    const buffer = new ShuffledActivationBuffer(pass, { modelDim: 2, batchSize: 8, capacity: 24, seed: 2 });
    const firstFill = [0, 1, 2].flatMap(() => rowsOf(buffer.nextBatch()));
    expect([...firstFill].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    const secondFill = [0, 1, 2].flatMap(() => rowsOf(buffer.nextBatch()));
    expect([...secondFill].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => 24 + i));
    for (let i = 0; i < 6; i++) buffer.nextBatch();
    expect(counter.passes).toBe(2);
    expect(buffer.holdsEverything).toBe(false);
  });

  it('says so when the source has fewer rows than a batch, or chunks that are not whole rows', () => {
    const { pass } = countingSource(1, 3);
    expect(() =>
      new ShuffledActivationBuffer(pass, { modelDim: 2, batchSize: 4, capacity: 8, seed: 0 }).nextBatch(),
    ).toThrow(/gives 3 positions, fewer than one batch of 4/);
    const ragged = function* () {
      yield new Float64Array(3);
    };
    expect(() =>
      new ShuffledActivationBuffer(ragged, { modelDim: 2, batchSize: 1, capacity: 8, seed: 0 }).nextBatch(),
    ).toThrow(/not a whole number of rows/);
    expect(
      () => new ShuffledActivationBuffer(pass, { modelDim: 2, batchSize: 4, capacity: 3, seed: 0 }),
    ).toThrow(/capacity must be a whole number ≥ 4/);
  });
});
