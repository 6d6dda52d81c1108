import { describe, expect, it } from 'vitest';
import { contextsColumn, readContextsColumn, type StoredContext } from './activation-contexts.js';

const context = (sequence: number, length: number, scale: number): StoredContext => ({
  sequence,
  position: sequence + length - 1,
  value: scale * 1.5,
  tokens: Array.from({ length }, (_, i) => 1000 * sequence + i),
  values: Array.from({ length }, (_, i) => scale * (i - 2) * 0.25),
  focus: length - 1,
});

describe('activation contexts column', () => {
  it('reads back what it wrote: series, contexts, token ids and float32 values', () => {
    const series = [[context(0, 5, 1), context(7, 17, -3)], [], [context(70_000, 1, 1e-3)]];
    const bytes = contextsColumn(series);
    expect(bytes.byteLength).toBe(4 + 3 * 4 + 3 * 20 + 8 * (5 + 17 + 1));
    const read = readContextsColumn(bytes);
    expect(read).toHaveLength(3);
    expect(read[1]).toEqual([]);
    read.flat().forEach((got, i) => {
      const want = series.flat()[i] as StoredContext;
      expect({ ...got, value: 0, values: [] }).toEqual({ ...want, value: 0, values: [] });
      expect(got.value).toBe(Math.fround(want.value));
      expect(got.values).toEqual(want.values.map(Math.fround));
    });
  });

  it('reads a column at an offset inside a larger buffer (as the driver hands them)', () => {
    const bytes = contextsColumn([[context(3, 4, 2)]]);
    const padded = new Uint8Array(bytes.byteLength + 3);
    padded.set(bytes, 3);
    expect(readContextsColumn(padded.subarray(3))[0]?.[0]?.tokens).toEqual([3000, 3001, 3002, 3003]);
  });

  it('refuses a truncated column or one with trailing bytes, and mismatched values', () => {
    const bytes = contextsColumn([[context(1, 6, 1)]]);
    expect(() => readContextsColumn(bytes.subarray(0, bytes.byteLength - 2))).toThrow(/ends inside/);
    const longer = new Uint8Array(bytes.byteLength + 4);
    longer.set(bytes);
    expect(() => readContextsColumn(longer)).toThrow(/after its last series/);
    expect(() => contextsColumn([[{ ...context(1, 3, 1), values: [1] }]])).toThrow(/3 tokens but 1 values/);
  });
});
