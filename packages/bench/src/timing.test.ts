import { describe, expect, it } from 'vitest';
import { median, timeRepeats, unsteadiness, unsteadyWarning } from './timing.js';

describe('median', () => {
  it('is the middle value of an odd count and the mean of the two middle values of an even count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('refuses no values', () => {
    expect(() => median([])).toThrow('the median of no values is undefined');
  });
});

describe('timeRepeats', () => {
  it('runs the warm-ups untimed, then times every repeat, and returns the last result', () => {
    const labels: string[] = [];
    let calls = 0;
    const timed = timeRepeats(() => ++calls, {
      repeats: 3,
      warmups: 2,
      onRun: (label) => labels.push(label),
    });
    expect(calls).toBe(5);
    expect(timed.result).toBe(5);
    expect(timed.results).toEqual([3, 4, 5]);
    expect(timed.timesMs).toHaveLength(3);
    expect(timed.ms).toBe(median(timed.timesMs));
    expect(labels).toEqual(['warm-up 1/2', 'warm-up 2/2', 'run 1/3', 'run 2/3', 'run 3/3']);
  });

  it.each([0, 1.5, -1])('refuses %s repeats', (repeats) => {
    expect(() => timeRepeats(() => 0, { repeats })).toThrow(
      `repeats must be a whole number ≥ 1, got ${repeats}`,
    );
  });
});

describe('the unsteady rule', () => {
  it('flags timings whose slowest run took over twice the fastest', () => {
    expect(unsteadiness('numpy', [10, 12, 20])).toBeNull();
    expect(unsteadiness('numpy', [10, 12, 20.5])).toBe('numpy ranged 10.0 ms to 20.5 ms');
    expect(unsteadiness('numpy', [])).toBeNull();
  });

  it('words one warning for every unsteady timing, or none', () => {
    expect(unsteadyWarning([null, null], 'ratios', 'n = 64')).toBeNull();
    expect(
      unsteadyWarning(
        ['ours ranged 1.00 ms to 3.00 ms', null, 'numpy ranged 2.00 ms to 5.00 ms'],
        'ratios',
        'n = 64',
      ),
    ).toBe(
      'warning: n = 64: run times are unsteady (ours ranged 1.00 ms to 3.00 ms; numpy ranged 2.00 ms to 5.00 ms); the machine looks busy, so the ratios are unreliable',
    );
    expect(unsteadyWarning(['ours ranged 1.00 ms to 3.00 ms'], 'rates')).toBe(
      'warning: run times are unsteady (ours ranged 1.00 ms to 3.00 ms); the machine looks busy, so the rates are unreliable',
    );
  });
});
