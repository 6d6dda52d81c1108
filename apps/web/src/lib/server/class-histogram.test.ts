import { describe, expect, it } from 'vitest';
import { classHistogram } from './class-histogram';

describe('classHistogram', () => {
  it('splits vᵀx by class on shared bins, each group summing to 1', () => {
    // Four 2-pixel inputs; v = (1, 0) reads the first pixel. Class 3 sits high, the rest low.
    const inputs = [0.9, 0, 1, 0.5, 0, 0.2, 0.1, 0.7];
    const labels = [3, 3, 1, 7];
    const result = classHistogram(inputs, 4, labels, [1, 0], 3, 2);
    expect(result.targetCount).toBe(2);
    expect(result.restCount).toBe(2);
    expect(result.centres).toEqual([0.25, 0.75]);
    expect(result.target).toEqual([0, 1]);
    expect(result.rest).toEqual([1, 0]);
  });
});
