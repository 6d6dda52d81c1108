import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random/seeded-random.js';
import { extremeEntries } from './readings.js';

describe('extremeEntries', () => {
  it('equals sorting the whole vector', () => {
    const random = seededRandom(4);
    const values = Float64Array.from({ length: 500 }, () => random() - 0.5);
    const order = Array.from(values, (value, index) => ({ index, value }));
    const { top, bottom } = extremeEntries(values, 7);
    expect(top).toEqual([...order].sort((a, b) => b.value - a.value).slice(0, 7));
    expect(bottom).toEqual([...order].sort((a, b) => a.value - b.value).slice(0, 7));
  });

  it('handles n beyond the length, zero, and ties by index', () => {
    expect(extremeEntries([2, 2, 1], 5).top.map((e) => e.index)).toEqual([0, 1, 2]);
    expect(extremeEntries([1, 2], 0)).toEqual({ top: [], bottom: [] });
  });
});
