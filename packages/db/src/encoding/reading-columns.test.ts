import { describe, expect, it } from 'vitest';
import { readingsColumn, readReadingsColumn } from './reading-columns.js';

describe('the readings column', () => {
  it('round-trips indices exactly and values to float32', () => {
    const rows = [
      {
        top: [
          { index: 4095, value: 0.125 },
          { index: 7, value: 1 / 3 },
        ],
        bottom: [
          { index: 0, value: -2.5 },
          { index: 12, value: -1e-3 },
        ],
      },
      {
        top: [
          { index: 1, value: 3 },
          { index: 2, value: 2 },
        ],
        bottom: [
          { index: 3, value: -1 },
          { index: 4, value: -0.5 },
        ],
      },
    ];
    const bytes = readingsColumn(rows, 2);
    expect(bytes.byteLength).toBe(2 * 2 * 2 * 8);
    const back = readReadingsColumn(bytes, 2);
    expect(back.map((row) => row.top.map((entry) => entry.index))).toEqual([
      [4095, 7],
      [1, 2],
    ]);
    expect(back[0]?.top[1]?.value).toBe(Math.fround(1 / 3));
    expect(back[0]?.bottom[0]?.value).toBe(-2.5);
    // A Buffer at an odd offset, as a driver may hand one back.
    const shifted = new Uint8Array(bytes.byteLength + 1);
    shifted.set(bytes, 1);
    expect(readReadingsColumn(shifted.subarray(1), 2)).toEqual(back);
  });

  it('refuses rows of unequal length and columns that hold no whole rows', () => {
    expect(() => readingsColumn([{ top: [{ index: 0, value: 1 }], bottom: [] }], 1)).toThrow(/row 0 lists 0/);
    expect(() => readReadingsColumn(new Uint8Array(12), 1)).toThrow(/does not hold whole rows/);
  });
});
